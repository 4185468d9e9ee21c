"""What the manifests say about one target, as the planner's ideas score it: replicas, probes,
limits, startup time, whether it keeps data across a restart, and its place in the call graph
seen from the users (who calls it, what is behind it, whether users reach it directly).

Computed from the inventory alone; ``agent.design.ideas`` turns these facts into scored faults
and ``agent.design.impact`` holds the scoring model with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.inventory.graph import Reach
from agent.models import Inventory, Target, TargetSelector, Workload

CRITICALITY = {"low": 1.0, "medium": 2.0, "high": 3.0}
# Seconds from container start until the process serves (no probe tells us; typical figures).
STARTUP_S = {"java": 40, "go": 3, "nodejs": 5, "node": 5, "python": 5}
STORE_STARTUP_S = 10
DEFAULT_STARTUP_S = 10  # a runtime the manifests do not show


@dataclass(frozen=True)
class Facts:
    """What the manifests say about one target, computed once."""

    inv: Inventory
    target: Target
    workload: Workload
    edge: str  # the entry point whose error rate the abort condition watches
    reached: Reach  # who fails for users when this target fails

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def reach(self) -> list[str]:
        """Its callers, transitively: their requests fail with it."""
        return list(self.reached.upstream)

    @property
    def affected(self) -> list[str]:
        """Everything that fails for users with it: its callers and what is behind it."""
        return list(self.reached.affected)

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
        return STORE_STARTUP_S if self.target.store else STARTUP_S.get(self.target.type, DEFAULT_STARTUP_S)

    @property
    def down_s(self) -> int:
        """How long a restarted pod is out of service: its start, then its readiness delay."""
        return self.startup_s + self.readiness_delay

    @property
    def loses_data(self) -> bool:
        """A store without a persistent volume: a restart starts it empty."""
        return bool(self.target.store) and not self.workload.persistent

    @property
    def users_see(self) -> str:
        """Which user requests fail when this target fails, in words for a hypothesis."""
        if self.target.entry or self.name == self.edge:
            return f"every request users send to {self.name} fails"
        if self.edge in self.affected:
            return f"users see errors at {self.edge} on the requests that need {self.name}"
        return f"no user request waits on {self.name}: its work is delayed, not refused"

    def selector(self) -> TargetSelector:
        kind = "statefulset" if self.workload.kind == "StatefulSet" else "deployment"
        return TargetSelector(service=self.name, namespace=self.target.namespace, labels=self.target.selector, kind=kind)
