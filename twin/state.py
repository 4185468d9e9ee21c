"""The twin's whole cluster state: plain JSON through pydantic, nothing else.

Kubernetes objects are kept as the JSON dicts a client would see (`KObj`) because that is what
the API serves; everything the twin knows beyond them (when a pod's process starts, which fault
runs where) lives in typed models next to them. The state only changes through the API, the
operator and the clock, and it is deterministic given the seed and the request sequence: every
generated name, uid and random pick draws from `State.rng`, keyed by a persisted counter.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

KObj = dict[str, Any]
"""A Kubernetes object exactly as stored and served (apiVersion, kind, metadata, spec, status).

The one open type of the twin, and why it cannot be narrower: the API server stores and serves
objects of every kind it knows, and takes the bodies of creates, replaces and patches for any of
them, keeping fields nobody declared (unknown spec fields written by a manifest, annotations,
a CRD's free-form parts) exactly as written. The parts the twin builds or reads are typed where
it touches them (`twin.shapes` for Kubernetes kinds, `twin.litmus_shapes` for the Litmus CRDs),
and sit inside a KObj as plain JSON.
"""

POD_KEY = "core/v1/pods"
NODE_KEY = "core/v1/nodes"
RS_KEY = "apps/v1/replicasets"
DEPLOY_KEY = "apps/v1/deployments"
STS_KEY = "apps/v1/statefulsets"
DS_KEY = "apps/v1/daemonsets"


def okey(namespace: str, name: str) -> str:
    """How objects are keyed in the state: 'namespace/name' ('' namespace if cluster-scoped)."""
    return f"{namespace}/{name}"

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generated suffixes


def rfc3339(t: float) -> str:
    """A virtual-clock time as the API server writes timestamps (second precision, 'Z')."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> float:
    """Inverse of `rfc3339`, for timestamps already stored in objects."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


class Event(BaseModel):
    """One line of an engine's log, at virtual time `t` (epoch seconds)."""

    t: float
    message: str


class Termination(BaseModel):
    """Why a container last stopped (shown as lastState.terminated)."""

    reason: str
    exit_code: int
    started_at: float
    finished_at: float


class PodRuntime(BaseModel):
    """What the kubelet would know about a pod; its status is rendered from this at time t."""

    started_at: float = Field(description="current container start, epoch s")
    process_ready_at: float = Field(description="when the process serves requests")
    ready_at: float = Field(description="when the Ready condition turns True")
    restarts: dict[str, int] = Field(default_factory=dict, description="per container")
    last_termination: Termination | None = None


class Target(BaseModel):
    """A pod a fault acts on, with the workload it belongs to."""

    namespace: str
    pod: str
    workload: str
    kind: str


class Step(BaseModel):
    """A scheduled operator action of a fault run."""

    t: float
    action: Literal["runner", "launch", "fail", "inject", "kill", "check", "revert", "complete", "probe"]
    note: str = Field("", description="check: why the status check fails; probe: <phase>:<probe name>")


class FaultRun(BaseModel):
    """One run of one ChaosEngine experiment, as the chaos-runner and litmus-go would do it."""

    engine_uid: str
    namespace: str
    engine: str
    experiment: str
    fault: str
    result: str
    started_at: float
    inject_at: float
    end_at: float
    params: dict[str, str] = Field(default_factory=dict)
    targets: list[Target] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    phase: Literal["running", "completed", "stopped", "error"] = "running"
    stopped_at: float | None = None
    iteration: int = 0
    node: str = Field("", description="node-drain: the drained node")
    experiment_pod: str = ""
    watch: list[str] = Field(default_factory=list, description="pods to log when serving again")
    broken: bool = Field(False, description="a broken engine's run: reports as usual, injects nothing")
    events: list[Event] = Field(default_factory=list)
    probes: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="probe name -> (verdict Passed|Failed, description), as litmus-go "
        "records them (twin.probes); a probe not here is still Awaited")

    def effect_window(self) -> tuple[float, float]:
        """[start, end) of the injected fault; an abort cuts it short."""
        end = self.end_at if self.stopped_at is None else min(self.end_at, self.stopped_at)
        return self.inject_at, end

    def log(self, t: float, message: str) -> None:
        """Append to the engine's event log."""
        self.events.append(Event(t=t, message=message))


class ServiceModel(BaseModel):
    """Baseline behaviour of one service (see data/topology.yaml for units and sources)."""

    language: str = "unknown"
    start_s: float = 5.0
    p95_ms: float = 10.0
    cpu_m: float = 10.0
    memory_mib: float = 64.0
    error_pct: float = 0.0


class Edge(BaseModel):
    """A call from one service to another; `share` of the caller's requests make it."""

    caller: str
    callee: str
    sync: bool = True
    share: float = 1.0


class Topology(BaseModel):
    """The model's Sock Shop knowledge, fixed when the state is seeded."""

    entry: str | None = None
    traffic: dict[str, float] = Field(default_factory=dict)
    services: dict[str, ServiceModel] = Field(default_factory=dict)
    edges: list[Edge] = Field(default_factory=list)
    timeouts_ms: dict[str, float] = Field(default_factory=dict)
    defaults: ServiceModel = Field(default_factory=ServiceModel)
    paths: dict[str, list[str]] = Field(
        default_factory=dict, description="the entry's pages: path -> services it calls synchronously")

    def service(self, name: str) -> ServiceModel:
        """The model of a service, or the defaults for one the topology does not know."""
        return self.services.get(name, self.defaults)


class Histogram(BaseModel):
    """A cumulative request histogram (as a client library keeps one), all routes together."""

    buckets: list[float] = Field(description="cumulative counts per bucket bound, +Inf last")
    sum: float = Field(0.0, description="seconds observed")


class ServiceCounters(BaseModel):
    """The cumulative series one service's processes expose, integrated up to virtual time `t`;
    they start from 0 whenever a process starts (`process` changes), as in-memory counters do."""

    t: float
    process: list[str] = Field(default_factory=list, description="'pod@start' of the processes counted")
    requests: dict[str, Histogram] = Field(
        default_factory=dict, description="'200' (success) or '500' -> histogram (created by the first request)")
    probes: dict[str, float] = Field(default_factory=dict, description="kubelet probe path -> requests")
    scrapes: float = Field(0.0, description="scrapes of its /metrics it has served")
    queued: float = Field(0.0, description="a broker's (rabbitmq's) messages waiting in its queue")


class ContainerSeries(BaseModel):
    """One container's cAdvisor series (or its pod cgroup's, `container` ''), keyed by `id`."""

    namespace: str
    pod: str
    container: str
    image: str = ""
    cpu_seconds: float = 0.0
    memory_bytes: float = 0.0
    ended_at: float | None = Field(None, description="virtual time it was found gone")
    last_ms: int | None = Field(None, description="its last sample's timestamp (epoch ms), once gone")


class State(BaseModel):
    """Everything the twin persists in its state file."""

    format: int = 1
    seed: int
    now: float = Field(description="virtual clock, epoch seconds")
    resource_version: int = 0
    serial: int = 0
    objects: dict[str, dict[str, KObj]] = Field(
        default_factory=dict, description="resource key -> 'namespace/name' -> object")
    pods: dict[str, PodRuntime] = Field(default_factory=dict, description="'ns/name' -> runtime")
    runs: list[FaultRun] = Field(default_factory=list)
    topology: Topology = Field(default_factory=Topology)
    counters: dict[str, ServiceCounters] = Field(
        default_factory=dict, description="'ns/service' -> exposed counters (see `exposition`)")
    containers: dict[str, ContainerSeries] = Field(
        default_factory=dict, description="cgroup id -> cAdvisor series (see `cadvisor`)")
    broken_engines: bool = Field(False, description="every engine only pretends (see `chaos_pods`)")
    launch_s: tuple[float, float] = Field((0.0, 0.0), description="Litmus runner pod and experiment pod "
                                          "start-up, virtual s (see `litmus_launch`); 0: at once")

    def bump(self) -> str:
        """Next resourceVersion: a global counter, bumped on every write."""
        self.resource_version += 1
        return str(self.resource_version)

    def rng(self, purpose: str) -> random.Random:
        """A fresh seeded generator; the persisted counter makes every draw distinct."""
        self.serial += 1
        return random.Random(f"{self.seed}/{purpose}/{self.serial}")

    def new_uid(self) -> str:
        """A version-4 UUID drawn from the seeded generator (deterministic per seed)."""
        bits = self.rng("uid").getrandbits(128)
        return str(uuid.UUID(int=bits, version=4))

    def suffix(self, length: int, purpose: str = "name") -> str:
        """A random name suffix from the alphabet Kubernetes uses."""
        rng = self.rng(purpose)
        return "".join(rng.choice(_NAME_ALPHABET) for _ in range(length))

    def bucket(self, key: str) -> dict[str, KObj]:
        """The stored objects of one resource kind (created on first use)."""
        return self.objects.setdefault(key, {})

    def runs_of(self, engine_uid: str) -> list[FaultRun]:
        """All runs of one engine, oldest first."""
        return [run for run in self.runs if run.engine_uid == engine_uid]


def stable_suffix(seed: int, key: str, length: int) -> str:
    """A suffix that depends only on the seed and a key (e.g. a ReplicaSet's template hash)."""
    rng = random.Random(f"{seed}/stable/{key}")
    return "".join(rng.choice(_NAME_ALPHABET) for _ in range(length))


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): what `copy.deepcopy` gives for
    it, about 2.5x faster (no memo), which matters when a list renders 20,000 pods."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value
