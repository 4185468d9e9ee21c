"""Checkpoint storage stays bounded however long the monitor runs, and resuming still works."""

from __future__ import annotations

import io
import shutil
import sqlite3
from pathlib import Path

from rich.console import Console

from agent.config import load_settings
from agent.models import AbortThreshold, Decision, ExperimentSpec, Fault, Parameters, TargetSelector
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import build

ROOT = Path(__file__).resolve().parents[2]

LONG = ExperimentSpec(
    title="Carts latency (long)", description="x", action=Fault.POD_NETWORK_LATENCY,
    target_selector=TargetSelector(service="carts", namespace="sock-shop", labels={"name": "carts"}),
    parameters=Parameters(duration_s=150, network_latency_ms=100, jitter_ms=0),
    abort_threshold=AbortThreshold(service="front-end", error_rate_pct=50), expected_impact="x", risk_level="low",
)


def rows(db: Path, run_id: str) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        cps = conn.execute("SELECT count(*) FROM checkpoints WHERE thread_id = ?", (run_id,)).fetchone()[0]
        writes = conn.execute("SELECT count(*) FROM writes WHERE thread_id = ?", (run_id,)).fetchone()[0]
    finally:
        conn.close()
    return cps, writes


def test_a_150_tick_run_keeps_only_recent_checkpoints_and_resumes_across_connections(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    (tmp_path / "stack.yaml").write_text(
        (tmp_path / "stack.yaml").read_text().replace("poll_interval_s: 2", "poll_interval_s: 1")
    )
    settings = load_settings(tmp_path / "stack.yaml")
    db = settings.path(settings.checkpoint.sqlite_path)
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            view = runner.start(build(saver), deps, run_id="long0001", count=1, cluster={"twin": True}, preset=LONG)
        assert view.waiting is not None
        with open_checkpointer(settings) as saver:  # a new connection, as another process would open
            decision = Decision(verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())
            state = runner.resume(build(saver), deps, "long0001", decision).state
    assert state["outcome"] == "completed"
    assert state["tick"] >= 150
    checkpoints, writes = rows(db, "long0001")
    assert checkpoints == settings.checkpoint.keep_last
    assert writes <= 10 * settings.checkpoint.keep_last  # a tick writes a handful of channels


def test_no_channel_is_a_delta_channel_so_keeping_the_newest_checkpoints_loses_no_history() -> None:
    """The pruning savers delete every checkpoint older than ``keep``. LangGraph's DeltaChannel
    stores each checkpoint as a delta on its parent, and its docs warn that such pruning "can
    sever [the] chain" so that history silently reads back as empty. The savers are only sound
    while no channel of the graph is one; this fails the day someone makes ``events`` one."""
    from langgraph.channels import DeltaChannel

    channels = build(None).channels
    assert "events" in channels  # the append-only list a DeltaChannel would be the natural fit for
    assert [name for name, channel in channels.items() if isinstance(channel, DeltaChannel)] == []
