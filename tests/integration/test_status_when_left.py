"""`status` and `resume` of a run its agent no longer drives: the twin served apart (``twin.url``)
gone with the run mid-monitor, the run watching recovery, the run failed before any apply.

The runs are real (the twin over HTTP, the kubernetes client, the SQLite checkpointer of the
stack.yaml in ``tmp_path``); "the agent dies" is an exception raised from the run's notifier at a
chosen monitor tick, so the checkpoint holds the tick before, as after a ``kill -9``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from agent.cli.status import show_status
from agent.config import Settings, load_settings
from agent.errors import ApprovalError
from agent.models import Candidate, Rejection, Sample
from agent.ports import Deps, Notifier
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete, lenient
from tests.integration.test_agent_on_twin import decide
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]


class AgentDied(Exception):
    """The agent's process ends here (a test stand-in for ``kill -9``)."""


class OnTick:
    """The run's notifier, calling ``hook(tick, phase)`` after each monitor tick."""

    def __init__(self, inner: Notifier, hook: Callable[[int, str], None]) -> None:
        self._inner, self._hook, self._ticks = inner, hook, 0

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._inner.candidates(run_id, candidates, rejected)

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._inner.progress(run_id, title, line)

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        self._inner.observe(run_id, title, phase, sample, line=line)
        if phase == "baseline":
            return  # a reading before the chaos, not a monitor tick
        self._ticks += 1
        self._hook(self._ticks, phase)

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        self._inner.finished(run_id, tldr, report)


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[TwinServer]:
    with TwinServer(tmp_path / "twin.json", start_time=1_800_000_000.0) as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, twin: TwinServer) -> Settings:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    loaded = load_settings(tmp_path / "stack.yaml")
    return loaded.model_copy(update={
        "twin": loaded.twin.model_copy(update={"url": twin.url}),
        "k8s": loaded.k8s.model_copy(update={"retry_attempts": 2, "retry_backoff_s": 0.0}),
    })


@pytest.fixture
def deps(settings: Settings) -> Iterator[Deps]:
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as d:
        yield replace(lenient(d), designer=OneSpec(catalogue_delete(90)))


def run(settings: Settings, deps: Deps, run_id: str) -> dict[str, object]:
    """Start ``run_id`` and approve its one candidate, checkpointed where the CLI looks."""
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        assert runner.start(graph, deps, run_id=run_id, count=1, cluster={"twin": True}).waiting is not None
        return dict(runner.resume(graph, deps, run_id, decide(deps, 1)).state)


def status(settings: Settings, run_id: str) -> dict[str, str]:
    """``show_status``'s table as {row name: first line of its value}."""
    out = io.StringIO()
    show_status(Console(file=out, width=200), settings, run_id)
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in out.getvalue().splitlines()]
    return {row[0]: row[1] for row in cells if len(row) == 2 and row[0]}


def test_status_while_the_twin_is_down_shows_the_last_recorded_state(
    tmp_path: Path, settings: Settings, deps: Deps, twin: TwinServer
) -> None:
    url = twin.url

    def tick(n: int, phase: str) -> None:
        if n == 1:
            twin.stop()  # the twin served apart goes away mid-monitor ...
        if n == 3:
            raise AgentDied  # ... and so does the agent, its run left in the monitor

    with pytest.raises(AgentDied):
        run(settings, replace(deps, notifier=OnTick(deps.notifier, tick)), "left0001")
    env = os.environ | {"CHAOS_ADVISOR_TWIN__URL": url, "CHAOS_ADVISOR_K8S__RETRY_ATTEMPTS": "1", "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "agent", "status", "left0001", "--config", str(tmp_path / "stack.yaml")],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "twin clock" not in out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert any("phase" in line and "running" in line for line in lines), out.stdout
    assert "sock-shop/ca-left0001" in out.stdout
    [engine] = [line for line in lines if "engine state" in line]
    assert "(last recorded; cluster unreachable)" in engine
    assert any("catalogue" in line and "errors" in line for line in lines)  # the recorded signals


def test_status_of_a_run_failed_before_any_apply_shows_no_engine(
    settings: Settings, deps: Deps, twin: TwinServer
) -> None:
    twin.inject("GET", "/chaosengines/ca-", status=503)  # execute cannot check for its engine
    assert run(settings, deps, "left0002")["outcome"] == "failed"
    twin.heal()
    shown = status(settings, "left0002")
    assert shown["outcome"] == "failed" and "HTTP 503" in shown["reason"]
    assert "engine" not in shown and "engine state" not in shown


def test_resume_of_a_run_watching_recovery_does_not_call_it_completed(
    settings: Settings, deps: Deps
) -> None:
    recovering = 0

    def tick(n: int, phase: str) -> None:
        nonlocal recovering
        recovering += phase == "recovering"
        if recovering == 2:  # the tick that made it "recovering" is checkpointed; die in the next
            raise AgentDied

    with pytest.raises(AgentDied):
        run(settings, replace(deps, notifier=OnTick(deps.notifier, tick)), "left0003")
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        assert runner.view(graph, "left0003").state["outcome"] == "completed"  # its chaos did
        with pytest.raises(ApprovalError) as refused:
            runner.resume(graph, deps, "left0003", decide(deps, 1))
    assert "(it is watching recovery; chaos completed)" in str(refused.value)
    assert "(it is completed)" not in str(refused.value)
    assert status(settings, "left0003")["phase"] == "recovering"
