"""What the offline planner knows about each fault: when it is worth running on a target, how
much user-facing harm it would reveal (``agent.design.impact``, with the reasons, in words a person
can check), and the hypothesis it tests, naming what users would see. Each builder returns None
when the fault makes no sense for the target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.design.facts import Facts
from agent.design.impact import INJECTION_S, NO_EVIDENCE, Impact, injection, restart
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
MAX_NAMED = 6  # services named in one sentence; the rest are counted
MAX_AFFECTED = 100  # a hypothesis lists at most this many services (the spec's bound)


@dataclass(frozen=True)
class Idea:
    """A scored fault on a target, before it becomes a ranked candidate."""

    score: float
    spec: ExperimentSpec


def _names(names: list[str]) -> str:
    shown = names[:MAX_NAMED] + ([f"{len(names) - MAX_NAMED} more"] if len(names) > MAX_NAMED else [])
    return ", ".join(shown) or "no caller"


def _idea(
    f: Facts, fault: Fault, impact: Impact, *, title: str, description: str, params: Parameters, risk: RiskLevel,
    summary: str, hypothesis: Hypothesis, latency_abort: bool = False,
) -> Idea:
    abort = AbortThreshold(
        service=f.edge, error_rate_pct=EDGE_ERROR_ABORT_PCT,
        latency_p95_ms=EDGE_LATENCY_ABORT_MS if latency_abort else None,
    )
    spec = ExperimentSpec(
        title=title, description=description, action=fault, target_selector=f.selector(),
        parameters=params, abort_threshold=abort, expected_impact=summary, risk_level=risk,
        rationale="; ".join(impact.reasons()), hypothesis=hypothesis,
    )
    return Idea(impact.score, spec)


def _restart_hypothesis(f: Facts, down: float, cause: str, *, single: bool) -> Hypothesis:
    expected = [ExpectedSignal(service=f.name, signal="error_rate_pct", peak=100.0 if single else 0.0)]
    lost = " and starts empty (no persistent volume)" if f.loses_data else ""
    return Hypothesis(
        statement=(
            f"{cause} makes {f.name} unavailable for ~{down:.0f} s{lost}: {f.users_see}" if single
            else f"{cause} is absorbed by the other replicas of {f.name}; no errors, users notice nothing"
        ),
        affected_services=([f.name, *f.affected] if single else [f.name])[:MAX_AFFECTED],
        expected=expected,
        recovery_s=down,
    )


def pod_delete(f: Facts) -> Idea:
    impact, single = restart(f), f.workload.replicas == 1
    risk: RiskLevel = "high" if f.target.store else ("medium" if single else "low")
    return _idea(
        f, Fault.POD_DELETE, impact, title=f"{f.name.title()} pod delete",
        description=f"Delete one {f.name} pod once and watch it and its callers recover.",
        params=Parameters(duration_s=30, chaos_interval_s=30, force=False), risk=risk,
        summary=f"{f.name} down ~{f.down_s} s with {f.workload.replicas} replica(s); errors at {_names(f.reach)}",
        hypothesis=_restart_hypothesis(f, f.down_s, "Deleting a pod", single=single),
    )


def container_kill(f: Facts) -> Idea:
    impact, single = restart(f), f.workload.replicas == 1
    return _idea(
        f, Fault.CONTAINER_KILL, impact, title=f"{f.name.title()} container kill",
        description=f"SIGKILL the {f.name} container once; the kubelet restarts it in place.",
        params=Parameters(duration_s=20, chaos_interval_s=20, signal="SIGKILL"),
        risk="high" if f.target.store else "medium",
        summary=f"{f.name} restarts in place (~{f.down_s} s); errors at {_names(f.reach)}",
        hypothesis=_restart_hypothesis(f, f.down_s, "Killing the container", single=single),
    )


def cpu_hog(f: Facts) -> Idea | None:
    limit = f.cpu_limit
    if limit is None:
        return None  # no limit: the hog would starve the node, not test the service
    cores, load = 1, 100
    demand = cores * 1000 * load / 100
    impact = injection(f, f"hog of {demand:.0f}m against a CPU limit of {limit}m: throttling slows requests")
    return _idea(
        f, Fault.POD_CPU_HOG, impact, title=f"{f.name.title()} CPU hog ({cores} core)",
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


def memory_hog(f: Facts) -> Idea | None:
    limit = f.memory_limit
    if limit is None:
        return None
    consume = int(upstream_defaults(Fault.POD_MEMORY_HOG)["MEMORY_CONSUMPTION"])
    if consume > limit:
        impact = restart(f, every_replica=True)
        impact = Impact(impact.criticality, impact.reach, impact.likelihood, impact.seconds,
                        (*impact.why, f"{consume} MB against a {limit} MiB limit: an OOM kill, not slowness"))
        hyp = _restart_hypothesis(f, f.down_s, "An OOM kill", single=f.workload.replicas == 1)
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
        f, Fault.POD_MEMORY_HOG, impact, title=f"{f.name.title()} memory hog ({consume} MB)",
        description=f"Allocate {consume} MB in a {f.name} pod for {INJECTION_S} s.",
        params=Parameters(duration_s=INJECTION_S, memory_consumption_mb=consume, number_of_workers=1),
        risk="medium", summary=summary, hypothesis=hyp,
    )


def network_latency(f: Facts) -> Idea | None:
    if not f.callers or f.target.store:
        return None
    ms = int(upstream_defaults(Fault.POD_NETWORK_LATENCY)["NETWORK_LATENCY"])
    impact = injection(f, f"+{ms} ms on every call from {_names(f.callers)}: do they time out or queue?")
    return _idea(
        f, Fault.POD_NETWORK_LATENCY, impact, title=f"{f.name.title()} network latency {ms} ms",
        description=f"Add {ms} ms to {f.name}'s network for {INJECTION_S} s; do callers time out or queue?",
        params=Parameters(duration_s=INJECTION_S, network_latency_ms=ms, jitter_ms=0), risk="medium",
        summary=f"p95 of {f.name} and its callers ({_names(f.callers)}) up by ~{ms} ms", latency_abort=True,
        hypothesis=Hypothesis(
            statement=f"{f.name} and its callers slow down by ~{ms} ms; callers with timeouts below that fail, "
                      f"and users wait at {f.edge}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=[ExpectedSignal(service=s, signal="latency_p95_ms", peak=float(ms))
                      for s in [f.name, *f.callers][:MAX_AFFECTED]],
            recovery_s=INJECTION_S + 5,
        ),
    )


def _packet_fault(f: Facts, fault: Fault, field: str, pct: int, verb: str) -> Idea | None:
    if not f.callers:
        return None
    impact = injection(f, f"{pct}% of packets {verb}: callers ({_names(f.callers)}) must retry or fail")
    return _idea(
        f, fault, impact, title=f"{f.name.title()} packet {verb} {pct}%",
        description=f"{pct}% of {f.name}'s packets {verb} for {INJECTION_S} s.",
        params=Parameters.model_validate({"duration_s": INJECTION_S, field: pct}), risk="medium",
        summary=f"errors or retries at {f.name}'s callers ({_names(f.callers)})",
        hypothesis=Hypothesis(
            statement=f"about {pct}% of calls to {f.name} fail or retry; users see slow or failed requests at {f.edge}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=[ExpectedSignal(service=f.name, signal="error_rate_pct", peak=float(pct))],
            recovery_s=INJECTION_S + 5,
        ),
    )


def network_loss(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_LOSS, "packet_loss_pct", 50, "lost")


def network_corruption(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_CORRUPTION, "packet_corruption_pct", 50, "corrupted")


def network_duplication(f: Facts) -> Idea | None:
    return _packet_fault(f, Fault.POD_NETWORK_DUPLICATION, "packet_duplication_pct", 50, "duplicated")


def dns_error(f: Facts) -> Idea | None:
    if not f.callees:
        return None
    impact = injection(f, f"it resolves {_names(f.callees)} by name; lookups fail for {INJECTION_S} s")
    return _idea(
        f, Fault.POD_DNS_ERROR, impact, title=f"{f.name.title()} DNS errors",
        description=f"Make DNS lookups from {f.name} fail for {INJECTION_S} s.",
        params=Parameters(duration_s=INJECTION_S), risk="medium",
        summary=f"{f.name} cannot reach {_names(f.callees)}: errors at {f.name} and its callers",
        hypothesis=Hypothesis(
            statement=f"{f.name} fails the requests that need {_names(f.callees)}, unless it caches lookups: "
                      f"{f.users_see}",
            affected_services=[f.name, *f.reach][:MAX_AFFECTED],
            expected=[ExpectedSignal(service=f.name, signal="error_rate_pct", peak=100.0)],
            recovery_s=INJECTION_S + 5,
        ),
    )


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
# When two ideas predict the same harm, the fault listed first comes first: pod-delete before
# container-kill (what a rollout or a node drain does every day, so its lesson applies most often).
FAULT_ORDER = {fault: n for n, fault in enumerate(IDEAS)}
assert set(IDEAS) | {Fault.DISK_FILL, Fault.NODE_DRAIN} == set(CATALOG)
assert NO_EVIDENCE < 1
