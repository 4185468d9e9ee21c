"""Domain models: what crosses module boundaries.

YAML, JSON, Kubernetes objects and LLM output become these once, at the edge. Everything here is
JSON-shaped so it can live in the checkpointed graph state (``model_dump(mode="json")``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Tier = Literal["edge", "business", "data", "queue"]
Criticality = Literal["low", "medium", "high"]
RiskLevel = Literal["low", "medium", "high"]
WorkloadKind = Literal["Deployment", "StatefulSet"]


class Fault(StrEnum):
    """LitmusChaos experiment names (chaos-charts 3.18.0 ``faults/kubernetes/<name>``)."""

    POD_DELETE = "pod-delete"
    CONTAINER_KILL = "container-kill"
    POD_CPU_HOG = "pod-cpu-hog"
    POD_MEMORY_HOG = "pod-memory-hog"
    POD_NETWORK_LATENCY = "pod-network-latency"
    POD_NETWORK_LOSS = "pod-network-loss"
    POD_NETWORK_CORRUPTION = "pod-network-corruption"
    POD_NETWORK_DUPLICATION = "pod-network-duplication"
    POD_DNS_ERROR = "pod-dns-error"
    DISK_FILL = "disk-fill"
    NODE_DRAIN = "node-drain"


_ALIASES = {
    "pod-kill": Fault.POD_DELETE,
    "network-delay": Fault.POD_NETWORK_LATENCY,
    "network-loss": Fault.POD_NETWORK_LOSS,
    "network-corruption": Fault.POD_NETWORK_CORRUPTION,
}


class Frozen(BaseModel):
    """Base for value objects: immutable, unknown fields are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inventory -------------------------------------------------------------------------------


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


# --- experiment specs --------------------------------------------------------------------------


class TargetSelector(Frozen):
    """Which pods the fault hits: Litmus ``appinfo`` (appns, applabel, appkind)."""

    service: str
    namespace: str
    labels: dict[str, str] = Field(min_length=1)
    kind: Literal["deployment", "statefulset"] = "deployment"

    @property
    def label_selector(self) -> str:
        """The labels as a Kubernetes label selector, e.g. ``name=carts``."""
        return ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))


class Parameters(Frozen):
    """Fault parameters; each maps to the upstream Litmus env variable named in
    ``agent.catalog.PARAMETER_ENV``. A fault takes only the ones its definition declares."""

    duration_s: int = Field(gt=0)  # TOTAL_CHAOS_DURATION
    pods_affected_perc: int = Field(0, ge=0, le=100)  # PODS_AFFECTED_PERC (0 = one pod)
    chaos_interval_s: int | None = Field(None, gt=0)  # CHAOS_INTERVAL
    force: bool | None = None  # FORCE
    network_latency_ms: int | None = Field(None, gt=0, le=60_000)  # NETWORK_LATENCY
    jitter_ms: int | None = Field(None, ge=0, le=60_000)  # JITTER
    packet_loss_pct: int | None = Field(None, gt=0, le=100)  # NETWORK_PACKET_LOSS_PERCENTAGE
    packet_corruption_pct: int | None = Field(None, gt=0, le=100)  # NETWORK_PACKET_CORRUPTION_PERCENTAGE
    packet_duplication_pct: int | None = Field(None, gt=0, le=100)  # NETWORK_PACKET_DUPLICATION_PERCENTAGE
    destination_hosts: str | None = Field(None, pattern=r"^[a-z0-9.,-]*$")  # DESTINATION_HOSTS
    cpu_cores: int | None = Field(None, gt=0, le=64)  # CPU_CORES
    cpu_load_pct: int | None = Field(None, gt=0, le=100)  # CPU_LOAD
    memory_consumption_mb: int | None = Field(None, gt=0, le=65_536)  # MEMORY_CONSUMPTION
    number_of_workers: int | None = Field(None, gt=0, le=64)  # NUMBER_OF_WORKERS
    fill_percentage: int | None = Field(None, gt=0, le=100)  # FILL_PERCENTAGE
    signal: Literal["SIGKILL", "SIGTERM"] | None = None  # SIGNAL
    target_hostnames: list[str] | None = None  # TARGET_HOSTNAMES (a JSON list; empty = all)
    target_node: str | None = Field(None, pattern=r"^[a-z0-9.-]*$")  # TARGET_NODE

    def set_fields(self) -> list[str]:
        """Names of the parameters given a value (``duration_s`` always is)."""
        return [name for name in type(self).model_fields if getattr(self, name) not in (None, 0)]


SignalName = Literal["error_rate_pct", "latency_p95_ms", "cpu_millicores", "memory_mib"]


class ExpectedSignal(Frozen):
    """A prediction: ``service``'s ``signal`` should peak near ``peak`` (its unit: %, ms, m, MiB)."""

    service: str
    signal: SignalName
    peak: float = Field(ge=0)


class Hypothesis(Frozen):
    """What the experiment should show, stated before it runs so the report can check it."""

    statement: str
    affected_services: list[str]
    expected: list[ExpectedSignal] = []
    recovery_s: float = Field(ge=0, description="expected time from injection to full recovery")


Comparison = Literal[">", "<", ">=", "<="]


class AbortCondition(Frozen):
    """Abort when ``service``'s ``signal`` compares true against ``value`` (its unit: %, ms, m,
    MiB). ``service`` "*" means any service of the sample (the stack overall)."""

    signal: SignalName
    op: Comparison = ">"
    value: float
    service: str = "*"

    def holds(self, observed: float) -> bool:
        """True when ``observed`` meets the condition (i.e. the run must stop)."""
        return {
            ">": observed > self.value,
            "<": observed < self.value,
            ">=": observed >= self.value,
            "<=": observed <= self.value,
        }[self.op]


class AbortThreshold(Frozen):
    """Stop the experiment when any condition holds. ``service`` with ``error_rate_pct`` /
    ``latency_p95_ms`` is the seed's shorthand (">" on the watched service); ``conditions`` adds
    any number of others."""

    service: str
    error_rate_pct: float | None = Field(None, gt=0, le=100)
    latency_p95_ms: float | None = Field(None, gt=0)
    conditions: list[AbortCondition] = []

    @model_validator(mode="after")
    def _one_limit(self) -> AbortThreshold:
        if self.error_rate_pct is None and self.latency_p95_ms is None and not self.conditions:
            raise ValueError("set error_rate_pct, latency_p95_ms or conditions (at least one)")
        return self

    def all_conditions(self) -> list[AbortCondition]:
        """The shorthand limits as conditions, then the explicit ones."""
        out = []
        if self.error_rate_pct is not None:
            out.append(AbortCondition(signal="error_rate_pct", value=self.error_rate_pct, service=self.service))
        if self.latency_p95_ms is not None:
            out.append(AbortCondition(signal="latency_p95_ms", value=self.latency_p95_ms, service=self.service))
        return out + self.conditions


class ExperimentSpec(Frozen):
    """One proposed experiment, in the seed's JSON shape plus a rationale."""

    title: str = Field(min_length=3, max_length=120)
    description: str
    env: Literal["k8s"] = "k8s"
    action: Fault
    target_selector: TargetSelector
    parameters: Parameters
    abort_threshold: AbortThreshold | None
    expected_impact: str
    risk_level: RiskLevel
    chaos_engine: Literal["litmus"] = "litmus"
    rationale: str = ""
    hypothesis: Hypothesis | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _seed_aliases(cls, value: object) -> object:
        # The seed's names (pod-kill, network-delay, network-loss, network-corruption).
        return _ALIASES.get(value, value) if isinstance(value, str) else value

    @property
    def slug(self) -> str:
        """File-name form of the title, e.g. ``catalogue-pod-delete``."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60]


class Candidate(Frozen):
    """A ranked spec with its score; ``rank`` is 1-based."""

    rank: int
    score: float
    spec: ExperimentSpec
    saved_path: str | None = None


class LLMUsage(Frozen):
    """Tokens a designer or narrator spent, as the endpoint reported them."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def plus(self, other: LLMUsage) -> LLMUsage:
        """Both usages together (e.g. design plus narration)."""
        return LLMUsage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            calls=self.calls + other.calls,
        )


class Proposal(Frozen):
    """A designer's answer: candidates, which designer made them, and any notice for the user."""

    designer: str
    candidates: list[Candidate]
    notice: str | None = None
    usage: LLMUsage = LLMUsage()


class Rejection(Frozen):
    """A candidate the policy refused, kept to show the user."""

    title: str
    rule: str
    reason: str


# --- approval ------------------------------------------------------------------------------------


class ApprovalRequest(Frozen):
    """The interrupt payload: what a human is asked to decide."""

    run_id: str
    candidates: list[str]
    question: str = "Which experiment should run?"


class Decision(Frozen):
    """A human's answer to an ApprovalRequest; ``choice`` is the 1-based candidate rank."""

    verdict: Literal["approve", "reject"]
    choice: int | None = Field(None, ge=1)
    approver: str = Field(min_length=1)
    channel: Literal["cli", "slack", "chat"]
    at: datetime
    note: str = ""

    @model_validator(mode="after")
    def _choice_when_approving(self) -> Decision:
        if self.verdict == "approve" and self.choice is None:
            raise ValueError("an approval must name the experiment (choice)")
        return self


# --- execution and monitoring ----------------------------------------------------------------------


class EngineRef(Frozen):
    """Where an applied ChaosEngine lives; ``created`` is False when it already existed."""

    name: str
    namespace: str
    uid: str
    created: bool
    created_at: datetime | None = None  # the API server's creationTimestamp: when chaos began


class EngineInfo(Frozen):
    """A ChaosEngine as listed in a namespace (``recover`` looks for the agent's own)."""

    name: str
    namespace: str
    uid: str = ""
    created_at: datetime | None = None
    engine_state: str = ""
    engine_status: str | None = None

    @property
    def run_id(self) -> str | None:
        """The run that created it (the agent names engines ``ca-<run id>``), else None."""
        return self.name[3:] if self.name.startswith("ca-") and len(self.name) > 3 else None

    @property
    def active(self) -> bool:
        """Chaos may still be injected: not asked to stop and not finished by the operator."""
        return self.engine_state != "stop" and self.engine_status not in {"completed", "stopped"}


class EngineStatus(Frozen):
    """The engine's and its ChaosResult's state, as the operator reports them."""

    engine_state: str
    engine_status: str | None = None
    experiment_status: str | None = None
    phase: str | None = None
    verdict: str | None = None

    @property
    def finished(self) -> bool:
        """True once the operator considers the run over (completed, stopped or errored)."""
        return self.engine_status in {"completed", "stopped"} or self.phase in {
            "Completed",
            "Stopped",
            "Error",
            "Completed_With_Probe_Failure",
        }


class Signals(Frozen):
    """One service's SLO signals at one instant; None = not measured."""

    error_rate_pct: float | None = None
    latency_p95_ms: float | None = None
    cpu_millicores: float | None = None
    memory_mib: float | None = None
    ready_replicas: int | None = None
    replicas: int | None = None


class Sample(Frozen):
    """All services' signals at one tick."""

    tick: int
    at: datetime
    services: dict[str, Signals]


EventKind = Literal[
    "discovered",
    "designed",
    "notified",
    "approved",
    "rejected",
    "dry_run",
    "applied",
    "engine_found",
    "chaos_running",
    "first_deviation",
    "threshold_breached",
    "abort_requested",
    "stopped",
    "completed",
    "recovered",
    "recovery_timeout",
    "metrics_lost",
    "cluster_lost",  # the Kubernetes API stopped answering longer than monitor.cluster_grace_s
    "overrun",  # the engine still ran past its planned duration (+ monitor.overrun_grace_s)
    "stop_unconfirmed",  # a stop could not be confirmed before the planned end of chaos
    "resumed",  # `python -m agent recover` picked the run up after the agent stopped
    "failed",
    "reported",
]


class RunEvent(Frozen):
    """A timestamped event of a run, for the timeline."""

    at: datetime
    kind: EventKind
    detail: str = ""


Outcome = Literal["completed", "aborted", "rejected", "failed", "dry_run"]


# --- audit -------------------------------------------------------------------------------------

AuditAction = Literal[
    "decision",  # a human approved or rejected a run
    "decision_refused",  # an answer that changed nothing: stale, duplicate, not allowed
    "abort_requested",  # a human asked to stop a run (`python -m agent abort RUN`)
    "engine_dry_run",  # server-side dry-run of a ChaosEngine
    "engine_apply",  # live create of a ChaosEngine
    "engine_stop",  # patch engineState: stop
    "run_outcome",  # how the run ended, when its report was written
    "claim_released",  # `recover` dropped an approval claim whose claimer died before answering
    "run_recovered",  # `recover` resumed a run whose process had died
]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEntry(Frozen):
    """One line of the append-only audit log: who did what to which run, when, and the result."""

    at: datetime = Field(default_factory=_utcnow)  # wall clock, UTC: when it was recorded
    run_at: datetime | None = None  # the run's clock (the twin's virtual time on the twin)
    run_id: str
    who: str  # the approver, or "agent" for the agent's own cluster writes
    channel: str | None = None  # cli / slack / chat, for decisions
    action: AuditAction
    what: str  # e.g. "approve #1 'Catalogue pod delete'", "ChaosEngine sock-shop/ca-1234abcd"
    result: str = "ok"  # "ok", or the error (or the refusal) in one line
