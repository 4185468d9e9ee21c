"""The fault registry: one entry per fault, the single source of what the agent knows
about it. Everything else derives from here: the spec's ``action`` values and their JSON Schema
(``python -m agent schema``, the LLM's answer schema), the Litmus env mapping of the engine, the
risk and high-risk opt-in, the policy defaults, the planner's ideas, the report's chart signal and
the recommendation the report makes. The Sock Shop twin keeps its own table of how it simulates
each fault (``twin.faults.SIMULATIONS``, by experiment name); a test checks every entry has one.

Adding a fault: one :class:`FaultEntry` in ``_BUILT_IN`` (or ``register(entry)``; its upstream ``fault.yaml`` under
``agent/engines/data/litmus/faults``, whose env names a test checks) and its twin simulation. A
new kind of parameter is also a field of ``agent.models.Parameters`` (the flat shape spec files
use), whose bounds and description the LLM's schema reuses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from agent.models.base import RiskLevel, SignalName
from agent.models.fault_hooks import Advice as Advice
from agent.models.fault_hooks import AdviceWhen as AdviceWhen
from agent.models.fault_hooks import ChaosMeshKind as ChaosMeshKind
from agent.models.fault_hooks import ChaosMeshMap, EffectKind, PlannerHook
from agent.models.fault_hooks import IdeaShape as IdeaShape


class _Registered(type):
    """``for fault in Fault``, ``len(Fault)``: the registered faults, in registry order (as an enum's)."""

    def __iter__(cls) -> Iterator[Fault]:
        return iter([Fault(name) for name in FAULTS])

    def __len__(cls) -> int:
        return len(FAULTS)


class Fault(str, metaclass=_Registered):
    """A fault's name: a LitmusChaos experiment name (chaos-charts 3.18.0 ``faults/kubernetes/<name>``)
    where Litmus runs it, and a key of ``FAULTS``. ``Fault("pod-explode")`` is a ValueError naming the known ones."""

    POD_DELETE: ClassVar[Fault]
    CONTAINER_KILL: ClassVar[Fault]
    POD_CPU_HOG: ClassVar[Fault]
    POD_MEMORY_HOG: ClassVar[Fault]
    POD_NETWORK_LATENCY: ClassVar[Fault]
    POD_NETWORK_LOSS: ClassVar[Fault]
    POD_NETWORK_CORRUPTION: ClassVar[Fault]
    POD_NETWORK_DUPLICATION: ClassVar[Fault]
    POD_DNS_ERROR: ClassVar[Fault]
    DISK_FILL: ClassVar[Fault]
    IO_LATENCY: ClassVar[Fault]
    NODE_DRAIN: ClassVar[Fault]
    CONTROL: ClassVar[Fault]

    __slots__ = ()

    def __new__(cls, name: str) -> Fault:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; use one of {', '.join(FAULTS)}")
        return super().__new__(cls, name)

    @property
    def value(self) -> str:
        """The name as a plain string (as an enum member's ``value`` was)."""
        return str.__str__(self)

    @property
    def entry(self) -> FaultEntry:
        """Its registry entry."""
        return FAULTS[self]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            cls, core_schema.str_schema(), serialization=core_schema.plain_serializer_function_ser_schema(str))

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Read at schema time, so a fault registered later is in every schema built after it.
        return {"type": "string", "enum": list(FAULTS)}


@dataclass(frozen=True)
class FaultEntry:
    """Everything the agent knows about one fault (see the module docstring)."""

    name: str  # the spec's ``action``; the Litmus experiment name where Litmus runs it
    tests: str  # what it tests, in a few words (the LLM reads it)
    risk: RiskLevel  # "high" needs policy.allow_high_risk
    env: Mapping[str, str]  # Parameters field -> the upstream Litmus env variable it sets; the fields it takes
    kind: Literal["instant", "duration"]  # kills at injection (and every CHAOS_INTERVAL), or holds while injected
    chart_signal: SignalName = "error_rate_pct"  # the signal the report charts
    planner: PlannerHook | None = None  # None: never proposed by the planner (left to a person or the LLM)
    advice: Advice | None = None
    default_allowed: bool = False  # in policy.actions when stack.yaml does not list them
    init_allowed: bool = False  # in the policy `init` writes (one pod at a time, nothing that evicts nodes)
    strength: str | None = None  # the Parameters field the seed's ``intensity`` (0..1) sets as a percent
    gentle: bool = False  # only slows or duplicates traffic: a store under it keeps its data
    node_level: bool = False  # hits a node, not pods (no pods_affected_perc)
    aliases: tuple[str, ...] = ()  # the seed's names for it
    effect: EffectKind = "signal"  # how its effect is checked (see EffectKind)
    chaos_mesh: ChaosMeshMap | None = None  # None: Chaos Mesh cannot run it (the policy refuses it there)
    litmus_gap: str = ""  # why Litmus cannot run it ("": it runs the chaos-charts experiment ``name``)
    takes: tuple[str, ...] = ()  # Parameters fields it takes that no Litmus env variable sets (``env`` has the rest)

    @property
    def fault(self) -> Fault:
        return Fault(self.name)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The Parameters fields this fault takes."""
        return (*self.env, *self.takes)

    @property
    def env_names(self) -> tuple[str, ...]:
        return tuple(self.env.values())

    @property
    def litmus(self) -> bool:
        """Whether Litmus runs it (its chaos-charts experiment; otherwise the policy refuses it there)."""
        return not self.litmus_gap

    @property
    def high_risk(self) -> bool:
        return self.risk == "high"

    @property
    def control(self) -> bool:
        """The no-fault control: nothing is injected and no ChaosEngine is applied (``agent.run.control``)."""
        return self.effect == "none"


_POD = {"duration_s": "TOTAL_CHAOS_DURATION", "pods_affected_perc": "PODS_AFFECTED_PERC"}
_NET = {**_POD, "destination_hosts": "DESTINATION_HOSTS"}
_CALLERS_TIMEOUTS = Advice(
    "callers_hit",
    "Give the callers of {service} ({callers}) timeouts below their own SLO and a circuit breaker, so a slow "
    "dependency degrades one feature instead of the whole path.",
    "the slowdown of {service} spread to {callers}.",
)
_MEMORY_LIMIT = Advice(
    "oom",
    "Size {service}'s memory limit for its peak working set plus headroom (now {memory_limit_mib} MiB), "
    "and alert on OOMKilled restarts.",
    "{parameters.memory_consumption_mb} MB more memory got it OOM-killed: errors peaked at {peak}%.",
)

# Listing order is the planner's tie-break: when two ideas predict the same harm, the fault listed
# first comes first (pod-delete before container-kill: what a rollout or a node drain does every
# day, so its lesson applies most often).
_BUILT_IN = [
    FaultEntry("pod-delete", "restart tolerance: replicas, readiness, reconnects", "medium",
               {**_POD, "chaos_interval_s": "CHAOS_INTERVAL", "force": "FORCE"}, "instant",
               planner=PlannerHook("restart"), default_allowed=True, init_allowed=True, aliases=("pod-kill",), effect="replaced",
               chaos_mesh=ChaosMeshMap("PodChaos", "pod-kill")),
    FaultEntry("container-kill", "crash recovery of one container and its restart cost", "medium",
               {**_POD, "chaos_interval_s": "CHAOS_INTERVAL", "signal": "SIGNAL"}, "instant",
               planner=PlannerHook("container-restart"), init_allowed=True, effect="restarted",
               chaos_mesh=ChaosMeshMap("PodChaos", "container-kill")),
    FaultEntry("pod-cpu-hog", "CPU limits, throttling and autoscaling under CPU pressure", "low",
               {**_POD, "cpu_cores": "CPU_CORES", "cpu_load_pct": "CPU_LOAD"}, "duration",
               chart_signal="latency_p95_ms", planner=PlannerHook("cpu-throttle"), advice=_CALLERS_TIMEOUTS,
               default_allowed=True, init_allowed=True, strength="cpu_load_pct", gentle=True, effect="cpu",
               chaos_mesh=ChaosMeshMap("StressChaos", "cpu")),
    FaultEntry("pod-memory-hog", "memory limits: slowdown below the limit, OOM kill above it", "medium",
               {**_POD, "memory_consumption_mb": "MEMORY_CONSUMPTION", "number_of_workers": "NUMBER_OF_WORKERS"},
               "duration", planner=PlannerHook("memory-pressure"), advice=_MEMORY_LIMIT, init_allowed=True,
               effect="memory", chaos_mesh=ChaosMeshMap("StressChaos", "memory")),
    FaultEntry("pod-network-latency", "timeouts and retries of callers when a dependency is slow", "medium",
               {**_NET, "network_latency_ms": "NETWORK_LATENCY", "jitter_ms": "JITTER"}, "duration",
               chart_signal="latency_p95_ms", planner=PlannerHook("slow-network"), advice=_CALLERS_TIMEOUTS,
               default_allowed=True, init_allowed=True, aliases=("network-delay",),
               chaos_mesh=ChaosMeshMap("NetworkChaos", "delay")),
    FaultEntry("pod-network-loss", "error handling and retries when packets are dropped", "medium",
               {**_NET, "packet_loss_pct": "NETWORK_PACKET_LOSS_PERCENTAGE"}, "duration",
               planner=PlannerHook("packet", 50, "lost"), strength="packet_loss_pct", aliases=("network-loss",),
               chaos_mesh=ChaosMeshMap("NetworkChaos", "loss")),
    FaultEntry("pod-network-corruption", "integrity checks and retries on corrupted packets", "medium",
               {**_NET, "packet_corruption_pct": "NETWORK_PACKET_CORRUPTION_PERCENTAGE"}, "duration",
               planner=PlannerHook("packet", 50, "corrupted"), strength="packet_corruption_pct",
               aliases=("network-corruption",), chaos_mesh=ChaosMeshMap("NetworkChaos", "corrupt")),
    FaultEntry("pod-network-duplication", "idempotency of requests seen twice", "low",
               {**_NET, "packet_duplication_pct": "NETWORK_PACKET_DUPLICATION_PERCENTAGE"}, "duration",
               planner=PlannerHook("packet", 50, "duplicated"), strength="packet_duplication_pct", gentle=True,
               chaos_mesh=ChaosMeshMap("NetworkChaos", "duplicate")),
    FaultEntry("pod-dns-error", "behaviour when service names stop resolving", "medium",
               {**_POD, "target_hostnames": "TARGET_HOSTNAMES"}, "duration", planner=PlannerHook("dns-failure"),
               effect="caller-errors", chaos_mesh=ChaosMeshMap("DNSChaos", "error")),
    FaultEntry("disk-fill", "ephemeral-storage limits and eviction", "high",
               {**_POD, "fill_percentage": "FILL_PERCENTAGE"}, "duration", strength="fill_percentage",
               effect="replaced"),
    # Chaos Mesh only: chaos-charts 3.18.0 has no I/O latency fault (pod-io-stress loads the disk, it
    # injects no delay). Not planned: the inventory knows a workload has a volume, not where it is mounted.
    FaultEntry("io-latency", "slow file I/O on a volume: the handler and its callers' timeouts", "medium",
               {}, "duration", chart_signal="latency_p95_ms", advice=_CALLERS_TIMEOUTS,
               chaos_mesh=ChaosMeshMap("IOChaos", "latency"),
               takes=("duration_s", "pods_affected_perc", "io_latency_ms", "io_percent", "volume_path"),
               litmus_gap="Litmus has no I/O latency fault in chaos-charts 3.18.0: pod-io-stress loads the disk, "
                          "it delays nothing"),
    FaultEntry("node-drain", "rescheduling, PodDisruptionBudgets and spread across nodes", "high",
               {"duration_s": "TOTAL_CHAOS_DURATION", "target_node": "TARGET_NODE"}, "duration", node_level=True,
               effect="replaced"),
    # The no-fault control: the whole loop (lease, baseline, monitor, verify, report) with nothing
    # injected, to measure how often the measurement itself cries wolf. No ChaosEngine, no Litmus
    # experiment, no twin simulation; it needs no policy.actions entry (it touches nothing), but an
    # approval like any run.
    FaultEntry("control", "the measurement itself: nothing is injected, so nothing should move", "low",
               {"duration_s": "TOTAL_CHAOS_DURATION"}, "duration", effect="none"),
]
FAULTS: dict[Fault, FaultEntry] = {}


def register(entry: FaultEntry) -> Fault:
    """Add ``entry`` to the registry; every schema, check and view built after this knows it.

    Raises:
        ValueError: the name is taken, or a parameter maps to another env variable than elsewhere.
    """
    if entry.name in FAULTS:
        raise ValueError(f"fault {entry.name!r} is registered already")
    known = parameter_env()
    clash = [f"{p} -> {env} (elsewhere {known[p]})" for p, env in entry.env.items() if known.get(p, env) != env]
    if clash:
        raise ValueError(f"{entry.name}: {'; '.join(clash)}: a parameter sets the same env variable for every fault")
    fault = str.__new__(Fault, entry.name)  # Fault() itself accepts registered names only
    FAULTS[fault] = entry
    return fault


def aliases() -> dict[str, Fault]:
    """The seed's action names (pod-kill, network-delay, ...) and the fault each stands for."""
    return {alias: e.fault for e in FAULTS.values() for alias in e.aliases}


def high_risk_faults() -> frozenset[Fault]:
    """The faults that need ``policy.allow_high_risk``."""
    return frozenset(e.fault for e in FAULTS.values() if e.high_risk)


def default_actions() -> list[Fault]:
    """``policy.actions`` when stack.yaml does not list them."""
    return [e.fault for e in FAULTS.values() if e.default_allowed]


def init_actions() -> list[Fault]:
    """The actions the policy written by ``init`` allows."""
    return [e.fault for e in FAULTS.values() if e.init_allowed]


def parameter_env() -> dict[str, str]:
    """Every Parameters field a fault takes -> its upstream env variable (the same for every fault)."""
    return {field: env for e in FAULTS.values() for field, env in e.env.items()}  # register() keeps them one-to-one


for _entry in _BUILT_IN:
    # Fault.POD_DELETE, ...: names for code and tests that mean one fault
    setattr(Fault, _entry.name.upper().replace("-", "_"), register(_entry))
