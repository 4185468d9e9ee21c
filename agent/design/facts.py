"""What the manifests say about one target, as the planner's ideas score it: replicas, probes,
limits, startup time and its place in the call graph (who reaches it, whom it calls).

Computed from the inventory alone; ``agent.design.ideas`` turns these facts into scored faults.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.models import Inventory, Target, TargetSelector, Workload

CRITICALITY = {"low": 1.0, "medium": 2.0, "high": 3.0}
# Seconds from container start until the process serves (no probe tells us; typical figures).
STARTUP_S = {"java": 40, "go": 3, "nodejs": 5, "node": 5, "python": 5}
STORE_STARTUP_S = 10


@dataclass(frozen=True)
class Facts:
    """What the manifests say about one target, computed once."""

    inv: Inventory
    target: Target
    workload: Workload
    edge: str

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def reach(self) -> list[str]:
        return self.inv.upstream(self.name)

    @property
    def callers(self) -> list[str]:
        return self.inv.callers(self.name)

    @property
    def callees(self) -> list[str]:
        return sorted(d.target for d in self.inv.dependencies if d.source == self.name and d.sync)

    @property
    def readiness_delay(self) -> int:
        return max((c.readiness.initial_delay_s for c in self.workload.containers if c.readiness), default=0)

    @property
    def has_probe(self) -> bool:
        return any(c.readiness for c in self.workload.containers)

    @property
    def cpu_limit(self) -> int | None:
        return min((c.cpu_limit_m for c in self.workload.containers if c.cpu_limit_m), default=None)

    @property
    def memory_limit(self) -> int | None:
        return min((c.memory_limit_mib for c in self.workload.containers if c.memory_limit_mib), default=None)

    @property
    def startup_s(self) -> int:
        return STORE_STARTUP_S if self.target.store else STARTUP_S.get(self.target.type, 10)

    def base(self) -> tuple[float, list[str]]:
        """Blast radius x criticality, and why."""
        why = [f"criticality {self.target.criticality}"]
        if self.reach:
            why.append(f"{len(self.reach)} service(s) depend on it ({', '.join(self.reach)})")
        return CRITICALITY[self.target.criticality] * (1 + len(self.reach)), why

    def selector(self) -> TargetSelector:
        kind = "statefulset" if self.workload.kind == "StatefulSet" else "deployment"
        return TargetSelector(service=self.name, namespace=self.target.namespace, labels=self.target.selector, kind=kind)
