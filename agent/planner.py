"""The offline planner: deterministic, graph-aware experiment design (no LLM).

Each candidate is scored by blast radius (how many services reach the target through
synchronous calls), criticality, and the likelihood of finding a weakness that the manifests
already hint at: a single replica, a long readiness delay, no readiness probe, a CPU limit the
fault's load exceeds. Every score comes with its reasons in words a person can check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agent.models import (
    AbortThreshold,
    Candidate,
    ExperimentSpec,
    Fault,
    Inventory,
    Parameters,
    Proposal,
    RiskLevel,
    Target,
    TargetSelector,
)

CRITICALITY = {"low": 1.0, "medium": 2.0, "high": 3.0}
LATENCY_MS = 2000  # Litmus pod-network-latency default NETWORK_LATENCY
CPU_CORES, CPU_LOAD = 1, 100  # Litmus pod-cpu-hog chart defaults


@dataclass(frozen=True)
class Idea:
    """A scored fault on a target, before it becomes a spec."""

    score: float
    spec: ExperimentSpec


class PlannerDesigner:
    """Implements :class:`agent.ports.Designer` without a model."""

    name = "planner"

    def __init__(self, *, edge_service: str | None = None) -> None:
        self._edge = edge_service

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        return Proposal(designer=self.name, candidates=self.rank(inventory, count))

    def rank(self, inventory: Inventory, count: int) -> list[Candidate]:
        """Up to ``count`` candidates, best first."""
        edge = self._edge or _edge_of(inventory)
        ideas = [
            idea
            for t in inventory.targets
            if t.workload is not None and t.pods
            for make in _IDEAS
            if (idea := make(inventory, t, edge)) is not None
        ]
        return _rank(_pick(ideas, count))


def _edge_of(inventory: Inventory) -> str:
    edge = next((t.name for t in inventory.targets if t.tier == "edge"), None)
    return edge or inventory.targets[0].name


def _pick(ideas: list[Idea], count: int) -> list[Idea]:
    """The best idea of each fault first (so the list is varied), then the best of the rest."""
    ordered = sorted(ideas, key=lambda i: (-i.score, i.spec.title))
    chosen: list[Idea] = []
    for fault in Fault:
        best = next((i for i in ordered if i.spec.action == fault), None)
        if best and len(chosen) < count:
            chosen.append(best)
    chosen += [i for i in ordered if i not in chosen][: max(0, count - len(chosen))]
    return sorted(chosen, key=lambda i: (-i.score, i.spec.title))


def _rank(ideas: list[Idea]) -> list[Candidate]:
    return [Candidate(rank=n, score=round(i.score, 2), spec=i.spec) for n, i in enumerate(ideas, 1)]


def _base(inv: Inventory, t: Target) -> tuple[float, list[str]]:
    reach = inv.upstream(t.name)
    reasons = [f"criticality {t.criticality}"]
    if reach:
        reasons.append(f"{len(reach)} service(s) reach it synchronously ({', '.join(reach)})")
    return CRITICALITY[t.criticality] * (1 + len(reach)), reasons


def _selector(t: Target) -> TargetSelector:
    assert t.workload is not None
    kind = "statefulset" if t.workload.kind == "StatefulSet" else "deployment"
    return TargetSelector(service=t.name, namespace=t.namespace, labels=t.selector, kind=kind)


def _pod_delete(inv: Inventory, t: Target, edge: str) -> Idea | None:
    w = t.workload
    assert w is not None
    score, why = _base(inv, t)
    delay = max((c.readiness.initial_delay_s for c in w.containers if c.readiness), default=0)
    if w.replicas == 1:
        score *= 1.5
        why.append("single replica: a deleted pod is an outage")
    if delay >= 60:
        score *= 1.4
        why.append(f"readiness delay {delay} s keeps the new pod out of service")
    if not any(c.readiness for c in w.containers) and t.store is None:
        score *= 1.3
        why.append("no readiness probe: traffic reaches it before it has started")
    risk: RiskLevel = "high" if t.store else ("medium" if w.replicas == 1 else "low")
    outage = f"~{delay} s" if delay else "until the process restarts"
    return Idea(
        score,
        ExperimentSpec(
            title=f"{t.name.title()} pod delete",
            description=f"Delete one {t.name} pod once and watch the service and its callers recover.",
            action=Fault.POD_DELETE,
            target_selector=_selector(t),
            parameters=Parameters(duration_s=30, chaos_interval_s=30, force=False),
            abort_threshold=AbortThreshold(service=edge, error_rate_pct=50.0),
            expected_impact=(
                f"{t.name} unavailable {outage} with {w.replicas} replica(s); errors at "
                f"{', '.join(inv.upstream(t.name)) or 'no caller'}; full recovery after the restart"
            ),
            risk_level=risk,
            rationale="; ".join(why),
        ),
    )


def _latency(inv: Inventory, t: Target, edge: str) -> Idea | None:
    callers = inv.callers(t.name)
    if not callers or t.store:
        return None
    score, why = _base(inv, t)
    why.append(f"+{LATENCY_MS} ms on every call from {', '.join(callers)}")
    return Idea(
        score * 1.2,
        ExperimentSpec(
            title=f"{t.name.title()} network latency {LATENCY_MS} ms",
            description=f"Add {LATENCY_MS} ms to {t.name}'s network for 60 s; do callers time out or queue?",
            action=Fault.POD_NETWORK_LATENCY,
            target_selector=_selector(t),
            parameters=Parameters(duration_s=60, network_latency_ms=LATENCY_MS, jitter_ms=0),
            abort_threshold=AbortThreshold(service=edge, error_rate_pct=50.0, latency_p95_ms=10_000),
            expected_impact=f"p95 of {t.name} and its callers ({', '.join(callers)}) up by ~{LATENCY_MS} ms",
            risk_level="medium",
            rationale="; ".join(why),
        ),
    )


def _cpu_hog(inv: Inventory, t: Target, edge: str) -> Idea | None:
    w = t.workload
    assert w is not None
    limit = min((c.cpu_limit_m for c in w.containers if c.cpu_limit_m), default=None)
    if limit is None:
        return None
    demand = CPU_CORES * 1000 * CPU_LOAD / 100
    score, why = _base(inv, t)
    why.append(f"hog of {demand:.0f}m against a CPU limit of {limit}m: throttling slows requests")
    return Idea(
        score * min(2.0, demand / limit) * 0.6,
        ExperimentSpec(
            title=f"{t.name.title()} CPU hog ({CPU_CORES} core)",
            description=f"Burn {CPU_CORES} core at {CPU_LOAD}% in a {t.name} pod for 60 s.",
            action=Fault.POD_CPU_HOG,
            target_selector=_selector(t),
            parameters=Parameters(duration_s=60, cpu_cores=CPU_CORES, cpu_load_pct=CPU_LOAD),
            abort_threshold=AbortThreshold(service=edge, error_rate_pct=50.0, latency_p95_ms=10_000),
            expected_impact=f"{t.name} throttled at {limit}m: higher p95 at {t.name} and its callers",
            risk_level="low",
            rationale="; ".join(why),
        ),
    )


_IDEAS: list[Callable[[Inventory, Target, str], Idea | None]] = [_pod_delete, _latency, _cpu_hog]


def score_spec(inventory: Inventory, spec: ExperimentSpec) -> tuple[float, list[str]]:
    """Code's ranking of any designer's spec: blast radius x criticality, with the reasons.

    The LLM designer proposes; this decides the order, so a model cannot promote its own pick.
    Targets not in the inventory score 0 (the policy rejects them anyway).
    """
    target = inventory.target(spec.target_selector.service)
    if target is None:
        return 0.0, ["target not in the inventory"]
    return _base(inventory, target)
