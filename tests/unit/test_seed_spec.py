"""The seed's spec dialect: parsed by its own model, normalised once into the strict native spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.design.propose import load_spec
from agent.errors import SpecInvalid
from agent.models import ExperimentSpec, Fault
from agent.models.seed import SeedSpec, is_seed, no_match_hint, parse_duration, parse_selector
from tests.factories import inventory, target

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "seed" / "redis_primary_pod_kill.json"


def seed(**changes: object) -> dict[str, object]:
    data: dict[str, object] = json.loads(EXAMPLE.read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = {**data[section], field: value}  # type: ignore[dict-item]
        else:
            data[section] = value
    return data


def native(**changes: object) -> ExperimentSpec:
    return SeedSpec.model_validate(seed(**changes)).to_native()


def test_the_origin_documents_example_loads_as_a_native_spec() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.action == Fault.POD_DELETE
    assert (spec.target_selector.service, spec.target_selector.labels, spec.target_selector.kind) == (
        "redis", {"app": "redis"}, "statefulset")
    assert (spec.parameters.duration_s, spec.parameters.pods_affected_perc) == (60, 0)  # replicas_to_kill 1 = one pod
    assert spec.abort_threshold is not None
    [cond] = spec.abort_threshold.all_conditions()
    assert (cond.signal, cond.op, cond.value, cond.service) == ("error_rate_pct", ">", 5.0, "*")
    assert spec.chaos_engine == "litmus"


@pytest.mark.parametrize(("text", "seconds"), [(60, 60), ("60s", 60), ("2m", 120), ("1h30m", 5400), ("90", None), ("", None)])
def test_durations(text: int | str, seconds: int | None) -> None:
    if seconds is None:
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(text)
    else:
        assert parse_duration(text) == seconds


def test_selectors() -> None:
    assert parse_selector("app=redis, tier==data") == {"app": "redis", "tier": "data"}
    assert parse_selector("name in (carts-db)") == {"name": "carts-db"}
    with pytest.raises(ValueError, match="set-based term 'name in \\(a,b\\)'.*e.g. name=a"):
        parse_selector("name in (a,b)")
    with pytest.raises(ValueError, match="is not k=v"):
        parse_selector("app!=redis")


def test_intensity_sets_the_faults_strength_or_the_share_of_pods() -> None:
    cpu = native(action="pod-cpu-hog", parameters={"duration": "2m", "intensity": 0.8})
    assert (cpu.parameters.duration_s, cpu.parameters.cpu_load_pct, cpu.parameters.pods_affected_perc) == (120, 80, 0)
    loss = native(action="network-loss", parameters={"duration": 30, "intensity": 0.25})
    assert loss.parameters.packet_loss_pct == 25
    kill = native(parameters={"duration": "30s", "intensity": 0.5})
    assert kill.parameters.pods_affected_perc == 50
    latency = native(action="network-delay", parameters={"duration": "30s", "network_latency_ms": 200})
    assert latency.parameters.network_latency_ms == 200  # native names pass through


def test_what_has_no_native_form_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="replicas_to_kill 2 needs the target's replica count"):
        native(parameters={"duration": "60s", "replicas_to_kill": 2})
    with pytest.raises(ValueError, match="error_rate is a fraction.*did you mean 0.05"):
        native(abort_threshold={"metric": "error_rate", "value": 5})
    with pytest.raises(ValidationError, match="daemonset|deployment"):
        native(target_selector__resource_type="daemonset")


def test_abort_units_and_the_seeds_default() -> None:
    latency = native(abort_threshold={"metric": "latency_p95", "value": 0.5, "operator": ">="})
    assert latency.abort_threshold is not None
    assert [(c.signal, c.op, c.value) for c in latency.abort_threshold.all_conditions()] == [("latency_p95_ms", ">=", 500.0)]
    data = seed()
    del data["abort_threshold"]
    default = SeedSpec.model_validate(data).to_native().abort_threshold
    assert default is not None
    assert [(c.signal, c.value, c.service) for c in default.all_conditions()] == [("error_rate_pct", 5.0, "*")]


def test_the_service_comes_from_the_selector_or_is_given() -> None:
    assert native(target_selector__label_selector="name=carts-db,tier=data").target_selector.service == "carts-db"
    assert native(target_selector__service="session-db").target_selector.service == "session-db"
    with pytest.raises(ValueError, match="cannot tell the service"):
        native(target_selector__label_selector="tier=data,zone=a")


def test_the_native_model_stays_strict() -> None:
    assert not is_seed(json.loads(load_spec(EXAMPLE).model_dump_json()))
    data = json.loads(load_spec(EXAMPLE).model_dump_json())
    data["parameters"]["duration_s"] = "60"
    with pytest.raises(ValidationError):
        ExperimentSpec.model_validate_json(json.dumps(data))


def test_a_bad_seed_file_names_the_field_and_the_seed_schema(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(seed(parameters__duration="sixty")))
    with pytest.raises(SpecInvalid, match=r"parameters\.duration: .*'sixty' is not a duration.*schema --dialect seed"):
        load_spec(path)


def test_a_selector_that_matches_nothing_gets_a_suggestion() -> None:
    shop = inventory(target("carts-db", tier="data", store="mongodb", namespace="sock-shop"),
                     target("session-db", tier="data", store="redis", namespace="sock-shop"))
    spec = load_spec(EXAMPLE)
    assert no_match_hint(spec.target_selector, shop) == "no pod matches app=redis in sock-shop; did you mean name=session-db?"
    carts = native(target_selector__label_selector="name=carts-bd")
    assert no_match_hint(carts.target_selector, shop) == "no pod matches name=carts-bd in sock-shop; did you mean name=carts-db?"
    assert no_match_hint(native(target_selector__label_selector="name=carts-db").target_selector, shop) is None
