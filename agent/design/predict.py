"""What a hypothesis predicts: only signals that can be measured for the target
(``agent.design.measurable``), each at the service that shows it.

- A restart (pod-delete, container-kill, OOM kill): the target's ready replicas fall, when it has
  a readiness probe (without one a new pod is Ready as soon as its container runs, so readiness may
  never show the outage); and the error rate of its nearest failure witness, which is never the
  target itself while its only pod is gone (a pod that is gone records nothing): carts-db's is
  front-end. How many of the witness's requests need the target the manifests do not say, and
  ``rate()`` over a minute dilutes a short outage, so it predicts errors of at least
  ``ERRORS_SEEN_PCT`` rather than a number.
- A network fault on the target: its callers' latency (a server-side histogram times only the
  handler, so the target's own p95 does not move); loss and corruption cost a TCP retransmission.
- DNS errors: the target's own error rate when it counts failures, else its witness's.
"""

from __future__ import annotations

from agent.design.facts import Facts
from agent.design.measurable import failure_witness, latency_witnesses
from agent.models import ExpectedSignal, Hypothesis
from agent.run.band import FLOORS

# The least rise the recovery band counts as a deviation (2 points): a prediction that can fail
# on the data, yet holds for an 8 s outage of a third of the requests diluted by rate() over 1m.
ERRORS_SEEN_PCT = FLOORS["error_rate_pct"]
RETRANSMIT_MS = 200.0  # Linux's minimum TCP retransmission timeout: a lost segment delays its request this long
MAX_AFFECTED = 100  # a hypothesis lists at most this many services (the spec's bound)


def errors(f: Facts, *, serving: bool, peak: float) -> list[ExpectedSignal]:
    """The target's failures (``peak`` % of its requests) at its nearest failure witness: the
    target itself when it keeps serving and counts failures, else at least ``ERRORS_SEEN_PCT``
    at the nearest caller that counts them; nothing when none does."""
    witness = failure_witness(f.inv, f.name, serving=serving)
    if witness is None:
        return []
    if witness == f.name or peak == 0:
        return [ExpectedSignal(service=witness, signal="error_rate_pct", peak=peak,
                               of=None if witness == f.name else f.name)]
    return [ExpectedSignal(service=witness, signal="error_rate_pct", peak=ERRORS_SEEN_PCT, op="at_least", of=f.name)]


def readiness(f: Facts) -> list[ExpectedSignal]:
    """One replica out of service (from the Kubernetes API), when a readiness probe shows it."""
    if not f.has_probe:
        return []
    return [ExpectedSignal(service=f.name, signal="ready_replicas", peak=float(max(0, f.workload.replicas - 1)),
                           op="at_most")]


def where(expected: list[ExpectedSignal], target: str) -> str:
    """Where the prediction is measured, for the statement: "" when at the target itself."""
    at = sorted({e.service for e in expected if e.service != target})
    return f"; measured at {', '.join(at)}" if at else ""


def restart(f: Facts, down: float, cause: str, *, single: bool) -> Hypothesis:
    """A restart of one pod of the target: an outage when it is the only one, else absorbed."""
    expected = readiness(f) + errors(f, serving=not single, peak=100.0 if single else 0.0)
    lost = " and starts empty (no persistent volume)" if f.loses_data else ""
    return Hypothesis(
        statement=(
            f"{cause} makes {f.name} unavailable for ~{down:.0f} s{lost}: {f.users_see}" if single
            else f"{cause} is absorbed by the other replicas of {f.name}; no errors, users notice nothing"
        ) + where(expected, f.name),
        affected_services=([f.name, *f.affected] if single else [f.name])[:MAX_AFFECTED],
        expected=expected,
        recovery_s=down,
    )


def slow_callers(f: Facts, ms: float) -> list[ExpectedSignal]:
    """Each caller that records its latency slows by about ``ms``."""
    return [ExpectedSignal(service=c, signal="latency_p95_ms", peak=ms, of=f.name)
            for c in latency_witnesses(f.inv, f.name)][:MAX_AFFECTED]


def retransmits(f: Facts) -> list[ExpectedSignal]:
    """Each caller that records its latency waits at least one retransmission timeout."""
    return [ExpectedSignal(service=c, signal="latency_p95_ms", peak=RETRANSMIT_MS, op="at_least", of=f.name)
            for c in latency_witnesses(f.inv, f.name)][:MAX_AFFECTED]
