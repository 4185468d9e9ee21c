"""Listing runs reads each run at its head only, on SQLite and on a real PostgreSQL.

``heads()`` (one query over the primary keys) must name the same head as LangGraph's own
``list(None)`` read, and move at an interrupt and at every step after an answer, so that
``list_runs`` with kept rows (the web console) re-reads exactly the runs that moved.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import SecretStr
from rich.console import Console

from agent.cli.listing import Known, list_runs, parse_since
from agent.config import Settings, load_settings
from agent.models import Decision
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import build
from tests.integration.postgres_fixture import RunningPostgres

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    loaded = load_settings(tmp_path / "stack.yaml")
    if request.param == "sqlite":
        return loaded
    postgres: RunningPostgres = request.getfixturevalue("postgres")
    checkpoint = loaded.checkpoint.model_copy(update={
        "backend": "postgres", "postgres_url": SecretStr(postgres.fresh_database())})
    return loaded.model_copy(update={"checkpoint": checkpoint})


class ListsOnly(BaseCheckpointSaver):  # type: ignore[type-arg]
    """The saver's ``list`` alone, so ``runner.heads`` takes LangGraph's generic path."""

    def __init__(self, inner: BaseCheckpointSaver) -> None:  # type: ignore[type-arg]
        super().__init__()
        self.list = inner.list  # type: ignore[method-assign]


def both_ways(saver: BaseCheckpointSaver) -> dict[str, str]:  # type: ignore[type-arg]
    fast = runner.heads(saver)
    assert fast == runner.heads(ListsOnly(saver))  # the one query agrees with reading every checkpoint
    return fast


@pytest.fixture
def twin(settings: Settings) -> Iterator[object]:
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        yield deps


def test_heads_move_with_the_run_and_kept_rows_are_reread_only_when_they_do(settings: Settings, twin) -> None:  # type: ignore[no-untyped-def]
    known: Known = {}
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        assert both_ways(saver) == {}
        runner.start(graph, twin, run_id="lst00001", count=2, cluster={"twin": True})
        runner.start(graph, twin, run_id="lst00002", count=2, cluster={"twin": True})
        paused = both_ways(saver)
    assert sorted(paused) == ["lst00001", "lst00002"]
    rows = list_runs(settings, status=None, since=None, limit=10, known=known)
    assert [(r.run_id, r.state) for r in sorted(rows, key=lambda r: r.run_id)] == [
        ("lst00001", "waiting"), ("lst00002", "waiting")]
    # A kept row whose run has not moved is shown as kept, not read again.
    head, row = known["lst00002"]
    known["lst00002"] = (head, row.model_copy(update={"experiment": "kept, not read again"}))
    assert {r.experiment for r in list_runs(settings, status="waiting", since=None, limit=10, known=known)} >= {
        "kept, not read again"}
    with open_checkpointer(settings) as saver:
        decision = Decision(verdict="approve", choice=1, approver="t", channel="cli", at=twin.clock.now())
        runner.resume(build(saver), twin, "lst00002", decision)
        done = both_ways(saver)
    assert done["lst00001"] == paused["lst00001"] and done["lst00002"] != paused["lst00002"]
    rows = list_runs(settings, status=None, since=None, limit=10, known=known)
    by_id = {r.run_id: r for r in rows}
    assert (by_id["lst00002"].state, by_id["lst00002"].outcome) == ("done", "completed")
    assert by_id["lst00002"].experiment != "kept, not read again" and by_id["lst00002"].target
    assert by_id["lst00001"].state == "waiting"
    later = datetime.now(UTC) + timedelta(hours=1)
    assert list_runs(settings, status=None, since=later, limit=10, known=known) == []


def test_since_takes_relative_or_iso_times_and_names_the_forms_otherwise() -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert parse_since("90m", now=now) == now - timedelta(minutes=90)
    assert parse_since("2026-12-01", now=now) == datetime(2026, 12, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"since 'yesterday': give 30m, 24h, 7d or an ISO date"):
        parse_since("yesterday", now=now)
