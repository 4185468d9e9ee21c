"""What the offline planner knows about each fault: when it is worth running on a target, how
likely it is to find a weakness (with the reasons, in words a person can check), and the
hypothesis it tests. Each builder returns None when the fault makes no sense for the target.

The numbers are deliberately simple multipliers on the blast radius; what matters is that each
one is tied to something visible in the manifests (replicas, probes, limits, the call graph),
read once per target into ``agent.design.facts.Facts``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.design.facts import Facts
from agent.engines.catalog import CATALOG, upstream_defaults
from agent.models import (
    AbortThreshold,
    ExpectedSignal,
    ExperimentSpec,
    Fault,
    Hypothesis,
    Parameters,
    RiskLevel,
)

EDGE_ERROR_ABORT_PCT = 50.0  # at policy.max_abort_error_rate_pct's default
# Half the 10 s top bucket of Sock Shop's latency histograms: histogram_quantile never reads
# above that bucket, so a 10 s limit could never fire (the policy refuses it).
EDGE_LATENCY_ABORT_MS = 5_000.0


@dataclass(frozen=True)
class Idea:
    """A scored fault on a target, before it becomes a ranked candidate."""

    score: float
    spec: ExperimentSpec


def _spec(
    f: Facts, fault: Fault, *, title: str, description: str, params: Parameters, risk: RiskLevel,
    why: list[str], impact: str, hypothesis: Hypothesis, latency_abort: bool = False,
) -> ExperimentSpec:
    abort = AbortThreshold(
        service=f.edge,
        error_rate_pct=EDGE_ERROR_ABORT_PCT,
        latency_p95_ms=EDGE_LATENCY_ABORT_MS if latency_abort else None,
    )
    return ExperimentSpec(
        title=title, description=description, action=fault, target_selector=f.selector(),
        parameters=params, abort_threshold=abort, expected_impact=impact, risk_level=risk,
        rationale="; ".join(why), hypothesis=hypothesis,
    )


def _outage(f: Facts, why: list[str]) -> tuple[float, float]:
    """Multiplier and expected unavailability (s) of losing one pod of the target."""
    factor, down = 1.0, float(f.startup_s + f.readiness_delay)
    if f.workload.replicas == 1:
        factor *= 1.5
        why.append("single replica: losing its pod is an outage")
    else:
        factor *= 0.6
        why.append(f"{f.workload.replicas} replicas should absorb one pod")
    if f.readiness_delay >= 60:
        factor *= 1.4
        why.append(f"readiness delay {f.readiness_delay} s keeps a new pod out of service")
    if not f.has_probe and not f.target.store:
        factor *= 1.3
        why.append(f"no readiness probe: traffic reaches it ~{f.startup_s} s before it has started")
    if f.target.store:
        factor *= 1.2
        why.append(f"stateful {f.target.store}: connections and in-memory state are lost")
    return factor, down


def _restart_hypothesis(f: Facts, down: float, cause: str) -> Hypothesis:
    single = f.workload.replicas == 1
    expected = [ExpectedSignal(service=f.name, signal="error_rate_pct", peak=100.0 if single else 0.0)]
    return Hypothesis(
        statement=(
            f"{cause} makes {f.name} unavailable for ~{down:.0f} s" if single
            else f"{cause} is absorbed by the other replicas of {f.name}; no errors"
        ),
        affected_services=[f.name, *f.reach] if single else [f.name],
        expected=expected,
        recovery_s=down,
    )


def pod_delete(f: Facts) -> Idea:
    score, why = f.base()
    factor, down = _outage(f, why)
    risk: RiskLevel = "high" if f.target.store else ("medium" if f.workload.replicas == 1 else "low")
    return Idea(score * factor, _spec(
        f, Fault.POD_DELETE, title=f"{f.name.title()} pod delete",
        description=f"Delete one {f.name} pod once and watch it and its callers recover.",
        params=Parameters(duration_s=30, chaos_interval_s=30, force=False), risk=risk, why=why,
        impact=f"{f.name} down ~{down:.0f} s with {f.workload.replicas} replica(s); errors at {', '.join(f.reach) or 'no caller'}",
        hypothesis=_restart_hypothesis(f, down, "Deleting a pod"),
    ))


def container_kill(f: Facts) -> Idea:
    score, why = f.base()
    factor, down = _outage(f, why)
    risk: RiskLevel = "high" if f.target.store else "medium"
    return Idea(score * factor * 0.9, _spec(
        f, Fault.CONTAINER_KILL, title=f"{f.name.title()} container kill",
        description=f"SIGKILL the {f.name} container once; the kubelet restarts it in place.",
        params=Parameters(duration_s=20, chaos_interval_s=20, signal="SIGKILL"), risk=risk, why=why,
        impact=f"{f.name} restarts in place (~{down:.0f} s); errors at {', '.join(f.reach) or 'no caller'}",
        hypothesis=_restart_hypothesis(f, down, "Killing the container"),
    ))


def cpu_hog(f: Facts) -> Idea | None:
    limit = f.cpu_limit
    if limit is None:
        return None  # no limit: the hog would starve the node, not test the service
    cores, load = 1, 100
    demand = cores * 1000 * load / 100
    score, why = f.base()
    why.append(f"hog of {demand:.0f}m against a CPU limit of {limit}m: throttling slows requests")
    return Idea(score * min(2.0, demand / limit) * 0.6, _spec(
        f, Fault.POD_CPU_HOG, title=f"{f.name.title()} CPU hog ({cores} core)",
        description=f"Burn {cores} core at {load}% in a {f.name} pod for 60 s.",
        params=Parameters(duration_s=60, cpu_cores=cores, cpu_load_pct=load), risk="low", why=why,
        impact=f"{f.name} throttled at {limit}m: higher p95 at {f.name} and its callers", latency_abort=True,
        hypothesis=Hypothesis(
            statement=f"{f.name} is CPU-throttled at its {limit}m limit and slows down, without errors",
            affected_services=[f.name, *f.callers],
            expected=[ExpectedSignal(service=f.name, signal="cpu_millicores", peak=float(limit))],
            recovery_s=65,
        ),
    ))


def memory_hog(f: Facts) -> Idea | None:
    limit = f.memory_limit
    if limit is None:
        return None
    consume = int(upstream_defaults(Fault.POD_MEMORY_HOG)["MEMORY_CONSUMPTION"])
    score, why = f.base()
    if consume > limit:
        factor, down = _outage(f, why)
        why.append(f"{consume} MB against a {limit} MiB limit: an OOM kill, not slowness")
        hyp = _restart_hypothesis(f, down, "An OOM kill")  # the restarted container is probed again
        impact = f"{f.name} OOM-killed and restarted: down ~{down:.0f} s"
    else:
        factor, down = 0.5, 0.0
        why.append(f"{consume} MB fits under the {limit} MiB limit: memory pressure only")
        hyp = Hypothesis(
            statement=f"{f.name} absorbs {consume} MB more memory without errors",
            affected_services=[f.name],
            expected=[ExpectedSignal(service=f.name, signal="memory_mib", peak=float(consume))],
            recovery_s=65,
        )
        impact = f"{f.name} memory up by {consume} MB"
    return Idea(score * factor * 1.1, _spec(
        f, Fault.POD_MEMORY_HOG, title=f"{f.name.title()} memory hog ({consume} MB)",
        description=f"Allocate {consume} MB in a {f.name} pod for 60 s.",
        params=Parameters(duration_s=60, memory_consumption_mb=consume, number_of_workers=1),
        risk="medium", why=why, impact=impact, hypothesis=hyp,
    ))


def network_latency(f: Facts) -> Idea | None:
    if not f.callers or f.target.store:
        return None
    ms = int(upstream_defaults(Fault.POD_NETWORK_LATENCY)["NETWORK_LATENCY"])
    score, why = f.base()
    why.append(f"+{ms} ms on every call from {', '.join(f.callers)}: do they time out or queue?")
    return Idea(score * 1.2, _spec(
        f, Fault.POD_NETWORK_LATENCY, title=f"{f.name.title()} network latency {ms} ms",
        description=f"Add {ms} ms to {f.name}'s network for 60 s; do callers time out or queue?",
        params=Parameters(duration_s=60, network_latency_ms=ms, jitter_ms=0), risk="medium", why=why,
        impact=f"p95 of {f.name} and its callers ({', '.join(f.callers)}) up by ~{ms} ms", latency_abort=True,
        hypothesis=Hypothesis(
            statement=f"{f.name} and its callers slow down by ~{ms} ms; callers with timeouts below that fail",
            affected_services=[f.name, *f.reach],
            expected=[ExpectedSignal(service=s, signal="latency_p95_ms", peak=float(ms)) for s in [f.name, *f.callers]],
            recovery_s=65,
        ),
    ))


def _packet_fault(f: Facts, fault: Fault, field: str, pct: int, verb: str, factor: float) -> Idea | None:
    if not f.callers:
        return None
    score, why = f.base()
    why.append(f"{pct}% of packets {verb}: callers ({', '.join(f.callers)}) must retry or fail")
    params = Parameters.model_validate({"duration_s": 60, field: pct})
    return Idea(score * factor, _spec(
        f, fault, title=f"{f.name.title()} packet {verb} {pct}%",
        description=f"{pct}% of {f.name}'s packets {verb} for 60 s.",
        params=params, risk="medium", why=why,
        impact=f"errors or retries at {f.name}'s callers ({', '.join(f.callers)})",
        hypothesis=Hypothesis(
            statement=f"about {pct}% of calls to {f.name} fail or retry",
            affected_services=[f.name, *f.reach],
            expected=[ExpectedSignal(service=f.name, signal="error_rate_pct", peak=float(pct))],
            recovery_s=65,
        ),
    ))


def network_loss(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_LOSS, "packet_loss_pct", 50, "lost", 1.1)


def network_corruption(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_CORRUPTION, "packet_corruption_pct", 50, "corrupted", 1.0)


def network_duplication(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_DUPLICATION, "packet_duplication_pct", 50, "duplicated", 0.4)


def dns_error(f: Facts) -> Idea | None:
    if not f.callees:
        return None
    score, why = f.base()
    why.append(f"it resolves {', '.join(f.callees)} by name; lookups fail for 60 s")
    return Idea(score * 0.4 * (1 + len(f.callees)), _spec(
        f, Fault.POD_DNS_ERROR, title=f"{f.name.title()} DNS errors",
        description=f"Make DNS lookups from {f.name} fail for 60 s.",
        params=Parameters(duration_s=60), risk="medium", why=why,
        impact=f"{f.name} cannot reach {', '.join(f.callees)}: errors at {f.name} and its callers",
        hypothesis=Hypothesis(
            statement=f"{f.name} fails the requests that need {', '.join(f.callees)}",
            affected_services=[f.name, *f.reach],
            expected=[ExpectedSignal(service=f.name, signal="error_rate_pct", peak=100.0)],
            recovery_s=65,
        ),
    ))


IDEAS: dict[Fault, Callable[[Facts], Idea | None]] = {
    Fault.POD_DELETE: pod_delete,
    Fault.CONTAINER_KILL: container_kill,
    Fault.POD_CPU_HOG: cpu_hog,
    Fault.POD_MEMORY_HOG: memory_hog,
    Fault.POD_NETWORK_LATENCY: network_latency,
    Fault.POD_NETWORK_LOSS: network_loss,
    Fault.POD_NETWORK_CORRUPTION: network_corruption,
    Fault.POD_NETWORK_DUPLICATION: network_duplication,
    Fault.POD_DNS_ERROR: dns_error,
}
assert set(IDEAS) | {Fault.DISK_FILL, Fault.NODE_DRAIN} == set(CATALOG)
