"""The whole graph when the Kubernetes API or the Litmus operator fails under it.

The twin is told to fail (HTTP 5xx on chosen paths, its operator taken down); the agent attaches
to it (``twin.url``) through the real kubernetes client. Time is the twin's virtual clock.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.config import Settings, load_settings
from agent.models import Candidate, Rejection, Sample
from agent.ports import Deps, Notifier
from agent.wiring import ClusterBinding, open_deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete, lenient
from tests.integration.test_agent_on_twin import decide
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
ENGINE = "/chaosengines/ca-"


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[TwinServer]:
    with TwinServer(tmp_path / "twin.json", start_time=1_800_000_000.0) as server:
        yield server


@pytest.fixture
def deps(tmp_path: Path, twin: TwinServer) -> Iterator[Deps]:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings: Settings = load_settings(tmp_path / "stack.yaml")
    settings = settings.model_copy(update={
        "twin": settings.twin.model_copy(update={"url": twin.url}),
        "k8s": settings.k8s.model_copy(update={"retry_attempts": 2, "retry_backoff_s": 0.0}),
        # The faults below are timed in 5 s ticks (requests skipped, graces passed): keep that tick.
        "monitor": settings.monitor.model_copy(update={"poll_interval_s": 5.0}),
    })
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as d:
        yield replace(lenient(d), designer=OneSpec(catalogue_delete(90)))


def run(deps: Deps, run_id: str) -> dict[str, object]:
    graph = build(InMemorySaver())
    assert runner.start(graph, deps, run_id=run_id, count=1, cluster={"twin": True}).waiting is not None
    return dict(runner.resume(graph, deps, run_id, decide(deps, 1)).state)


def kinds(state: dict[str, object]) -> list[str]:
    return [e["kind"] for e in state["events"]]  # type: ignore[attr-defined,index]


def test_blips_within_the_retries_change_nothing(deps: Deps, twin: TwinServer) -> None:
    blip = twin.inject("GET", ENGINE, status=503, times=1, skip=2)  # one failed try, retried
    state = run(deps, "flt00001")
    assert blip.hits == 1
    assert state["outcome"] == "completed"
    assert "cluster_lost" not in kinds(state)


def test_api_down_before_apply_applies_nothing(deps: Deps, twin: TwinServer) -> None:
    down = twin.inject("GET", ENGINE, status=503)  # execute cannot even check for its engine
    state = run(deps, "flt00002")
    assert state["outcome"] == "failed"
    assert "HTTP 503" in str(state["reason"]) and "after 2 tries" in str(state["reason"])
    twin.heal()
    assert down.hits == 2
    assert deps.cluster.list_engines("sock-shop") == []
    assert Path(str(state["report_path"])).exists()


def test_api_lost_mid_monitor_aborts_after_the_grace_then_stops_waiting_at_the_planned_end(
    deps: Deps, twin: TwinServer
) -> None:
    # execute's existence check and the first tick's engine read pass; everything after fails,
    # the stop patch included.
    twin.inject("GET", ENGINE, status=503, skip=2)
    stop = twin.inject("PATCH", ENGINE, status=503)
    state = run(deps, "flt00003")
    assert state["outcome"] == "aborted"
    reason = str(state["reason"])
    assert reason.startswith("Kubernetes API unanswered for 35 s (grace 30 s)"), reason  # poll 5 s
    assert reason.endswith("the stop could not be confirmed")
    k = kinds(state)
    assert k.index("cluster_lost") < k.index("stop_unconfirmed")
    assert "stopped" not in k
    assert stop.hits >= 2  # asked again while waiting
    twin.heal()
    # Litmus ended the chaos itself at its planned end; no stop of the agent's ever landed.
    [engine] = deps.cluster.list_engines("sock-shop")
    assert engine.engine_status == "completed"
    audit = [e.result for e in deps.audit.entries("flt00003") if e.action == "engine_stop"]
    assert audit[::2] == ["started"] * (len(audit) // 2) and all("HTTP 503" in r for r in audit[1::2])
    report = Path(str(state["report_path"])).read_text()
    assert "the stop could not be confirmed" in report
    assert "whether the engine stopped before its planned end" in report


def test_an_engine_outliving_its_planned_duration_is_stopped(deps: Deps, twin: TwinServer) -> None:
    twin.pause_operator()  # the Litmus operator is down: the engine never reports an end
    state = run(deps, "flt00004")
    assert state["outcome"] == "aborted"
    # never reconciled, so it never started (agent.run.monitor.overrun); past the plan + grace 120 s, poll 5 s
    assert str(state["reason"]).startswith("the chaos never started: sock-shop/")
    assert "has no status 12" in str(state["reason"]) and "kubectl get pods -n litmus" in str(state["reason"])
    k = kinds(state)
    assert k.index("overrun") < k.index("abort_requested") < k.index("stop_unconfirmed")
    [engine] = deps.cluster.list_engines("sock-shop")
    assert engine.engine_state == "stop"


def test_losing_metrics_aborts_after_the_grace_period(deps: Deps, twin: TwinServer) -> None:
    lost = twin.inject("GET", "/twin/v1/signals", status=503, skip=8)  # 6 baseline reads, 2 ticks
    state = run(deps, "flt00005")
    assert lost.hits >= 4
    assert state["outcome"] == "aborted"
    assert str(state["reason"]).startswith("metrics lost for 20 s")  # grace 15 s, poll 5 s: 4 missing ticks
    [engine] = deps.cluster.list_engines("sock-shop")
    assert engine.engine_state == "stop"


class StopsTheTwin:
    """The run's notifier, which also stops the twin's server at the first monitor tick: the
    cluster goes away mid-monitor, as a twin served apart (``twin.url``) killed under the agent."""

    def __init__(self, inner: Notifier, twin: TwinServer) -> None:
        self._inner, self._twin = inner, twin

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._inner.candidates(run_id, candidates, rejected)

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._inner.progress(run_id, title, line)

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        self._inner.observe(run_id, title, phase, sample, line=line)
        if phase != "baseline":  # readings before the chaos are not monitor ticks
            self._twin.stop()  # idempotent: only the first tick finds it serving

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        self._inner.finished(run_id, tldr, report)


@pytest.mark.parametrize(("cluster_grace_s", "lost", "why"), [
    (10.0, "cluster_lost", "Kubernetes API unanswered for 15 s (grace 10 s)"),  # adversarial run 5.4
    (30.0, "metrics_lost", "metrics lost for 20 s (grace 15 s)"),  # the defaults: the signals' grace ends first
])
def test_twin_gone_mid_monitor_aborts_after_the_grace_then_stops_waiting_at_the_planned_end(
    deps: Deps, twin: TwinServer, cluster_grace_s: float, lost: str, why: str
) -> None:
    # The twin serves the API, the signals and the clock: all go at once. The run's clock goes
    # on by the seconds it sleeps, so the grace and the stop retries play out as on a real
    # cluster whose API went away (poll 5 s; the twin stops after the first tick, at T+5 s).
    monitor = deps.settings.monitor.model_copy(update={"cluster_grace_s": cluster_grace_s})
    deps = replace(deps, settings=deps.settings.model_copy(update={"monitor": monitor}),
                   notifier=StopsTheTwin(deps.notifier, twin))
    state = run(deps, "flt00006")
    assert state["outcome"] == "aborted"
    reason = str(state["reason"])
    assert reason.startswith(why), reason
    assert reason.endswith("the stop could not be confirmed")
    k = kinds(state)
    assert k.index(lost) < k.index("stop_unconfirmed")
    assert "stopped" not in k and "abort_requested" not in k  # no stop ever landed
    # The stop was asked every tick, on the run's clock, until past the planned end of chaos.
    asked = [e.run_at for e in deps.audit.entries("flt00006") if e.action == "engine_stop" and e.result == "started"]
    tries = [t for t in asked if t is not None]
    assert len(tries) == len(asked) >= 3
    assert {(b - a).total_seconds() for a, b in zip(tries, tries[1:], strict=False)} == {5.0}
    assert tries[-1] > datetime.fromisoformat(str(state["chaos_started_at"])) + timedelta(seconds=30)
    report = Path(str(state["report_path"])).read_text()
    assert "the stop could not be confirmed" in report
    assert "run python -m agent recover to check" in report
