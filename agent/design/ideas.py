"""What the offline planner knows about each fault: when it is worth running on a target, how
much user-facing harm it would reveal (``agent.design.impact``, with the reasons, in words a person
can check), and the hypothesis it tests, naming what users would see. Each builder (an idea
shape, ``SHAPES``) returns None when the fault makes no sense for the target; a fault's registry
entry (``agent.models.faults``) names the shape that judges it, so a new fault reuses one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.design import predict
from agent.design.facts import Facts
from agent.design.impact import INJECTION_S, NO_EVIDENCE, Impact, injection, restart
from agent.design.measurable import abort_service
from agent.engines.catalog import upstream_defaults
from agent.models import (
    AbortThreshold,
    ExpectedSignal,
    ExperimentSpec,
    Fault,
    Hypothesis,
    Parameters,
    RiskLevel,
)
from agent.models.faults import FAULTS, FaultEntry, IdeaShape

SEED_EDGE_ERROR_ABORT_PCT = 5.0  # the seed's workflow: abort when the edge's error rate exceeds 5%
# Where the hypothesis itself expects users to see errors at the edge, 5% would stop the run before
# it shows whether they recover: then the spec says so and aborts at policy.max_abort_error_rate_pct's default.
EDGE_ERROR_ABORT_PCT = 50.0
# Half the 10 s top bucket of Sock Shop's latency histograms: histogram_quantile never reads
# above that bucket, so a 10 s limit could never fire (the policy refuses it).
EDGE_LATENCY_ABORT_MS = 5_000.0
MAX_NAMED = 6  # services named in one sentence; the rest are counted
MAX_AFFECTED = predict.MAX_AFFECTED


@dataclass(frozen=True)
class Idea:
    """A scored fault on a target, before it becomes a ranked candidate."""

    score: float
    spec: ExperimentSpec
    likelihood: float = 1.0  # the share of requests the manifests predict will fail (agent.design.impact)


def _names(names: list[str]) -> str:
    shown = names[:MAX_NAMED] + ([f"{len(names) - MAX_NAMED} more"] if len(names) > MAX_NAMED else [])
    return ", ".join(shown) or "no caller"


def _idea(
    f: Facts, fault: Fault, impact: Impact, *, title: str, description: str, params: Parameters, risk: RiskLevel,
    summary: str, hypothesis: Hypothesis, latency_abort: bool = False,
) -> Idea:
    reason = _edge_errors_expected(f, hypothesis)
    abort = AbortThreshold(  # on a signal that exists: the edge, or the nearest caller counting failures
        service=abort_service(f.inv, f.name, f.edge), error_rate_pct=EDGE_ERROR_ABORT_PCT if reason else SEED_EDGE_ERROR_ABORT_PCT,
        latency_p95_ms=EDGE_LATENCY_ABORT_MS if latency_abort else None, reason=reason,
    )
    spec = ExperimentSpec(
        title=title, description=description, action=fault, target_selector=f.selector(),
        parameters=params, abort_threshold=abort, expected_impact=summary, risk_level=risk,
        rationale="; ".join(impact.reasons()), hypothesis=hypothesis,
    )
    return Idea(impact.score, spec, impact.likelihood)


def _edge_errors_expected(f: Facts, hypothesis: Hypothesis) -> str:
    """Why the edge's abort limit is above the seed's 5%, or "" when the hypothesis expects no more there."""
    seen = [e for e in hypothesis.expected if e.signal == "error_rate_pct"  # at_least: errors of unknown size
            and (e.peak > SEED_EDGE_ERROR_ABORT_PCT or (e.op == "at_least" and e.peak > 0))]
    if not seen or not (f.target.entry or f.name == f.edge or f.edge in f.affected):
        return ""
    e = max(seen, key=lambda x: x.peak)
    source = f" from {e.of}" if e.of else ""
    expects = f"errors{source} at {e.service} ({'up to' if e.op == 'near' else 'at least'} {e.peak:g}%)"
    return (f"above the default {SEED_EDGE_ERROR_ABORT_PCT:g}%: the hypothesis expects {expects} that users "
            f"see at {f.edge}, so at {SEED_EDGE_ERROR_ABORT_PCT:g}% the run would stop before it shows whether "
            f"they recover")


def pod_delete(f: Facts, e: FaultEntry) -> Idea:
    impact, single = restart(f), f.workload.replicas == 1
    risk: RiskLevel = "high" if f.target.store else ("medium" if single else "low")
    return _idea(
        f, e.fault, impact, title=f"{f.name} pod delete",
        description=f"Delete one {f.name} pod once and watch it and its callers recover.",
        params=Parameters(duration_s=30, chaos_interval_s=30, force=False), risk=risk,
        summary=f"{f.name} down ~{f.down_s} s with {f.workload.replicas} replica(s); errors at {_names(f.reach)}",
        hypothesis=predict.restart(f, f.down_s, "Deleting a pod", single=single),
    )


def container_kill(f: Facts, e: FaultEntry) -> Idea:
    impact, single = restart(f), f.workload.replicas == 1
    return _idea(
        f, e.fault, impact, title=f"{f.name} container kill",
        description=f"SIGKILL the {f.name} container once; the kubelet restarts it in place.",
        params=Parameters(duration_s=20, chaos_interval_s=20, signal="SIGKILL"),
        risk="high" if f.target.store else "medium",
        summary=f"{f.name} restarts in place (~{f.down_s} s); errors at {_names(f.reach)}",
        hypothesis=predict.restart(f, f.down_s, "Killing the container", single=single),
    )


def cpu_hog(f: Facts, e: FaultEntry) -> Idea | None:
    limit = f.cpu_limit
    if limit is None:
        return None  # no limit: the hog would starve the node, not test the service
    cores, load = 1, 100
    demand = cores * 1000 * load / 100
    impact = injection(f, f"hog of {demand:.0f}m against a CPU limit of {limit}m: throttling slows requests")
    return _idea(
        f, e.fault, impact, title=f"{f.name} CPU hog ({cores} core)",
        description=f"Burn {cores} core at {load}% in a {f.name} pod for {INJECTION_S} s.",
        params=Parameters(duration_s=INJECTION_S, cpu_cores=cores, cpu_load_pct=load), risk="low",
        summary=f"{f.name} throttled at {limit}m: higher p95 at {f.name} and its callers", latency_abort=True,
        hypothesis=Hypothesis(
            statement=f"{f.name} is CPU-throttled at its {limit}m limit and slows down, without errors: "
                      f"users wait longer on the requests that need it",
            affected_services=[f.name, *f.callers][:MAX_AFFECTED],
            expected=[ExpectedSignal(service=f.name, signal="cpu_millicores", peak=float(limit))],
            recovery_s=INJECTION_S + 5,
        ),
    )


def memory_hog(f: Facts, e: FaultEntry) -> Idea | None:
    limit = f.memory_limit
    if limit is None:
        return None
    consume = int(upstream_defaults(e.fault)["MEMORY_CONSUMPTION"])
    if consume > limit:
        impact = restart(f, every_replica=True)
        impact = Impact(impact.criticality, impact.reach, impact.likelihood, impact.seconds,
                        (*impact.why, f"{consume} MB against a {limit} MiB limit: an OOM kill, not slowness"))
        hyp = predict.restart(f, f.down_s, "An OOM kill", single=f.workload.replicas == 1)
        summary = f"{f.name} OOM-killed and restarted: down ~{f.down_s} s"
    else:
        impact = injection(f, f"{consume} MB fits under the {limit} MiB limit: memory pressure only")
        hyp = Hypothesis(
            statement=f"{f.name} absorbs {consume} MB more memory without errors; users notice nothing",
            affected_services=[f.name],
            expected=[ExpectedSignal(service=f.name, signal="memory_mib", peak=float(consume))],
            recovery_s=INJECTION_S + 5,
        )
        summary = f"{f.name} memory up by {consume} MB"
    return _idea(
        f, e.fault, impact, title=f"{f.name} memory hog ({consume} MB)",
        description=f"Allocate {consume} MB in a {f.name} pod for {INJECTION_S} s.",
        params=Parameters(duration_s=INJECTION_S, memory_consumption_mb=consume, number_of_workers=1),
        risk="medium", summary=summary, hypothesis=hyp,
    )


def network_latency(f: Facts, e: FaultEntry) -> Idea | None:
    if not f.callers or f.target.store:
        return None
    ms = int(upstream_defaults(e.fault)["NETWORK_LATENCY"])
    impact = injection(f, f"+{ms} ms on every call from {_names(f.callers)}: do they time out or queue?")
    return _idea(
        f, e.fault, impact, title=f"{f.name} network latency {ms} ms",
        description=f"Add {ms} ms to {f.name}'s network for {INJECTION_S} s; do callers time out or queue?",
        params=Parameters(duration_s=INJECTION_S, network_latency_ms=ms, jitter_ms=0), risk="medium",
        summary=f"p95 of {f.name}'s callers ({_names(f.callers)}) up by ~{ms} ms", latency_abort=True,
        hypothesis=Hypothesis(
            statement=f"calls to {f.name} take ~{ms} ms longer, which its callers measure (its own p95 times "
                      f"only its handler); callers with timeouts below that fail, and users wait at {f.edge}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=predict.slow_callers(f, float(ms)),
            recovery_s=INJECTION_S + 5,
        ),
    )


def _packet_fault(f: Facts, fault: Fault, field: str, pct: int, verb: str, *, gentle: bool) -> Idea | None:
    if not f.callers:
        return None
    impact = injection(f, f"{pct}% of packets {verb}: callers ({_names(f.callers)}) must retry or fail")
    return _idea(
        f, fault, impact, title=f"{f.name} packet {verb} {pct}%",
        description=f"{pct}% of {f.name}'s packets {verb} for {INJECTION_S} s.",
        params=Parameters.model_validate({"duration_s": INJECTION_S, field: pct}), risk="medium",
        summary=f"errors or retries at {f.name}'s callers ({_names(f.callers)})",
        hypothesis=Hypothesis(
            statement=(f"{verb} packets are discarded by TCP; users notice nothing at {f.edge}" if gentle else
                       f"about {pct}% of {f.name}'s packets are {verb}: TCP retransmits them, so its callers "
                       f"wait at least {predict.RETRANSMIT_MS:g} ms on many calls (or time out); users see slow "
                       f"or failed requests at {f.edge}"),
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=[] if gentle else predict.retransmits(f),
            recovery_s=INJECTION_S + 5,
        ),
    )


def packet(f: Facts, e: FaultEntry) -> Idea | None:
    """Loss, corruption, duplication: ``e.planner.pct`` % of the packets, set in ``e.strength``."""
    assert e.planner is not None and e.strength is not None, f"{e.name}: the packet shape needs a strength"
    return _packet_fault(f, e.fault, e.strength, e.planner.pct, e.planner.verb, gentle=e.gentle)


def dns_error(f: Facts, e: FaultEntry) -> Idea | None:
    if not f.callees:
        return None
    impact = injection(f, f"it resolves {_names(f.callees)} by name; lookups fail for {INJECTION_S} s")
    return _idea(
        f, e.fault, impact, title=f"{f.name} DNS errors",
        description=f"Make DNS lookups from {f.name} fail for {INJECTION_S} s.",
        params=Parameters(duration_s=INJECTION_S), risk="medium",
        summary=f"{f.name} cannot reach {_names(f.callees)}: errors at {f.name} and its callers",
        hypothesis=Hypothesis(
            statement=f"{f.name} fails the requests that need {_names(f.callees)}, unless it caches lookups: "
                      f"{f.users_see}{predict.where(seen := predict.errors(f, serving=True, peak=100.0), f.name)}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=seen,
            recovery_s=INJECTION_S + 5,
        ),
    )


def injection_idea(f: Facts, e: FaultEntry) -> Idea | None:
    """Any other fault that acts while injected, on a target with callers: the manifests cannot
    predict its harm, so it scores as an injection and the hypothesis watches its chart signal."""
    if not f.callers or e.planner is None:
        return None
    params: dict[str, object] = {"duration_s": INJECTION_S}
    if e.strength:
        params[e.strength] = e.planner.pct
    return _idea(
        f, e.fault, injection(f, f"{e.name} tests {e.tests}"), title=f"{f.name} {e.name}",
        description=f"Inject {e.name} into {f.name} for {INJECTION_S} s: {e.tests}.",
        params=Parameters.model_validate(params), risk=e.risk, latency_abort=e.chart_signal == "latency_p95_ms",
        summary=f"{e.chart_signal} of {f.name} and its callers ({_names(f.callers)}) may rise",
        hypothesis=Hypothesis(
            statement=f"{f.name} withstands {e.name} ({e.tests}); where it does not, users see it at {f.edge}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED], expected=[], recovery_s=INJECTION_S + 5,
        ),
    )


Builder = Callable[[Facts, FaultEntry], Idea | None]
SHAPES: dict[IdeaShape, Builder] = {
    "restart": pod_delete, "container-restart": container_kill, "cpu-throttle": cpu_hog,
    "memory-pressure": memory_hog, "slow-network": network_latency, "packet": packet,
    "dns-failure": dns_error, "injection": injection_idea,
}


def builders() -> dict[Fault, Callable[[Facts], Idea | None]]:
    """The idea builder of every registered fault the planner proposes, in registry order."""
    return {e.fault: _bound(SHAPES[e.planner.shape], e) for e in FAULTS.values() if e.planner}


def _bound(make: Builder, e: FaultEntry) -> Callable[[Facts], Idea | None]:
    return lambda f: make(f, e)


def fault_order(fault: Fault) -> int:
    """The tie-break between equal ideas: the fault listed first in the registry comes first."""
    return list(FAULTS).index(fault)


assert NO_EVIDENCE < 1
