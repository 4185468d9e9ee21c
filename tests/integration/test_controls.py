"""No-fault controls on the twin (issue 24, point 3): the whole loop with nothing injected, through
the real kubernetes client and the virtual clock. Nothing may move, so nothing may be reported: 0
false aborts and 0 weaknesses over 20 runs; no ChaosEngine ever reaches the cluster. And the
planner on hardened apps says it found no weakness above its threshold (bench/advice_eval.py's
controls)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.config import Settings
from agent.models import Decision, ExperimentSpec, Fault
from agent.ports import Deps
from agent.report import ci
from agent.run.abort import abort
from agent.run.chaos import derived
from agent.run.control import as_control
from agent.wiring import build_audit, open_store
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete

ROOT = Path(__file__).resolve().parents[2]


def engines(deps: Deps) -> list[dict[str, object]]:
    from kubernetes import client

    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
    items: list[dict[str, object]] = api.list_namespaced_custom_object(
        "litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")["items"]
    return items


def control_run(deps: Deps, run_id: str) -> tuple[runner.RunView, dict[str, Any]]:
    spec = as_control(catalogue_delete(5, duration_s=20))
    graph = build(InMemorySaver())
    mine = replace(deps, designer=OneSpec(spec))
    paused = runner.start(graph, mine, run_id=run_id, count=1, cluster={"twin": True})
    assert paused.waiting is not None, "a control still waits for its approval"
    decision = Decision(verdict="approve", choice=1, approver="tester", channel="cli", at=deps.clock.now())
    view = runner.resume(graph, mine, run_id, decision)
    report = Path(str(view.state["report_path"]))
    result: dict[str, Any] = json.loads(ci.beside(report).read_text(encoding="utf-8"))
    return view, result


def test_twenty_control_runs_raise_no_alarm_and_apply_nothing(deps: Deps) -> None:
    start = deps.clock.now()
    verdicts = []
    for n in range(20):
        view, result = control_run(deps, f"c{n:07d}")
        assert view.state["outcome"] == "completed", view.state.get("reason")
        verdicts.append((result["verdict"], result["exit_code"]))
        assert result["effect"]["observed"] is False and result["cleanup"]["verified"] is True
        assert [a["action"] for a in result["executed"]] == ["apply"]  # the control's start; no dry run
        assert "nothing injected" in result["executed"][0]["detail"]
    assert verdicts == [("held", 0)] * 20  # 0 false alarms (exit 8), 0 weaknesses "confirmed" (3), 0 aborts (4)
    assert engines(deps) == []  # not one ChaosEngine was applied
    assert not any(e.action == "engine_apply" for n in range(20) for e in deps.audit.entries(f"c{n:07d}"))
    assert (deps.clock.now() - start).total_seconds() >= 20 * (30 + 20)  # each its baseline, then its duration
    for n in range(20):  # watched after the baseline, for the whole duration: 20 s at a 2 s tick
        assert max(s.tick for s in deps.store.samples(f"c{n:07d}")) >= 20 / deps.settings.monitor.poll_interval_s


@dataclass
class AbortFromElsewhere:
    """The run's clock; once the control has watched 3 ticks, a person runs ``abort`` on it from another
    process (its own store object on the same state directory, its own audit)."""

    deps: Deps
    settings: Settings
    run_id: str
    spec: ExperimentSpec
    said: str = ""

    def now(self) -> datetime:
        return self.deps.clock.now()

    def sleep(self, seconds: float) -> None:
        self.deps.clock.sleep(seconds)
        with open_store(self.settings) as store:
            if self.said or not any(s.tick >= 3 for s in store.samples(self.run_id)):
                return
            other = replace(self.deps, store=store, audit=build_audit(self.settings, store))
            self.said = abort(other, self.run_id, derived(self.run_id, self.spec), Fault.CONTROL.value, who="bob",
                              channel="cli", timeout_s=5).detail


def test_a_control_stops_when_someone_aborts_it_from_another_process(deps: Deps, settings: Settings) -> None:
    clock = AbortFromElsewhere(deps, settings, "c0000077", as_control(catalogue_delete(5, duration_s=20)))
    view, result = control_run(replace(deps, clock=clock), "c0000077")
    assert clock.said.startswith("control run: nothing injected; the process watching it stops at its next tick")
    assert view.state["outcome"] == "aborted" and str(view.state["reason"]).startswith("aborted by the user (cli:bob via abort)")
    assert (result["verdict"], result["exit_code"]) == ("stopped", 5)  # a person's stop, not an alarm
    actions = {a["action"]: datetime.fromisoformat(a["at"]) for a in result["executed"]}
    assert (actions["stop"] - actions["apply"]).total_seconds() == 4 * deps.settings.monitor.poll_interval_s
    # asked after tick 3: stopped at tick 4, not at the planned 20 s
    asked = [e for e in deps.audit.entries("c0000077") if e.action == "abort_requested"]
    assert [(e.who, e.channel) for e in asked] == [("bob", "cli")]
    assert engines(deps) == []


def test_the_report_is_titled_as_a_control_and_says_no_effect_was_expected(deps: Deps) -> None:
    view, result = control_run(deps, "c0000099")
    text = Path(str(view.state["report_path"])).read_text(encoding="utf-8")
    assert text.startswith("# Control run: Catalogue pod delete (nothing injected)\n")
    assert "none expected: a control run injects nothing" in text
    assert result["spec"]["action"] == Fault.CONTROL.value and result["verdict"] == "held"


@pytest.fixture
def harness() -> Iterator[Any]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("advice_eval", ROOT / "bench/advice_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["advice_eval"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules["advice_eval"]


def test_the_planner_invents_no_weakness_on_hardened_apps_and_still_finds_the_planted_ones(harness: Any) -> None:
    results, _ = harness.evaluate(per_kind=1)
    controls = [r for r in results if r.scenario.control]
    assert {(r.scenario.app.name, r.scenario.kind) for r in controls} == {
        (app, kind) for app in ("sock-shop", "boutique") for kind in harness.CONTROLS}
    assert [r.scenario.kind for r in controls if r.weakness_claimed] == []  # 0 false weaknesses
    assert all(r.notice.startswith("no weakness above threshold 0.05 found") and r.notice.endswith(
        "the top candidates are exploratory") for r in controls)
    assert all(r.ranked for r in controls)  # exploratory candidates are still offered
    planted = [r for r in results if not r.scenario.control]
    assert all(r.hit(1) and r.weakness_claimed for r in planted)
    rows = {row["group"]: row for row in harness.table(results)}
    assert rows["all"]["hit@1"] == 1.0 and rows["all"]["false_alarms"] == 0 and rows["all"]["controls"] == 6
