"""The seed's spec dialect, parsed by its own model and normalised once into :class:`ExperimentSpec`.

The origin document's spec files look like this (``craterctl suggest`` wrote them, people edit them)::

    {"title": "Redis Primary Pod Kill", "action": "pod-kill", "env": "k8s",
     "target_selector": {"namespace": "sock-shop", "label_selector": "app=redis", "resource_type": "statefulset"},
     "parameters": {"duration": "60s", "intensity": 0.5, "replicas_to_kill": 1},
     "abort_threshold": {"metric": "error_rate", "value": 0.05, "operator": ">"},
     "expected_impact": "...", "risk_level": "medium", "chaos_engine": "litmuschaos"}

The native model stays strict (integer seconds, percents, a service name); this one takes the
seed's looser spellings and :meth:`SeedSpec.to_native` maps them, as each field's description says.
The service is inferred from the selector here, where no inventory is known; the policy then checks
that it exists and that the selector matches its pods (and says which labels would).
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, Strict, field_serializer, field_validator

from agent.models.base import Frozen, RiskLevel
from agent.models.faults import Fault, aliases
from agent.models.inventory import Inventory
from agent.models.seed_abort import SEED_DEFAULT_ABORT, SeedAbortThreshold, native_abort, seed_abort
from agent.models.spec import (
    ExperimentSpec,
    Hypothesis,
    Line,
    Name,
    Namespace,
    Parameters,
    TargetSelector,
    Text,
)

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_EQUALITY = re.compile(r"\s*([^=!\s,()]+)\s*==?\s*([^=!\s,()]*)\s*")
_SET = re.compile(r"\s*([^\s,()]+)\s+in\s+\(([^()]*)\)\s*")
_SERVICE_LABELS = ("name", "app.kubernetes.io/name", "app")  # Sock Shop labels pods name=<svc>


def parse_selector(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` (``==`` too) as labels; ``k in (v)`` with one value is ``k=v``.

    Raises:
        ValueError: a set-based term with several values (Litmus's ``applabel`` takes equality
            terms only), ``!=``, ``notin`` or anything else that is not ``k=v``.
    """
    labels: dict[str, str] = {}
    for term in _terms(text):
        if (m := _SET.fullmatch(term)) is not None:
            values = [v.strip() for v in m.group(2).split(",") if v.strip()]
            if len(values) != 1:
                raise ValueError(f"set-based term {term.strip()!r}: Litmus's applabel takes k=v terms only; "
                                 f"pick one value, e.g. {m.group(1)}={values[0] if values else 'VALUE'}")
            labels[m.group(1)] = values[0]
        elif (m := _EQUALITY.fullmatch(term)) is not None:
            labels[m.group(1)] = m.group(2)
        else:
            raise ValueError(f"term {term.strip()!r} is not k=v (a selector looks like name=carts-db,tier=data)")
    if not labels:
        raise ValueError("empty label selector; give k=v, e.g. name=carts-db")
    return labels


def _terms(text: str) -> list[str]:
    """Split on commas outside parentheses (``k in (a,b)`` is one term)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def parse_duration(value: int | str) -> int:
    """Seconds from ``60``, ``"60s"``, ``"2m"``, ``"1h30m"``; ValueError otherwise."""
    if isinstance(value, int):
        return value
    m = _DURATION.fullmatch(value.strip())
    if not value.strip() or m is None:
        raise ValueError(f"{value!r} is not a duration; write 60 (seconds), '60s', '2m' or '1h30m'")
    h, mi, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mi * 60 + s


class SeedTargetSelector(Frozen):
    """The seed's target: a namespace, a label selector string and a workload kind."""

    namespace: Namespace
    label_selector: str = Field(min_length=1, max_length=2000, description=(
        "Kubernetes label selector, e.g. 'name=carts-db' or 'app=redis,tier=data' (== too); a set-based "
        "term with one value ('name in (carts-db)') is read as name=carts-db, with several it is refused "
        "(Litmus's applabel takes equality terms). → labels"))
    resource_type: Literal["deployment", "statefulset"] = Field("deployment", description="→ kind (Litmus appkind)")
    service: Name | None = Field(None, description=(
        "The target service. Absent: the value of the selector's name, app.kubernetes.io/name or app label "
        "(in that order), else of its only label; the policy checks it against the inventory."))

    @field_validator("label_selector")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_selector(value)
        return value

    def to_native(self) -> TargetSelector:
        labels = parse_selector(self.label_selector)
        service = self.service or next((labels[k] for k in _SERVICE_LABELS if labels.get(k)), None)
        if service is None and len(labels) == 1:
            service = next(iter(labels.values()))
        if not service:
            raise ValueError(f"target_selector: cannot tell the service from {self.label_selector!r}; "
                             "add target_selector.service or a name=<service> label")
        return TargetSelector(service=service, namespace=self.namespace, labels=labels, kind=self.resource_type)


class SeedParameters(Frozen):
    """The seed's parameters. Other keys are native :class:`Parameters` names, passed through."""

    model_config = ConfigDict(frozen=True, extra="allow")

    duration: Annotated[int, Strict()] | str = Field(description=(
        "60 (seconds), '60s', '2m' or '1h30m' → duration_s (TOTAL_CHAOS_DURATION)"))
    intensity: Annotated[float, Strict()] | None = Field(None, ge=0, le=1, allow_inf_nan=False, description=(
        "0..1 → percent of the fault's strength parameter: cpu_load_pct (pod-cpu-hog, CPU_LOAD), "
        "packet_loss_pct, packet_corruption_pct, packet_duplication_pct, fill_percentage (disk-fill); "
        "for faults without one (pod-delete, container-kill, memory hog, latency, dns) → "
        "pods_affected_perc (PODS_AFFECTED_PERC) unless replicas_to_kill is given"))
    replicas_to_kill: Annotated[int, Strict()] | None = Field(None, ge=1, description=(
        "1 → pods_affected_perc 0, which Litmus reads as exactly one pod. More than one is refused: the "
        "target's replica count is not known when the file is read; give intensity (a fraction of the "
        "replicas) instead"))

    @field_validator("replicas_to_kill")
    @classmethod
    def _one(cls, value: int | None) -> int | None:
        if value is not None and value > 1:
            raise ValueError(f"replicas_to_kill {value} needs the target's replica count, unknown when the file is "
                             "read; give intensity (the fraction of replicas, e.g. 0.5) instead, or 1")
        return value

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: int | str) -> int | str:
        parse_duration(value)
        return value

    def to_native(self, fault: Fault) -> Parameters:
        data: dict[str, object] = dict(self.model_extra or {})
        data["duration_s"] = parse_duration(self.duration)
        strength = fault.entry.strength  # the fault's own strength, which intensity (0..1) sets as a percent
        if self.intensity is not None and strength is not None:
            data[strength] = round(self.intensity * 100)
        if self.replicas_to_kill is not None:
            data["pods_affected_perc"] = 0
        elif self.intensity is not None and strength is None and not fault.entry.node_level:
            data["pods_affected_perc"] = round(self.intensity * 100)
        return Parameters.model_validate(data)


_SEED_NAMES = {fault: alias for alias, fault in aliases().items()}  # pod-delete is the seed's pod-kill


class SeedSpec(Frozen):
    """A spec in the seed's shape; :meth:`to_native` is the one place it becomes an ExperimentSpec."""

    title: str = Field(min_length=3, max_length=120)
    description: Text = ""
    env: Literal["k8s"] = "k8s"
    action: Fault = Field(description="A Litmus fault or a seed alias (pod-kill, network-delay, network-loss, ...)")
    target_selector: SeedTargetSelector
    parameters: SeedParameters
    abort_threshold: SeedAbortThreshold | Annotated[list[SeedAbortThreshold], Field(min_length=1, max_length=20)] = Field(
        SEED_DEFAULT_ABORT, description="One condition, or a list (abort when any holds). Absent: error_rate > 0.05 (5%)")
    expected_impact: Line = ""
    risk_level: RiskLevel = "medium"
    chaos_engine: Literal["litmuschaos", "litmus"] = "litmuschaos"
    rationale: Text = ""
    hypothesis: Hypothesis | None = None
    cluster: str | None = Field(None, description="→ cluster: the one of stack.yaml's clusters: it runs on (absent: the first)")

    @field_validator("action", mode="before")
    @classmethod
    def _seed_aliases(cls, value: object) -> object:
        return aliases().get(value, value) if isinstance(value, str) else value

    @field_serializer("action")
    def _seed_name(self, action: Fault) -> str:
        return _SEED_NAMES.get(action, action.value)  # written as the seed names it: pod-kill, network-delay, ...

    def to_native(self) -> ExperimentSpec:
        """The same experiment as a native spec; ValueError or ValidationError when it cannot be one."""
        return ExperimentSpec(
            title=self.title, description=self.description, action=self.action,
            target_selector=self.target_selector.to_native(), parameters=self.parameters.to_native(self.action),
            abort_threshold=native_abort(self.abort_threshold if isinstance(self.abort_threshold, list)
                                         else [self.abort_threshold]),
            expected_impact=self.expected_impact,
            risk_level=self.risk_level, rationale=self.rationale, hypothesis=self.hypothesis, cluster=self.cluster,
        )


def to_seed(spec: ExperimentSpec) -> SeedSpec:
    """``spec`` in the seed's shape (what ``suggest --format seed`` writes); ``to_native`` of it is ``spec``.

    The fault's strength percent becomes ``intensity``; one pod (``pods_affected_perc`` 0) becomes
    ``replicas_to_kill: 1``; other parameters keep their native names. ValueError for a spec
    without an abort threshold (the seed's shape would read that as its 5% default).
    """
    if spec.abort_threshold is None:
        raise ValueError(f"{spec.title}: no abort threshold; the seed's shape reads a missing one as error_rate > 0.05")
    params: dict[str, object] = spec.parameters.model_dump(
        mode="json", exclude_defaults=True, exclude={"duration_s", "pods_affected_perc"})
    strength, pods = spec.action.entry.strength, spec.parameters.pods_affected_perc
    if strength is not None and strength in params:
        params["intensity"] = getattr(spec.parameters, strength) / 100
        del params[strength]
    if pods == 0 and not spec.action.entry.node_level:
        params["replicas_to_kill"] = 1
    elif pods:
        params["intensity" if strength is None else "pods_affected_perc"] = pods / 100 if strength is None else pods
    sel = spec.target_selector
    return SeedSpec(
        title=spec.title, description=spec.description, action=spec.action,
        target_selector=SeedTargetSelector(namespace=sel.namespace, label_selector=sel.label_selector,
                                           resource_type=sel.kind, service=sel.service),
        parameters=SeedParameters.model_validate({"duration": f"{spec.parameters.duration_s}s", **params}),
        abort_threshold=seed_abort(spec.abort_threshold), expected_impact=spec.expected_impact,
        risk_level=spec.risk_level, rationale=spec.rationale, hypothesis=spec.hypothesis, cluster=spec.cluster,
    )


def is_seed(data: object) -> bool:
    """True when a parsed spec file is in the seed's shape (any of its own keys or values)."""
    if not isinstance(data, dict):
        return False
    def keys(field: str) -> set[str]:
        value = data.get(field)
        return {str(k) for k in value} if isinstance(value, dict) else set()

    return bool(data.get("chaos_engine") == "litmuschaos"
                or keys("target_selector") & {"label_selector", "resource_type"}
                or keys("parameters") & {"duration", "intensity", "replicas_to_kill"}
                or "metric" in keys("abort_threshold")
                or isinstance(data.get("abort_threshold"), list))


def no_match_hint(selector: TargetSelector, inventory: Inventory) -> str | None:
    """None when some pod in the selector's namespace matches it; else what to write instead, e.g.
    ``no pod matches app=redis in sock-shop; did you mean name=session-db?`` (session-db's type is
    redis). Matches a label value against the targets' names, then their types, then by spelling."""
    ns = selector.namespace
    if any(p.namespace == ns and all(p.labels.get(k) == v for k, v in selector.labels.items()) for p in inventory.pods):
        return None
    targets = [t for t in inventory.targets if t.namespace == ns and t.selector]
    values = set(selector.labels.values())
    best = (next((t for t in targets if t.name in values), None)
            or next((t for t in targets if t.type in values or t.store in values), None))
    if best is None:
        close = [m for v in values for m in difflib.get_close_matches(v, [t.name for t in targets], n=1, cutoff=0.6)]
        best = next((t for t in targets if close and t.name == close[0]), None)
    said = f"no pod matches {selector.label_selector} in {ns}"
    if best is not None:
        return f"{said}; did you mean {_selector(best.selector)}?"
    known = ", ".join(_selector(t.selector) for t in targets[:5])
    return f"{said}; its services' selectors: {known or 'none (is the namespace right?)'}"


def _selector(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
