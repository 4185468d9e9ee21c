"""A custom experiment template: a person's own experiment, written in YAML, that the planner and
the LLM designer use like a built-in fault (``agent.design.templates``).

A template names a fault of the registry (``agent.models.faults``), the services it fits (by name,
tier or kind), its parameters with a default and bounds, the hypothesis it tests and, optionally, a
default abort condition. Its JSON Schema is generated from :class:`ExperimentTemplate`
(``python -m agent templates --schema``, shipped as ``templates/template.schema.json`` for editors):
each parameter's own limits are those of :class:`agent.models.Parameters`, so bounds wider than the
fault's own fail the schema. What a schema cannot say is checked by the model's validator: the
fault takes the parameter, ``min <= default <= max``, and only ``{service}`` and ``{edge}`` are
filled into the texts.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, model_validator

from agent.models.base import SignalName, Tier
from agent.models.faults import Fault
from agent.models.spec import Line, Name, Number, Parameters, Text

PLACEHOLDERS = ("service", "edge")  # the target's name; the entry point whose errors users see


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _placeholders(text: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as e:  # a lone "{" or "}"
        raise ValueError(f"{e}; write {{{{ or }}}} for a literal brace") from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; use {{service}} (the target) or {{edge}} "
                         "(the entry point users reach)")
    return text


Templated = Annotated[str, AfterValidator(_placeholders)]


def _numeric(annotation: Any) -> bool:
    base = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    return base in (int, float)


def _bounds_model(name: str) -> type[_Strict]:
    """``{default, min, max}`` for a numeric parameter of Parameters, each under the field's own
    limits (a bound wider than the fault's own fails the schema); ``{default}`` for the others."""
    info = Parameters.model_fields[name]
    kind = next((a for a in get_args(info.annotation) if a is not type(None)), info.annotation)
    value: Any = Annotated[kind, *info.metadata] if info.metadata else kind
    fields: dict[str, Any] = {"default": (value, Field(description=f"{info.description}: the value used"))}
    if _numeric(kind):
        fields["min"] = (value | None, Field(None, description="the least value a designer may pick; default: the fault's own"))
        fields["max"] = (value | None, Field(None, description="the largest value a designer may pick; default: the fault's own"))
    title = "".join(p.title() for p in name.split("_")) + "Bounds"
    return create_model(title, __base__=_Strict, __doc__=f"{name}: {info.description}", **fields)


def _parameters_model() -> type[_Strict]:
    fields: dict[str, Any] = {
        name: (_bounds_model(name), ...) if name == "duration_s" else (_bounds_model(name) | None, None)
        for name in Parameters.model_fields
    }
    return create_model("TemplateParameters", __base__=_Strict,
                        __doc__="The parameters the fault takes, each with its default and bounds", **fields)


if TYPE_CHECKING:  # mypy cannot type a model built at runtime; its fields are Parameters'
    TemplateParameters = _Strict
else:
    TemplateParameters = _parameters_model()


class Fits(_Strict):
    """Which services a template fits: every list given must hold (an empty list: any)."""

    services: list[Name] = Field([], max_length=100, description="service names, e.g. payment")
    tiers: list[Tier] = Field([], max_length=10, description="stack.yaml tiers, e.g. business")
    types: list[Annotated[str, Field(max_length=63)]] = Field(
        [], max_length=50, description="service kinds (stack.yaml type), e.g. go, java, mongodb")

    @model_validator(mode="after")
    def _something(self) -> Fits:
        if not (self.services or self.tiers or self.types):
            raise ValueError("name at least one of services, tiers or types")
        return self


class TemplateExpected(_Strict):
    service: Templated = Field(max_length=253, description="a service name, {service} or {edge}")
    signal: SignalName
    peak: Number = Field(ge=0, description="in the signal's unit: %, ms, millicores or MiB")


class TemplateHypothesis(_Strict):
    statement: Templated = Field(min_length=10, max_length=2000, description="what should happen; "
                                 "{service} and {edge} are filled in")
    expected: list[TemplateExpected] = Field([], max_length=20)
    recovery_s: Number | None = Field(None, ge=0, le=86_400, description="seconds from injection to full "
                                      "recovery; default: the duration plus 5 s")


class TemplateAbort(_Strict):
    """The default abort condition: stop when ``service`` crosses either limit."""

    service: Templated = Field("{edge}", max_length=253, description="watched service, {service} or {edge}")
    error_rate_pct: Number | None = Field(None, gt=0, le=100)
    latency_p95_ms: Number | None = Field(None, gt=0)
    reason: Line = Field("", description="why a limit is looser than the default 5% at the edge")

    @model_validator(mode="after")
    def _a_limit(self) -> TemplateAbort:
        if self.error_rate_pct is None and self.latency_p95_ms is None:
            raise ValueError("set error_rate_pct or latency_p95_ms (at least one)")
        return self


class ExperimentTemplate(_Strict):
    """A custom experiment template (one YAML file in the templates folder)."""

    name: str = Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=60,
                      description="lower-case words joined by '-', e.g. checkout-latency")
    description: Text = ""
    fault: Fault = Field(description="a fault of the registry (python -m agent schema lists them under action)")
    fits: Fits
    parameters: TemplateParameters  # built from Parameters' fields
    hypothesis: TemplateHypothesis
    abort: TemplateAbort | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentTemplate:
        entry = self.fault.entry
        if entry.control:
            raise ValueError("fault: control injects nothing; a template names a fault (run --control runs the control)")
        for name, bounds in self.bounds().items():
            if name not in entry.parameters:
                raise ValueError(f"parameters.{name}: {self.fault} does not take it; it takes "
                                 f"{', '.join(entry.parameters)}")
            low, high = getattr(bounds, "min", None), getattr(bounds, "max", None)
            if low is not None and high is not None and low > high:
                raise ValueError(f"parameters.{name}: min {low} is above max {high}")
            if (low is not None and bounds.default < low) or (high is not None and bounds.default > high):
                raise ValueError(f"parameters.{name}.default: {bounds.default} is outside its bounds "
                                 f"{_shown(low)}..{_shown(high)}")
        return self

    def bounds(self) -> dict[str, Any]:
        """Each parameter given, by name, with its default and bounds."""
        return {n: b for n in Parameters.model_fields if (b := getattr(self.parameters, n)) is not None}

    def limits(self, name: str) -> tuple[float | None, float | None]:
        """``name``'s (min, max) in this template; None where the fault's own limit applies."""
        b = self.bounds().get(name)
        return (getattr(b, "min", None), getattr(b, "max", None)) if b is not None else (None, None)

    def defaults(self) -> Parameters:
        """The parameters at their defaults."""
        return Parameters.model_validate({n: b.default for n, b in self.bounds().items()})


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def template_schema() -> dict[str, Any]:
    """The JSON Schema of a template file (what ``templates/template.schema.json`` holds)."""
    schema = ExperimentTemplate.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "template.schema.json", **schema}
