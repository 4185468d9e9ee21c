"""Experiment specs: target, parameters, hypothesis, abort threshold; candidates and proposals.

A spec file is input from anyone, so every field is bounded: text by length, labels by the
Kubernetes syntax, numbers by what Litmus accepts (no value beyond 64 bits reaches the
checkpointer), and numbers are strict (``true`` or ``"30"`` is not a duration). The policy then
caps what may run (``policy.max_duration_s`` and the rest), well inside these bounds.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, Strict, field_validator, model_validator

from agent.models.base import Frozen, PredictedSignal, RiskLevel, SignalName
from agent.models.faults import Fault, aliases

MAX_DURATION_S = 7 * 86_400  # a week: the longest duration or interval a spec may name at all; the policy caps far lower
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _label_key(key: str) -> str:
    prefix, _, name = key.rpartition("/")
    if not _LABEL_NAME.fullmatch(name) or (prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix))):
        raise ValueError("not a Kubernetes label key: [DNS-subdomain prefix (<= 253 chars)/]name, the name "
                         "<= 63 chars of A-Z a-z 0-9 - _ . starting and ending alphanumeric")
    return key


def _label_value(value: str) -> str:
    if value and not _LABEL_NAME.fullmatch(value):
        raise ValueError("not a Kubernetes label value: <= 63 chars of A-Z a-z 0-9 - _ . starting and "
                         "ending alphanumeric (or empty)")
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, AfterValidator(_label_value)]
Name = Annotated[str, Field(max_length=253)]  # a Kubernetes object name (DNS subdomain, <= 253)
Namespace = Annotated[str, Field(max_length=63)]  # a DNS label
Text = Annotated[str, Field(max_length=4000)]  # prose: a description, a rationale
Line = Annotated[str, Field(max_length=2000)]  # a sentence: an impact, a hypothesis
Int = Annotated[int, Strict()]  # true, 1.0 and "30" are not integers
Flag = Annotated[bool, Strict()]  # 1 and "yes" are not booleans
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]  # an int or a finite float; never a bool or text


class TargetSelector(Frozen):
    """Which pods the fault hits: Litmus ``appinfo`` (appns, applabel, appkind)."""

    service: Name
    namespace: Namespace
    labels: dict[LabelKey, LabelValue] = Field(min_length=1, max_length=20)
    kind: Literal["deployment", "statefulset"] = "deployment"

    @property
    def label_selector(self) -> str:
        """The labels as a Kubernetes label selector, e.g. ``name=carts``."""
        return ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))


class Parameters(Frozen):
    """Fault parameters, flat as spec files write them. Which ones a fault takes, and the upstream
    Litmus env variable each sets, is its entry's ``env`` in ``agent.models.faults.FAULTS``. The
    descriptions are what the LLM reads (its answer schema is derived from these fields)."""

    duration_s: Int = Field(gt=0, le=MAX_DURATION_S, description="seconds of chaos")
    pods_affected_perc: Int = Field(0, ge=0, le=100, description="% of the target's pods; 0 or null = one pod")
    chaos_interval_s: Int | None = Field(None, gt=0, le=MAX_DURATION_S,
                                         description="seconds between repeated injections")
    force: Flag | None = Field(None, description="pod-delete: delete without grace period")
    network_latency_ms: Int | None = Field(None, gt=0, le=60_000, description="added latency, ms")
    jitter_ms: Int | None = Field(None, ge=0, le=60_000, description="latency jitter, ms")
    packet_loss_pct: Int | None = Field(None, gt=0, le=100, description="% of packets dropped")
    packet_corruption_pct: Int | None = Field(None, gt=0, le=100, description="% of packets corrupted")
    packet_duplication_pct: Int | None = Field(None, gt=0, le=100, description="% of packets duplicated")
    destination_hosts: str | None = Field(None, max_length=2000, pattern=r"^[a-z0-9.,-]*$",
                                          description="comma-separated hosts the network fault hits; null = all")
    cpu_cores: Int | None = Field(None, gt=0, le=64, description="cores to burn")
    cpu_load_pct: Int | None = Field(None, gt=0, le=100, description="load per core, %")
    memory_consumption_mb: Int | None = Field(None, gt=0, le=65_536, description="memory to consume, MB")
    number_of_workers: Int | None = Field(None, gt=0, le=64, description="stress workers")
    fill_percentage: Int | None = Field(None, gt=0, le=100, description="% of the ephemeral-storage limit to fill")
    signal: Literal["SIGKILL", "SIGTERM"] | None = Field(None, description="container-kill signal")
    target_hostnames: list[Name] | None = Field(  # a JSON list upstream; empty = all
        None, max_length=100, description="pod-dns-error: names that stop resolving")
    target_node: Name | None = Field(None, pattern=r"^[a-z0-9.-]*$", description="node-drain: the node")
    io_latency_ms: Int | None = Field(None, gt=0, le=10_000, description="io-latency: delay added to each file I/O, ms")
    io_percent: Int | None = Field(None, gt=0, le=100, description="io-latency: % of I/O operations delayed; null = 100")
    volume_path: str | None = Field(  # IOChaos's volumePath: a mount point of the target container
        None, max_length=255, pattern=r"^/[A-Za-z0-9._/-]*$", description="io-latency: mount path of the volume, e.g. /data/db")

    def set_fields(self) -> list[str]:
        """Names of the parameters given a value (``duration_s`` always is)."""
        return [name for name in type(self).model_fields if getattr(self, name) not in (None, 0)]


Expectation = Literal["near", "at_least", "at_most"]


class ExpectedSignal(Frozen):
    """A prediction: ``service``'s ``signal`` should peak near ``peak`` (its unit: %, ms, m, MiB,
    replicas); with ``op`` ``at_least`` peak at or above it, with ``at_most`` fall to it or below
    (ready replicas). ``of``: the service whose failure it shows, when that one cannot be measured
    itself and ``service`` is the nearest caller that counts it (``agent.design.measurable``)."""

    service: Name
    signal: PredictedSignal
    peak: Number = Field(ge=0)
    op: Expectation = "near"
    of: Name | None = None


class Hypothesis(Frozen):
    """What the experiment should show, stated before it runs so the report can check it."""

    statement: Line
    affected_services: list[Name] = Field(max_length=100)
    expected: list[ExpectedSignal] = Field([], max_length=100)
    recovery_s: Number = Field(ge=0, le=MAX_DURATION_S, description="expected time from injection to full recovery, s")


Comparison = Literal[">", "<", ">=", "<="]


class AbortCondition(Frozen):
    """Abort when ``service``'s ``signal`` compares true against ``value`` (its unit: %, ms, m,
    MiB). ``service`` "*" means any service of the sample (the stack overall)."""

    signal: SignalName
    op: Comparison = ">"
    value: Number
    service: Name = "*"

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

    service: Name
    error_rate_pct: Number | None = Field(None, gt=0, le=100)
    latency_p95_ms: Number | None = Field(None, gt=0)
    conditions: list[AbortCondition] = Field([], max_length=20)
    reason: Line = Field("", description=(
        "Why a limit is looser than the seed's default (error rate above 5% at the edge), e.g. because "
        "the hypothesis expects users to see errors there; empty at the default"))

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
    description: Text
    env: Literal["k8s"] = "k8s"
    action: Fault
    target_selector: TargetSelector
    parameters: Parameters
    abort_threshold: AbortThreshold | None
    expected_impact: Line
    risk_level: RiskLevel
    # The engine that runs it (``agent.engines.backend``); the policy refuses a fault the engine cannot do.
    chaos_engine: Literal["litmus", "chaos-mesh"] = "litmus"
    # The cluster it runs on: a name of stack.yaml's clusters: (None: the first, or the k8s section).
    cluster: str | None = Field(None, pattern=r"^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$")
    rationale: Text = ""
    hypothesis: Hypothesis | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _seed_aliases(cls, value: object) -> object:
        # The seed's names (pod-kill, network-delay, network-loss, network-corruption).
        return aliases().get(value, value) if isinstance(value, str) else value

    @property
    def slug(self) -> str:
        """File-name form of the title, e.g. ``catalogue-pod-delete`` (``prod-catalogue-pod-delete`` on cluster prod)."""
        named = f"{self.cluster} {self.title}" if self.cluster else self.title
        return re.sub(r"[^a-z0-9]+", "-", named.lower()).strip("-")[:60]


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


class Suggestions(Frozen):
    """What ``suggest -o json`` prints: the ranked candidates and the refused ones, with why."""

    designer: str
    notice: str | None = None
    candidates: list[Candidate]
    rejected: list[Rejection]
