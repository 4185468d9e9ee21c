"""Custom experiment templates: the schema and its errors, the planner's use of them, the policy
over them, and the LLM designer's schema, prompt and hold on them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from agent.adapters.llm_designer import _Answer, _specs, build_prompt, to_spec
from agent.adapters.llm_schema import LLMExperiment, LLMParameters, strict_schema
from agent.config import Policy
from agent.config.templates import load_templates
from agent.design.planner import PlannerDesigner
from agent.design.propose import design
from agent.design.templates import held_to, within_policy
from agent.errors import LLMOutputInvalid
from agent.models import Fault, LLMUsage
from agent.models.template import ExperimentTemplate
from tests.factories import shop

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "templates" / "template.schema.json").read_text(encoding="utf-8"))
POLICY = Policy(namespaces=["shop"], actions=[f for f in Fault if not f.entry.high_risk])

API_LATENCY: dict[str, Any] = {
    "name": "api-latency",
    "description": "Slow api down and see whether web waits or fails.",
    "fault": "pod-network-latency",
    "fits": {"services": ["api"]},
    "parameters": {"duration_s": {"default": 60, "min": 30, "max": 120},
                   "network_latency_ms": {"default": 800, "min": 200, "max": 1500}},
    "hypothesis": {"statement": "{service} answers ~800 ms later and users wait at {edge}; nothing fails",
                   "expected": [{"service": "{service}", "signal": "latency_p95_ms", "peak": 800}]},
    "abort": {"error_rate_pct": 5, "latency_p95_ms": 4000},
}


def with_(changes: dict[str, Any], base: dict[str, Any] = API_LATENCY) -> dict[str, Any]:
    """``base`` with ``changes`` merged in (nested dicts merged; None removes a key)."""
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = with_(v, out[k])
        else:
            out[k] = v
    return out


def folder(tmp_path: Path, **files: dict[str, Any] | str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        text = body if isinstance(body, str) else yaml.safe_dump(body)
        (tmp_path / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def refusal(tmp_path: Path, body: dict[str, Any] | str) -> str:
    loaded = load_templates(folder(tmp_path, bad=body))
    assert loaded.templates == [] and len(loaded.refused) == 1
    return str(loaded.refused[0])


# --- the schema and its errors ------------------------------------------------------------------


def test_the_shipped_example_is_valid_against_the_shipped_json_schema() -> None:
    loaded = load_templates(ROOT / "templates")
    assert loaded.refused == [] and [t.name for t in loaded.templates] == ["checkout-latency"]
    data = yaml.safe_load((ROOT / "templates" / "checkout-latency.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert loaded.templates[0].fault == Fault.POD_NETWORK_LATENCY


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"fault": None}, "fault", "missing; add it"),
    ({"fault": "pod-explode"}, "fault", "unknown fault 'pod-explode'"),
    ({"parameters": {"network_latency_ms": {"max": 90_000}}}, "parameters.network_latency_ms.max",
     "less than or equal to 60000"),  # wider than the fault's own bound
    ({"parameters": {"duration_s": {"min": 0}}}, "parameters.duration_s.min", "greater than 0"),
    ({"parameters": {"cpu_cores": {"default": 1}}}, "parameters.cpu_cores", "pod-network-latency does not take it"),
])
def test_schema_errors_name_the_file_the_field_and_the_problem_and_jsonschema_agrees(
        tmp_path: Path, changes: dict[str, Any], field: str, problem: str) -> None:
    body = with_(changes)
    message = refusal(tmp_path, body)
    assert message.startswith(f"{tmp_path / 'bad.yaml'} {field}: "), message
    assert problem in message and "template.schema.json" in message
    if field != "parameters.cpu_cores":  # which parameters a fault takes is the model's check, not the schema's
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(body, SCHEMA, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize(("changes", "field", "problem"), [
    ({"parameters": {"network_latency_ms": {"default": 2000}}}, "parameters.network_latency_ms.default",
     "2000 is outside its bounds 200..1500"),
    ({"parameters": {"duration_s": {"min": 200, "max": 100, "default": 150}}}, "parameters.duration_s",
     "min 200 is above max 100"),
    ({"fault": "control"}, "fault", "control injects nothing"),
    ({"fits": {"services": []}}, "fits", "name at least one of services, tiers or types"),
    ({"hypothesis": {"statement": "users wait at {front}"}}, "hypothesis.statement", "unknown placeholder {front}"),
    ({"abort": {"error_rate_pct": None, "latency_p95_ms": None}}, "abort", "set error_rate_pct or latency_p95_ms"),
    ({"name": "Api Latency"}, "name", "should match pattern"),
    ({"colour": "red"}, "colour", "unknown key"),
])
def test_the_models_own_checks_name_the_field_and_the_problem(
        tmp_path: Path, changes: dict[str, Any], field: str, problem: str) -> None:
    message = refusal(tmp_path, with_(changes))
    assert message.startswith(f"{tmp_path / 'bad.yaml'} {field}: "), message
    assert problem in message


def test_a_file_that_is_no_template_is_refused_with_why(tmp_path: Path) -> None:
    assert "not valid YAML" in refusal(tmp_path, "name: [unclosed\n")
    assert "the top level must be a mapping" in refusal(tmp_path, "- a list\n")


def test_a_bad_template_is_refused_the_rest_load_and_the_proposals_do_not_change(tmp_path: Path) -> None:
    alone = load_templates(folder(tmp_path / "one", good=API_LATENCY))
    both = load_templates(folder(tmp_path / "two", good=API_LATENCY, bad=with_({"fault": "pod-explode"}),
                                 twin=with_({"description": "the same name again"})))
    assert [t.name for t in both.templates] == ["api-latency"]
    assert [(r.path.name, r.reason.split(":")[0]) for r in both.refused] == [("bad.yaml", " fault"), ("twin.yaml", " name")]
    assert "is used by good.yaml already" in str(both.refused[1])
    ranked = PlannerDesigner(templates=both.templates).rank(shop(), 100)
    assert ranked == PlannerDesigner(templates=alone.templates).rank(shop(), 100)


def test_a_missing_folder_is_no_templates(tmp_path: Path) -> None:
    loaded = load_templates(tmp_path / "nowhere")
    assert loaded.templates == [] and loaded.refused == []


# --- the planner ---------------------------------------------------------------------------------


def template(changes: dict[str, Any] | None = None) -> ExperimentTemplate:
    return ExperimentTemplate.model_validate(with_(changes or {}))


def test_the_planner_proposes_a_template_for_the_services_it_fits_only() -> None:
    ranked = PlannerDesigner(templates=[template()]).rank(shop(), 100)
    used = [c.spec for c in ranked if c.spec.rationale.startswith("from template api-latency")]
    assert [s.target_selector.service for s in used] == ["api"]
    spec = used[0]
    assert spec.title == "api api-latency" and spec.action == Fault.POD_NETWORK_LATENCY
    assert (spec.parameters.duration_s, spec.parameters.network_latency_ms) == (60, 800)
    assert spec.hypothesis is not None and spec.hypothesis.statement.startswith("api answers ~800 ms later")
    assert "users wait at web" in spec.hypothesis.statement
    assert [(e.service, e.peak) for e in spec.hypothesis.expected] == [("api", 800.0)]
    assert spec.abort_threshold is not None and spec.abort_threshold.service == "web"
    assert (spec.abort_threshold.error_rate_pct, spec.abort_threshold.latency_p95_ms) == (5, 4000)
    # scored as the planner scores that fault there (the built-in idea of the same fault on api)
    builtin = next(c for c in ranked if c.spec.action == Fault.POD_NETWORK_LATENCY
                   and c.spec.target_selector.service == "api" and c.spec is not spec)
    assert next(c.score for c in ranked if c.spec is spec) == builtin.score


def test_a_template_by_tier_fits_every_service_of_that_tier() -> None:
    by_tier = template({"name": "store-restart", "fault": "pod-delete", "fits": {"services": [], "tiers": ["data"]},
                        "parameters": {"network_latency_ms": None},
                        "hypothesis": {"expected": [], "statement": "{service} restarts and {edge} recovers"}})
    ranked = PlannerDesigner(templates=[by_tier]).rank(shop(), 100)
    assert [c.spec.target_selector.service for c in ranked if "template store-restart" in c.spec.rationale] == ["db"]


def test_a_template_counts_as_its_own_kind_for_variety() -> None:
    ranked = PlannerDesigner(templates=[template()]).rank(shop(), 8)
    assert any(c.spec.rationale.startswith("from template api-latency") for c in ranked)
    assert not any(c.spec.rationale.startswith("from template") for c in PlannerDesigner().rank(shop(), 8))


def test_a_template_whose_fault_the_policy_does_not_allow_is_not_proposed() -> None:
    planner = PlannerDesigner(actions=[Fault.POD_DELETE], templates=[template()])
    assert not any("from template" in c.spec.rationale for c in planner.rank(shop(), 100))


def test_bounds_never_exceed_the_policy_and_the_policy_still_judges_the_spec() -> None:
    wide = template({"parameters": {"duration_s": {"default": 600, "min": 30, "max": 900}}})
    narrowed = within_policy(wide, POLICY.model_copy(update={"max_duration_s": 120}))
    assert narrowed.limits("duration_s") == (30, 120) and narrowed.defaults().duration_s == 120
    assert within_policy(template(), POLICY) == template()  # already inside: unchanged
    planner = PlannerDesigner(actions=POLICY.actions, templates=[narrowed])
    out = design(shop(), planner, POLICY.model_copy(update={"max_duration_s": 120}), count=20)
    assert any(c.spec.rationale.startswith("from template") for c in out.candidates)
    # a template that cannot fit the policy is proposed as written and refused, with the rule
    beyond = template({"parameters": {"duration_s": {"default": 600, "min": 300, "max": 900}}})
    strict = POLICY.model_copy(update={"max_duration_s": 120})
    kept = within_policy(beyond, strict)
    assert kept == beyond
    out = design(shop(), PlannerDesigner(actions=POLICY.actions, templates=[kept]), strict, count=100)
    assert [r.title for r in out.rejected] == ["api api-latency"] and "max_duration_s" in out.rejected[0].rule


# --- the LLM designer ----------------------------------------------------------------------------


def llm_item(template_name: str | None, **parameters: Any) -> LLMExperiment:
    params: dict[str, Any] = {name: None for name in LLMParameters.model_fields}
    params.update({"duration_s": 60, "network_latency_ms": 800, **parameters})
    return LLMExperiment.model_validate({
        "title": "Api latency", "description": "slow api", "action": "pod-network-latency", "target_service": "api",
        "parameters": params, "abort_threshold": {"service": "web", "error_rate_pct": 5, "latency_p95_ms": None},
        "risk_level": "medium", "expected_impact": "web waits", "rationale": "api is on every path",
        "hypothesis": {"statement": "web slows", "affected_services": ["api", "web"], "expected": [], "recovery_s": 60},
        "template": template_name,
    })


def test_the_llm_schema_offers_the_templates_and_only_when_there_are_some() -> None:
    schema: Any = strict_schema(["api-latency", "checkout-latency"])["schema"]
    item = schema["$defs"]["LLMExperiment"]
    assert item["properties"]["template"]["anyOf"][0]["enum"] == ["api-latency", "checkout-latency"]
    assert "template" in item["required"]  # strict mode: present, null when unused
    assert "template" not in json.dumps(strict_schema())
    prompt = build_prompt(shop(), policy=POLICY, count=3, max_tokens=6000, templates=[template()])
    assert "- api-latency: pod-network-latency on services that fit (services api)" in prompt.user
    assert "network_latency_ms 200..1500 (default 800)" in prompt.user
    assert prompt.schema_tokens > build_prompt(shop(), policy=POLICY, count=3, max_tokens=6000).schema_tokens
    assert "api-latency" not in build_prompt(shop(), policy=POLICY.model_copy(update={"actions": [Fault.POD_DELETE]}),
                                             count=3, max_tokens=6000, templates=[template()]).user


def test_an_llm_spec_naming_a_template_is_held_to_it() -> None:
    templates = {"api-latency": template()}
    spec = held_to(to_spec(llm_item("api-latency"), shop()), "api-latency", templates, shop())
    assert spec.rationale.startswith("from template api-latency; api is on every path")
    assert spec.hypothesis is not None and spec.hypothesis.statement.startswith("api answers ~800 ms later")
    plain = to_spec(llm_item(None), shop())
    assert held_to(plain, None, templates, shop()) == plain
    for item, problem in [
        (llm_item("api-latency", network_latency_ms=5000), "parameters.network_latency_ms: 5000 is outside"),
        (llm_item("nope"), "no template 'nope'; use one of api-latency"),
    ]:
        with pytest.raises(ValueError, match=problem):
            held_to(to_spec(item, shop()), item.template, templates, shop())
    other = with_({"target_service": "db"}, llm_item("api-latency").model_dump())
    with pytest.raises(ValueError, match="does not fit db"):
        held_to(to_spec(LLMExperiment.model_validate(other), shop()), "api-latency", templates, shop())


def test_an_answer_straying_from_its_template_is_invalid_output_naming_the_item() -> None:
    answer = {"experiments": [llm_item(None).model_dump(), llm_item("api-latency", duration_s=500).model_dump()]}
    with pytest.raises(LLMOutputInvalid, match=r"experiments\[1\]\.template: parameters\.duration_s: 500"):
        _specs(_Answer(text="", parsed=answer, parse_error=None, usage=LLMUsage()), shop(), {"api-latency": template()})
