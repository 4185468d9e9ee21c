"""The stack as discovered: workloads, services, pods, the call graph and the Litmus install."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from agent.models.base import Criticality, Frozen, Tier, WorkloadKind

InferredFact = Literal["tier", "type", "store", "criticality", "entry", "selector"]


class Probe(Frozen):
    """A readiness or liveness probe; ``initial_delay_s`` is how long a new pod stays NotReady."""

    initial_delay_s: int = 0
    period_s: int = 10


class EnvVar(Frozen):
    """An environment variable as the container sees it, read because calls hide in them
    (``CART_SERVICE_ADDR=cartservice:7070``). ``source`` says where the value came from."""

    name: str
    value: str = ""  # "" when it comes from a Secret or a field reference: never read
    source: str = "env"  # "env", or "configMap <name>" for envFrom / configMapKeyRef


class ConfigFile(Frozen):
    """A key of a ConfigMap the pod mounts (a file it reads), kept because calls hide there too."""

    config_map: str
    key: str
    text: str  # cut to a few KiB by the adapter: addresses sit near the top of config files


class Container(Frozen):
    """One container's resources (None = not set in the manifest), probes, env and arguments."""

    name: str
    image: str
    env: list[EnvVar] = []
    args: list[str] = []  # command then args, as written: addresses are often flags
    cpu_request_m: int | None = None
    cpu_limit_m: int | None = None
    memory_request_mib: int | None = None
    memory_limit_mib: int | None = None
    readiness: Probe | None = None
    liveness: Probe | None = None


class Workload(Frozen):
    """A Deployment, StatefulSet or DaemonSet as discovered."""

    kind: WorkloadKind
    name: str
    namespace: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    pod_labels: dict[str, str] = {}
    replicas: int
    ready_replicas: int
    containers: list[Container] = []
    selector: dict[str, str] = {}  # spec.selector.matchLabels: the workload's own pods
    persistent: bool = False  # a PersistentVolumeClaim volume or volumeClaimTemplates: data survives a restart
    config: list[ConfigFile] = []  # ConfigMap keys mounted as files
    generation: int = 0  # metadata.generation: a change during a run is a rollout (agent.run.confounders)


class KubeService(Frozen):
    """A Kubernetes Service; ``exposed_by`` names the Ingresses that route users to it."""

    name: str
    namespace: str
    selector: dict[str, str] = {}
    ports: list[int] = []
    port_names: list[str] = []
    type: str = "ClusterIP"
    exposed_by: list[str] = []


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
    uid: str = ""  # a new uid under the same owner is a replaced pod (the effect check reads it)
    created_at: datetime | None = None  # its creationTimestamp


class Dependency(Frozen):
    """``source`` calls ``target``; only synchronous calls propagate errors and latency."""

    source: str
    target: str
    protocol: str = "http"
    sync: bool = True
    evidence: str = ""  # where the call was seen, e.g. "env CART_SERVICE_ADDR=cartservice:7070"


class Evidence(Frozen):
    """One inferred fact about a target and what it was inferred from, checkable by a person."""

    fact: InferredFact
    value: str
    source: str  # e.g. "image redis:alpine", "Service frontend-external type LoadBalancer"


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
    entry: bool = False  # users reach it directly (Ingress, LoadBalancer/NodePort Service, configured edge)
    configured: bool = False  # named in stack.yaml k8s.target_services (its facts there win)
    evidence: list[Evidence] = []  # where each inferred fact came from


class LitmusInstall(Frozen):
    """What of LitmusChaos the cluster has: CRDs and ChaosExperiments per namespace; and Chaos Mesh's CRDs."""

    crds: list[str] = []
    experiments: dict[str, list[str]] = {}
    chaos_mesh_crds: list[str] = []  # chaos-mesh.org CRDs (podchaos.chaos-mesh.org, ...)
    # Chaos Mesh's DNS server (Service chaos-mesh/chaos-mesh-dns-server), which DNSChaos needs: found or not;
    # None when not known (no DNSChaos CRD, or the agent may not read that Service)
    chaos_mesh_dns_server: bool | None = None

    @property
    def engines(self) -> list[str]:
        """The chaos engines the cluster has (their CRDs are installed), as ``chaos_engine`` names them."""
        return [name for name, crd, crds in (("litmus", "chaosengines.litmuschaos.io", self.crds),
                                             ("chaos-mesh", "podchaos.chaos-mesh.org", self.chaos_mesh_crds))
                if crd in crds]


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

    def entries(self) -> list[str]:
        """The targets users reach directly: the entry points of every user journey."""
        return [t.name for t in self.targets if t.entry]

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
