"""The stack as discovered: workloads, services, pods, the call graph and the Litmus install."""

from __future__ import annotations

from datetime import datetime

from agent.models.base import Criticality, Frozen, Tier, WorkloadKind


class Probe(Frozen):
    """A readiness or liveness probe; ``initial_delay_s`` is how long a new pod stays NotReady."""

    initial_delay_s: int = 0
    period_s: int = 10


class Container(Frozen):
    """One container's resources (None = not set in the manifest) and probes."""

    name: str
    image: str
    cpu_request_m: int | None = None
    cpu_limit_m: int | None = None
    memory_request_mib: int | None = None
    memory_limit_mib: int | None = None
    readiness: Probe | None = None
    liveness: Probe | None = None


class Workload(Frozen):
    """A Deployment or StatefulSet as discovered."""

    kind: WorkloadKind
    name: str
    namespace: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    pod_labels: dict[str, str] = {}
    replicas: int
    ready_replicas: int
    containers: list[Container] = []


class KubeService(Frozen):
    """A Kubernetes Service."""

    name: str
    namespace: str
    selector: dict[str, str] = {}
    ports: list[int] = []
    type: str = "ClusterIP"


class Pod(Frozen):
    """A pod with its top-level owner (Deployment via its ReplicaSet, or StatefulSet)."""

    name: str
    namespace: str
    labels: dict[str, str] = {}
    owner_kind: str | None = None
    owner_name: str | None = None
    ready: bool
    restarts: int = 0
    node: str | None = None


class Dependency(Frozen):
    """``source`` calls ``target``; only synchronous calls propagate errors and latency."""

    source: str
    target: str
    protocol: str = "http"
    sync: bool = True


class Target(Frozen):
    """A service of the stack: stack.yaml's view merged with what the cluster runs."""

    name: str
    namespace: str
    tier: Tier
    criticality: Criticality
    type: str
    store: str | None = None
    selector: dict[str, str]
    workload: Workload | None = None
    pods: list[Pod] = []


class LitmusInstall(Frozen):
    """What of LitmusChaos the cluster has: CRDs and ChaosExperiments per namespace."""

    crds: list[str] = []
    experiments: dict[str, list[str]] = {}


class Inventory(Frozen):
    """Everything discovery found, plus the dependency graph."""

    cluster: str
    discovered_at: datetime
    targets: list[Target]
    workloads: list[Workload]
    services: list[KubeService]
    pods: list[Pod]
    dependencies: list[Dependency]
    litmus: LitmusInstall = LitmusInstall()

    def target(self, name: str) -> Target | None:
        """The stack target called ``name``, if any."""
        return next((t for t in self.targets if t.name == name), None)

    def callers(self, name: str, *, sync_only: bool = True) -> list[str]:
        """Services that call ``name`` directly."""
        return sorted(
            d.source for d in self.dependencies if d.target == name and (d.sync or not sync_only)
        )

    def upstream(self, name: str) -> list[str]:
        """Every service that reaches ``name`` through synchronous calls (its blast radius)."""
        seen: set[str] = set()
        frontier = [name]
        while frontier:
            for caller in self.callers(frontier.pop()):
                if caller not in seen:
                    seen.add(caller)
                    frontier.append(caller)
        return sorted(seen)
