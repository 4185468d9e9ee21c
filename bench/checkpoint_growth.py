"""Checkpoint growth: bytes per monitor tick of a long run, SQLite and (if available) PostgreSQL.

    python bench/checkpoint_growth.py [--ticks 3600] [--every 300] [--backends sqlite postgres]

Runs the real graph in-process on the twin (kubernetes client, virtual clock advanced without
waiting) with a preset pod-network-latency spec lasting ``ticks`` polls of 0.08 s (no abort),
approved at once. After each checkpoint write whose monitor tick crossed a multiple of
``every``, it records:

  * store   - the checkpoint store on disk: SQLite file + WAL (or pg_total_relation_size of the
              checkpoint tables),
  * rows    - bytes of the run's checkpoint + pending-write rows (what pruning keeps),
  * samples - the per-run samples (samples.jsonl for SQLite; the ca_run_samples rows for
              PostgreSQL).

Prints a table and the slope (bytes per tick) of each column over the second half of the run,
where pruning has reached its steady state. Target: linear, <= 2 KB per tick in all.
PostgreSQL runs only when `checkpoint.backend: postgres` is wired and initdb/pg_ctl exist
(tests/integration/postgres_fixture.py starts a private server); otherwise a note is printed.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from agent.config import Settings, load_settings  # noqa: E402
from agent.models import AbortThreshold, Decision, ExperimentSpec, Fault, Parameters, TargetSelector  # noqa: E402
from agent.wiring import ClusterBinding, open_checkpointer, open_deps  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402

POLL_S = 0.08
RUN_ID = "growth01"
Row = tuple[int, int, int, int, float]  # tick, store bytes, row bytes, samples bytes, wall s


def spec(ticks: int) -> ExperimentSpec:
    return ExperimentSpec(
        title="Carts latency (long)", description="checkpoint growth bench", action=Fault.POD_NETWORK_LATENCY,
        target_selector=TargetSelector(service="carts", namespace="sock-shop", labels={"name": "carts"}),
        parameters=Parameters(duration_s=max(1, round(ticks * POLL_S)), network_latency_ms=100, jitter_ms=0),
        abort_threshold=AbortThreshold(service="front-end", error_rate_pct=50), expected_impact="x",
        risk_level="low",
    )


def sqlite_sizes(settings: Settings) -> Callable[[], tuple[int, int, int]]:
    db = settings.path(settings.checkpoint.sqlite_path)
    samples = settings.path(settings.paths.state_dir) / "runs" / RUN_ID / "samples.jsonl"

    def measure() -> tuple[int, int, int]:
        store = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
        conn = sqlite3.connect(db)
        try:
            cp = conn.execute("SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints "
                              "WHERE thread_id = ?", (RUN_ID,)).fetchone()[0]
            wr = conn.execute("SELECT coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?",
                              (RUN_ID,)).fetchone()[0]
        finally:
            conn.close()
        return store, int(cp) + int(wr), samples.stat().st_size if samples.exists() else 0

    return measure


def postgres_sizes(url: str) -> Callable[[], tuple[int, int, int]]:
    import psycopg

    def measure() -> tuple[int, int, int]:
        with psycopg.connect(url, autocommit=True) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
            store = rows = samples = 0
            for t in tables:
                size = conn.execute("SELECT pg_total_relation_size(%s)", (t,)).fetchone()
                body = conn.execute(f'SELECT coalesce(sum(pg_column_size(x.*)), 0) FROM "{t}" x').fetchone()  # noqa: S608
                if "sample" in t:
                    samples += int(body[0] if body else 0)
                elif "checkpoint" in t:
                    store += int(size[0] if size else 0)
                    rows += int(body[0] if body else 0)
        return store, rows, samples

    return measure


@contextmanager
def instrumented(saver: Any, measure: Callable[[], tuple[int, int, int]], every: int, out: list[Row]) -> Iterator[None]:
    """Record sizes after each checkpoint write whose monitor tick crossed a multiple of ``every``."""
    original = saver.put
    start = time.perf_counter()
    last = [-1]

    def put(config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        saved = original(config, checkpoint, metadata, new_versions)
        tick = int((checkpoint.get("channel_values") or {}).get("tick") or 0)
        if tick // every != last[0] // every or last[0] < 0:
            last[0] = tick
            out.append((tick, *measure(), time.perf_counter() - start))
        return saved

    saver.put = put
    try:
        yield
    finally:
        saver.put = original


def one_run(backend: str, ticks: int, every: int, pg_url: str | None) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(ROOT / "stack.yaml", Path(tmp) / "stack.yaml")
        os.environ.update({
            "CHAOS_ADVISOR_MONITOR__POLL_INTERVAL_S": str(POLL_S),
            "CHAOS_ADVISOR_MONITOR__MAX_TICKS": str(ticks + 2000),
            "CHAOS_ADVISOR_CHECKPOINT__BACKEND": backend,
        })
        if pg_url:
            os.environ["CHAOS_ADVISOR_CHECKPOINT__POSTGRES_URL"] = pg_url
        settings = load_settings(Path(tmp) / "stack.yaml")
        measure = postgres_sizes(pg_url) if pg_url else sqlite_sizes(settings)
        rows: list[Row] = []
        console = Console(file=io.StringIO())
        with open_deps(settings, ClusterBinding(twin=True), console=console, realtime=False) as deps:
            with open_checkpointer(settings) as saver, instrumented(saver, measure, every, rows):
                graph = build(saver)
                view = runner.start(graph, deps, run_id=RUN_ID, count=1, cluster={"twin": True}, preset=spec(ticks))
                assert view.waiting is not None, "the run did not stop at its approval"
                decision = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=deps.clock.now())
                state = runner.resume(graph, deps, RUN_ID, decision).state
                rows.append((int(state.get("tick") or 0), *measure(), rows[-1][4] if rows else 0.0))
        print(f"[{backend}] outcome {state.get('outcome')}, ticks {state.get('tick')}")
        return rows


def slope(rows: list[Row], col: int) -> float:
    half = [r for r in rows if r[0] >= rows[-1][0] / 2]
    if len(half) < 2 or half[-1][0] == half[0][0]:
        return float("nan")
    return (half[-1][col] - half[0][col]) / (half[-1][0] - half[0][0])


def report(backend: str, rows: list[Row]) -> None:
    print(f"{backend}: tick | store bytes | checkpoint+writes row bytes | samples bytes | wall s")
    for r in rows:
        print(f"  {r[0]:5d} | {r[1]:11,d} | {r[2]:11,d} | {r[3]:11,d} | {r[4]:6.1f}")
    s_store, s_rows, s_samples = slope(rows, 1), slope(rows, 2), slope(rows, 3)
    last = rows[-1]
    print(f"{backend}: bytes per tick (2nd half slope): store {s_store:,.0f}, rows {s_rows:,.0f}, "
          f"samples {s_samples:,.0f}; store+samples {s_store + s_samples:,.0f} (target <= 2,048)")
    print(f"{backend}: overall at tick {last[0]}: store+samples {(last[1] + last[3]) / max(1, last[0]):,.0f} B/tick "
          f"(incl. fixed cost), wall {last[4] / max(1, last[0]) * 1000:.1f} ms/tick")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=3600)
    parser.add_argument("--every", type=int, default=300)
    parser.add_argument("--backends", nargs="*", default=["sqlite", "postgres"])
    args = parser.parse_args()
    print(f"{args.ticks} ticks at poll {POLL_S} s (virtual), sampled every {args.every} ticks")
    if "sqlite" in args.backends:
        report("sqlite", one_run("sqlite", args.ticks, args.every, None))
    if "postgres" in args.backends:
        try:
            import agent.adapters.pg_checkpoint  # noqa: F401 - is the backend there?
            from tests.integration.postgres_fixture import pg_bin, run_postgres
        except ImportError as e:
            print(f"postgres: skipped ({e})")
            return
        if pg_bin("initdb") is None or pg_bin("pg_ctl") is None:
            print("postgres: skipped (initdb/pg_ctl not found; ./scripts/system-deps.sh installs them)")
            return
        with run_postgres() as pg:
            report("postgres", one_run("postgres", args.ticks, args.every, pg.fresh_database()))


if __name__ == "__main__":
    main()
