"""A fault lives in one place: its registry entry (``agent.models.faults``), plus the twin's
simulation of it. Everything else (action names, schemas, Litmus env, policy, planner, report)
derives from the entry, so a fault registered in one entry shows up everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from agent.adapters.llm_schema import LLMParameters, strict_schema
from agent.cli.design import schema
from agent.config import Policy
from agent.design.planner import PlannerDesigner
from agent.design.policy import violations
from agent.engines.litmus import render as render_engine
from agent.models import FAULTS, ExperimentSpec, Fault, Parameters, RunEvent, Sample, Signals
from agent.models.faults import Advice, FaultEntry, PlannerHook, register
from agent.report.record import RunRecord
from agent.report.render import render as render_report
from tests.factories import T0, shop, spec
from twin.faults import SIMULATIONS, PodEffect, Simulation

IO_STRESS = FaultEntry(
    "pod-io-stress", "disk I/O saturation: slow reads and writes", "medium",
    {"duration_s": "TOTAL_CHAOS_DURATION", "pods_affected_perc": "PODS_AFFECTED_PERC"}, "duration",
    chart_signal="latency_p95_ms", planner=PlannerHook("injection"), default_allowed=True,
    advice=Advice("callers_hit", "Give {service}'s disk I/O its own budget so {callers} do not wait on it.",
                  "the I/O stress of {service} slowed {callers}."),
)
RATE_LIMIT = FaultEntry(  # off by default and high-risk: refused unless a person opts in
    "pod-network-rate-limit", "throughput limits on a dependency", "high",
    {"duration_s": "TOTAL_CHAOS_DURATION", "destination_hosts": "DESTINATION_HOSTS"}, "duration",
)


def _slow_io(effect: PodEffect, params: dict[str, str], restarted: bool) -> None:
    effect.latency_ms += 300.0


@pytest.fixture
def extra_faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Fault]]:
    """Two faults added the way a new one is: a registry entry each, and the twin's simulation."""
    added = [register(IO_STRESS), register(RATE_LIMIT)]
    for fault in added:
        monkeypatch.setitem(SIMULATIONS, fault.value, Simulation(effect=_slow_io))
    yield added
    for fault in added:
        del FAULTS[fault]


def test_the_registry_is_the_one_list_of_faults() -> None:
    names = list(FAULTS)
    assert [f.value for f in Fault] == names
    assert {f for f in vars(Fault).values() if isinstance(f, Fault)} == set(FAULTS)  # Fault.POD_DELETE, ...
    assert ExperimentSpec.model_json_schema()["properties"]["action"]["enum"] == names
    with pytest.raises(ValueError, match="unknown fault 'pod-explode'; use one of pod-delete"):
        Fault("pod-explode")
    with pytest.raises(ValueError, match="registered already"):
        register(FAULTS[Fault.POD_DELETE])


def test_the_llm_parameter_schema_is_derived_not_retyped() -> None:
    assert list(LLMParameters.model_fields) == list(Parameters.model_fields)
    for name, field in Parameters.model_fields.items():
        assert LLMParameters.model_fields[name].description == field.description, name
        assert field.description, f"Parameters.{name} needs a description: the model reads it"
    llm = strict_schema()["schema"]
    assert llm["$defs"]["LLMExperiment"]["properties"]["action"]["enum"] == [f for f, e in FAULTS.items() if not e.control]


def test_every_fault_has_a_twin_simulation_of_its_kind() -> None:
    for fault, entry in FAULTS.items():
        if entry.control:  # injects nothing: no ChaosEngine reaches the twin
            assert fault.value not in SIMULATIONS
            continue
        simulation = SIMULATIONS.get(fault.value)
        assert simulation is not None, f"the twin cannot play {fault}: add it to twin.faults.SIMULATIONS"
        assert simulation.repeats == (entry.kind == "instant"), fault  # kills again every CHAOS_INTERVAL
        assert entry.node_level or simulation.act or simulation.effect, fault


def test_a_parameter_keeps_one_env_variable() -> None:
    clash = FaultEntry("pod-clash", "x", "low", {"duration_s": "CHAOS_DURATION"}, "duration")
    with pytest.raises(ValueError, match="duration_s -> CHAOS_DURATION .elsewhere TOTAL_CHAOS_DURATION."):
        register(clash)
    assert "pod-clash" not in FAULTS


def test_a_fault_registered_in_one_entry_is_in_the_schema(extra_faults: list[Fault], capsys: pytest.CaptureFixture[str]) -> None:
    schema()  # `python -m agent schema`
    printed = json.loads(capsys.readouterr().out)
    assert printed["properties"]["action"]["enum"][-2:] == ["pod-io-stress", "pod-network-rate-limit"]
    assert strict_schema()["schema"]["$defs"]["LLMExperiment"]["properties"]["action"]["enum"][-2:] == [
        "pod-io-stress", "pod-network-rate-limit"]
    assert [f.value for f in Fault][-2:] == ["pod-io-stress", "pod-network-rate-limit"]


def test_a_fault_registered_in_one_entry_is_planned_rendered_and_policed(extra_faults: list[Fault]) -> None:
    ideas = [c.spec for c in PlannerDesigner().rank(shop(), 100) if c.spec.action == "pod-io-stress"]
    assert {s.target_selector.service for s in ideas} == {"api", "slow", "db"}  # the targets with callers
    assert not any(c.spec.action == "pod-network-rate-limit" for c in PlannerDesigner().rank(shop(), 100))
    io = ideas[0]
    assert io.abort_threshold is not None and io.abort_threshold.latency_p95_ms  # it charts latency: watch it
    engine = render_engine(io, run_id="r1", service_account="litmus-admin", cleanup="delete").body()
    experiment = engine["spec"]["experiments"][0]  # type: ignore[index]
    assert experiment["name"] == "pod-io-stress"
    assert {e["name"] for e in experiment["spec"]["components"]["env"]} == {"TOTAL_CHAOS_DURATION", "PODS_AFFECTED_PERC"}

    default = Policy(namespaces=["shop"])
    assert "pod-io-stress" in default.actions and "pod-network-rate-limit" not in default.actions
    assert violations(io, shop(), default) == []
    limit = spec(action=Fault("pod-network-rate-limit"), parameters=Parameters(duration_s=30))
    assert [v.rule for v in violations(limit, shop(), default)] == ["policy.allow_high_risk", "policy.actions"]
    unused = spec(action=Fault("pod-network-rate-limit"), parameters=Parameters(duration_s=30, force=True))
    assert "force do(es) not apply to pod-network-rate-limit" in str(violations(unused, shop(), default))


def _sample(tick: int, web_ms: float) -> Sample:
    return Sample(tick=tick, at=T0 + timedelta(seconds=5 * tick), services={
        "web": Signals(error_rate_pct=0.2, latency_p95_ms=web_ms, ready_replicas=1, replicas=1),
        "api": Signals(error_rate_pct=0.2, latency_p95_ms=web_ms - 50, ready_replicas=2, replicas=2),
    })


def test_a_fault_registered_in_one_entry_is_charted_and_advised_in_the_report(extra_faults: list[Fault]) -> None:
    io = spec(title="Api I/O stress", action=Fault("pod-io-stress"), parameters=Parameters(duration_s=30))
    samples = [_sample(1, 100), _sample(2, 900), _sample(3, 1200), _sample(9, 110)]
    events = [RunEvent(at=T0, kind="applied"), RunEvent(at=T0 + timedelta(seconds=30), kind="completed")]
    record = RunRecord(run_id="r1", outcome="completed", reason=None, spec=io, decision=None, events=events,
                       baseline=_sample(0, 100), samples=samples, manifest=None, verdict="Pass", source="test")
    md = render_report(record)
    assert 'title "latency_p95_ms during Api I/O stress"' in md  # its chart signal, not error rate
    assert "Give api's disk I/O its own budget so web do not wait on it." in md
    assert "the I/O stress of api slowed web." in md
