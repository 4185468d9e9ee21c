"""The no-fault control (agent/run/control.py): its spec, its policy, the engine status the monitor
reads in its place, its verdict and exit code (a false alarm is neither a weakness nor a pass), and
the planner's threshold that keeps it from inventing a weakness on a hardened system. The whole
loop on the twin: tests/integration/test_controls.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agent.cli.exits import EPILOG, FALSE_ALARM
from agent.config import Policy
from agent.design.planner import PlannerDesigner
from agent.design.policy import violations
from agent.models import Decision, Fault, RunEvent, Sample, Signals
from agent.report import ci
from agent.report.junit import render as junit
from agent.report.record import RunRecord
from agent.report.render import render as report
from agent.run import control
from tests.factories import T0, inventory, shop, spec, target


def at(s: float) -> object:
    return T0 + timedelta(seconds=s)


def sample(tick: int, web_err: float) -> Sample:
    return Sample(tick=tick, at=at(tick * 5), services={  # type: ignore[arg-type]
        "web": Signals(error_rate_pct=web_err, latency_p95_ms=100, ready_replicas=1, replicas=1),
        "api": Signals(error_rate_pct=0.2, latency_p95_ms=20, ready_replicas=2, replicas=2)})


def record(web: list[float], *, outcome: str = "completed", reason: str | None = None,
           ending: RunEvent | None = None) -> RunRecord:
    events = [RunEvent(at=at(0), kind="applied", detail=control.APPLIED),  # type: ignore[arg-type]
              ending or RunEvent(at=at(30), kind="completed", detail="engine completed, verdict control")]  # type: ignore[arg-type]
    return RunRecord(
        run_id="c1", outcome=outcome, reason=reason, spec=control.as_control(spec()),  # type: ignore[arg-type]
        decision=Decision(verdict="approve", choice=1, approver="ann", channel="cli", at=at(-10)),  # type: ignore[arg-type]
        events=events, baseline=sample(0, 0.5), samples=[sample(-1, 0.4), sample(0, 0.5),
                                                         *(sample(i + 1, v) for i, v in enumerate(web))],
        manifest=None, verdict="control", source="test signals", effect=control.effect(window_s=30))


def test_the_control_of_a_spec_keeps_its_watch_and_injects_nothing() -> None:
    fault = spec()
    c = control.as_control(fault)
    assert c.action == Fault.CONTROL and c.action.entry.control and not fault.action.entry.control
    assert c.title == "Control run: Api pod delete" and control.as_control(c).title == c.title  # prefixed once
    assert (c.target_selector, c.abort_threshold) == (fault.target_selector, fault.abort_threshold)
    assert c.parameters.set_fields() == ["duration_s"] and c.parameters.duration_s == 30
    assert c.hypothesis is not None and c.hypothesis.expected == [] and c.hypothesis.affected_services == []


def test_a_control_needs_no_fault_permission_but_every_other_rule_holds() -> None:
    policy = Policy(namespaces=["shop"], actions=[Fault.POD_CPU_HOG])
    assert Fault.CONTROL not in policy.actions
    assert violations(control.as_control(spec()), shop(), policy) == []
    assert [v.rule for v in violations(spec(), shop(), policy)] == ["policy.actions"]
    elsewhere = control.as_control(spec()).model_copy(update={"target_selector": spec().target_selector.model_copy(
        update={"namespace": "kube-system"})})
    assert "policy.namespaces" in [v.rule for v in violations(elsewhere, shop(), policy)]


def test_the_monitor_reads_a_control_as_running_until_its_planned_end() -> None:
    end = at(30)
    assert not control.status("running", now=at(10), planned_end=end).finished  # type: ignore[arg-type]
    done = control.status("running", now=at(30), planned_end=end)  # type: ignore[arg-type]
    assert done.finished and done.engine_status == "completed" and done.verdict != "Stopped"
    stopped = control.status("stopping", now=at(12), planned_end=end)  # type: ignore[arg-type]
    assert stopped.finished and stopped.engine_state == "stop" and stopped.verdict == "Stopped"


def test_a_quiet_control_holds_and_is_titled_as_a_control() -> None:
    result = ci.build(record([0.5, 0.7, 0.4, 0.6]), report=Path("reports/c1.md"))
    assert (result.verdict, result.exit_code) == ("held", 0)
    md = report(record([0.5, 0.7, 0.4, 0.6]))
    assert md.startswith("# Control run: Api pod delete (nothing injected)\n")
    assert "none expected: a control run injects nothing" in md and "inconclusive" not in md.split("\n## ")[1]


def test_a_control_that_moved_is_a_false_alarm_never_a_weakness() -> None:
    result = ci.build(record([0.5, 23.4, 12.0, 0.6]))
    assert (result.verdict, result.exit_code) == ("false_alarm", FALSE_ALARM) and FALSE_ALARM == 8
    assert "<failure" in junit(result) and "web error rate left its band" in junit(result)


def test_a_control_aborted_by_its_threshold_is_a_false_alarm_and_a_person_s_stop_is_not() -> None:
    breached = RunEvent(at=at(10), kind="threshold_breached", detail="web error rate 62% > 50%")  # type: ignore[arg-type]
    aborted = record([0.5, 62.0], outcome="aborted", reason="web error rate 62% > 50%", ending=breached)
    assert ci.build(aborted).verdict == "false_alarm"
    asked = RunEvent(at=at(10), kind="interrupted", detail="Ctrl-C")  # type: ignore[arg-type]
    stopped = record([0.5, 0.6], outcome="aborted", reason="aborted by the user (Ctrl-C) at T+10 s", ending=asked)
    assert ci.build(stopped).verdict == "stopped"


def test_help_names_the_false_alarm_code() -> None:
    assert "8 a no-fault control moved (a false alarm)" in EPILOG


HARDENED = inventory(
    target("web", tier="edge", replicas=2, readiness_delay=5),
    target("api", replicas=3, readiness_delay=5),
    target("db", tier="data", store="mongodb", replicas=2, readiness_delay=5),
    deps=[("web", "api"), ("api", "db")],
)


def test_the_planner_says_it_found_no_weakness_on_a_hardened_system() -> None:
    proposal = PlannerDesigner().propose(HARDENED, 3)
    assert proposal.candidates  # still offered, to explore
    assert proposal.notice is not None and proposal.notice.startswith("no weakness above threshold 0.05 found")
    assert proposal.notice.endswith("the top candidates are exploratory")
    planner = PlannerDesigner()
    assert planner.weaknesses(planner.ideas(HARDENED)) == []


def test_the_planner_presents_a_planted_weakness_as_one() -> None:
    assert PlannerDesigner().propose(shop(), 3).notice is None  # single replicas: weaknesses the manifests show
    weak = PlannerDesigner().weaknesses(PlannerDesigner().ideas(shop()))
    assert weak and all(i.likelihood >= 0.05 for i in weak)


@pytest.mark.parametrize(("threshold", "notice"), [(0.001, False), (0.05, True)])
def test_the_threshold_is_configurable(threshold: float, notice: bool) -> None:
    proposal = PlannerDesigner(weakness_likelihood=threshold).propose(HARDENED, 3)
    assert (proposal.notice is not None) is notice


def test_the_model_is_never_offered_the_control_and_a_proposed_one_is_refused() -> None:
    """A control is a person's measurement (``run --control``), not a design the model proposes."""
    import json

    from pydantic import ValidationError

    from agent.adapters.llm_schema import LLMExperiment, strict_schema

    schema = json.dumps(strict_schema())
    assert '"pod-delete"' in schema and '"control"' not in schema
    with pytest.raises(ValidationError, match="control injects nothing"):
        LLMExperiment.model_validate({"action": "control"})
