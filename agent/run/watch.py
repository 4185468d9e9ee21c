"""Never blind: the signals a run depends on must have values (pure).

A query that matches no series reads as None ("not measured"), and :func:`agent.run.monitor.breach`
cannot fire on None. So a watched signal without a value is blindness, not calm: before chaos,
every signal an abort condition or the hypothesis names must be in the baseline (``execute``
refuses otherwise); during chaos, an abort condition's signal without a value counts as metrics
lost, and past ``monitor.metrics_grace_s`` the run aborts (:mod:`agent.run.phases`).

``service`` "*" (any service) needs the signal from at least one service of the sample.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.models import ExperimentSpec, Sample, Signals, Target, Workload
from agent.run.monitor import LABELS

Watched = tuple[str, str]  # (service or "*", signal)


def watched(spec: ExperimentSpec, *, hypothesis: bool) -> list[Watched]:
    """The (service, signal) pairs the abort conditions name, then (with ``hypothesis``) those
    the hypothesis predicts, each once."""
    pairs: list[Watched] = []
    if spec.abort_threshold is not None:
        pairs += [(c.service, c.signal) for c in spec.abort_threshold.all_conditions()]
    if hypothesis and spec.hypothesis is not None:
        pairs += [(e.service, e.signal) for e in spec.hypothesis.expected]
    return list(dict.fromkeys(pairs))


def missing(sample: Sample, pairs: list[Watched]) -> list[Watched]:
    """The ``pairs`` without a value in ``sample``."""
    def has(service: str, signal: str) -> bool:
        found = sample.services.get(service)
        return found is not None and getattr(found, signal) is not None

    return [(service, signal) for service, signal in pairs
            if not (any(has(s, signal) for s in sample.services) if service == "*" else has(service, signal))]


def blind_text(gaps: list[Watched], describe: Callable[[str, str], str]) -> str:
    """The missing series, each with the query that was tried: ``carts p95 (query: ...)``."""
    return "; ".join(
        f"{'every service' if service == '*' else service} {LABELS[signal]} has no value "
        f"(query: {describe(service if service != '*' else '<any>', signal)})" for service, signal in gaps
    )


def with_readiness(read: dict[str, Signals], targets: list[Target], workloads: list[Workload]) -> dict[str, Signals]:
    """``read`` with each target's ready and desired replicas from its workload as the Kubernetes
    API reports them, where the metrics left them unknown (Prometheus without kube-state-metrics does)."""
    found = {(w.kind, w.namespace, w.name): w for w in workloads}
    out = dict(read)
    for t in targets:
        w = found.get((t.workload.kind, t.workload.namespace, t.workload.name)) if t.workload else None
        now = out.get(t.name)
        if w is not None and now is not None and now.ready_replicas is None:
            out[t.name] = now.model_copy(update={"ready_replicas": w.ready_replicas, "replicas": w.replicas})
    return out
