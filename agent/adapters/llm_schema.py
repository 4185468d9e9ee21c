"""What the model may answer: a strict-mode friendly schema (no free-form dicts, every field
required, null for "not used"), checked once here and then converted into ExperimentSpecs.

The model names a fault and a service; it never names a namespace, labels or a workload kind
(code takes those from the inventory), and it never ranks (code does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import openai
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, WithJsonSchema, create_model

from agent.models import Fault, Parameters, RiskLevel, SignalName

JsonObject = dict[str, JsonValue]  # a JSON object, e.g. a JSON Schema document


class ResponseFormat(TypedDict):
    """An OpenAI ``json_schema`` response format. ``with_structured_output`` types its argument as
    a plain dict, so it is handed over as ``dict(response_format)``."""

    name: str
    description: str
    schema: JsonObject  # the JSON Schema the answer must match
    strict: bool  # strict mode: the model's output is constrained to the schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _llm_parameters() -> type[_Strict]:
    # agent.models.Parameters as the model answers it: the same fields, types and descriptions, each
    # one required and null when the action does not use it (strict mode has no defaults). Derived,
    # so a parameter added there is in the schema the model reads; never retyped here.
    fields: dict[str, Any] = {}
    for name, info in Parameters.model_fields.items():
        annotation: Any = info.annotation
        fields[name] = (annotation if info.is_required() else annotation | None, Field(description=info.description))
    return create_model("LLMParameters", __base__=_Strict,
                        __doc__="The fields of ``agent.models.Parameters``, flat; null = not used by this action.",
                        **fields)


if TYPE_CHECKING:  # mypy cannot type a model built at runtime; its fields are Parameters'
    LLMParameters = _Strict
else:
    LLMParameters = _llm_parameters()


class LLMAbort(_Strict):
    """Stop when ``service`` crosses either limit (null = that limit unused; set at least one)."""

    service: str
    error_rate_pct: float | None = Field(description="%")
    latency_p95_ms: float | None = Field(description="ms")


class LLMExpected(_Strict):
    service: str
    signal: SignalName
    peak: float = Field(description="in the signal's unit: %, ms, millicores or MiB")


class LLMHypothesis(_Strict):
    statement: str
    affected_services: list[str]
    expected: list[LLMExpected]
    recovery_s: float = Field(description="seconds from injection to full recovery")


def _a_fault(action: Fault) -> Fault:
    if action.entry.control:
        raise ValueError("control injects nothing: a person runs it with `run --control`; propose a fault")
    return action


class _Faults(WithJsonSchema):
    """The registry's faults without the no-fault control, read when the schema is built (so a
    fault registered later is offered too)."""

    def __init__(self) -> None:
        super().__init__(None)

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        from agent.models.faults import FAULTS

        return {"type": "string", "enum": [str(f) for f, e in FAULTS.items() if not e.control]}


class LLMExperiment(_Strict):
    """One proposed experiment."""

    title: str
    description: str
    action: Annotated[Fault, AfterValidator(_a_fault), _Faults()]
    target_service: str = Field(description="a service name listed in the cluster data")
    parameters: LLMParameters
    abort_threshold: LLMAbort
    risk_level: RiskLevel
    expected_impact: str
    rationale: str
    hypothesis: LLMHypothesis
    # Offered only when custom templates are loaded (strict_schema(templates)); absent = null.
    template: str | None = Field(None, description="the custom template this experiment follows, or null")


class LLMDesign(_Strict):
    """The whole answer."""

    experiments: list[LLMExperiment]


def strict_schema(templates: Sequence[str] = ()) -> JsonObject:
    """``LLMDesign`` as an OpenAI ``json_schema`` response format (strict; the keys of
    :class:`ResponseFormat`), built by the openai client's own converter, which inlines ``$ref``
    siblings and closes every object. ``templates``: the custom templates' names, offered as
    ``template`` (an enum or null); with none, the field is left out."""
    function = openai.pydantic_function_tool(
        LLMDesign, name="experiment_design", description="Proposed chaos experiments"
    )["function"]
    schema = _untitled(function["parameters"])
    item = schema["$defs"]["LLMExperiment"]
    if templates:
        item["properties"]["template"] = {"anyOf": [{"type": "string", "enum": list(templates)}, {"type": "null"}],
                                          "description": item["properties"]["template"]["description"]}
    else:
        del item["properties"]["template"]
        item["required"].remove("template")
    return {"name": function["name"], "description": function.get("description", ""), "schema": schema, "strict": True}


def _untitled(node: Any, *, names: bool = False) -> Any:
    """The schema without pydantic's ``title`` keywords and the enum's docstring: tokens, no
    meaning. ``names``: ``node`` maps property (or definition) names, which are kept as they are."""
    if isinstance(node, dict):
        return {k: _untitled(v, names=k in ("properties", "$defs") and not names) for k, v in node.items()
                if names or (k != "title" and not (k == "description" and "enum" in node))}
    if isinstance(node, list):
        return [_untitled(v) for v in node]
    return node
