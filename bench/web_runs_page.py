"""The web console's runs page and the ``runs`` CLI with 1,000 runs (target: page ≤ 200 ms server time).

Seeds a temporary state directory: one real run on the in-process twin (discover → approve →
execute → monitor → report), then its final state copied into N-1 more runs (each with
``--checkpoints`` checkpoints, as ``checkpoint.keep_last`` keeps, and the same candidates). Then
it asks ``GET /runs`` of the console's Starlette app in-process (Starlette's TestClient: no
network in the figure) and prints:

- ``list_runs``: reading every run at its head (what ``python -m agent runs --limit 10000`` costs
  once started), and ``runs CLI``: that command end to end in a fresh process (start-up included);
- ``console start-up``: the console reads every run the same way once, before serving;
  ``first page``: the first page after that;
- ``page``: median and p95 of later pages: one query names every run's head, and only runs whose
  head moved are read again (nothing is served stale, there is no time-based cache);
- ``page after a step``: the same, right after one run took a step (one run read again).

Usage: ``python bench/web_runs_page.py [--runs 1000] [--checkpoints 10] [--requests 30]``
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.cli.status import list_runs  # noqa: E402
from agent.config import Settings, load_settings  # noqa: E402
from agent.models import Decision  # noqa: E402
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, open_store  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402

TARGET_MS = 200.0


def seed(settings: Settings, runs: int, checkpoints: int) -> None:
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps, \
            open_checkpointer(settings) as saver:
        graph = build(saver)
        runner.start(graph, deps, run_id="seed0000", count=2, cluster={"twin": True})
        done = runner.resume(graph, deps, "seed0000", Decision(verdict="approve", choice=1, approver="bench",
                                                               channel="cli", at=deps.wall_now()))
        assert done.state.get("outcome") == "completed", done.state.get("reason")
        with open_store(settings) as store:
            candidates = store.candidates("seed0000")
            for i in range(1, runs):
                run_id = f"b{i:07x}"
                values = {**done.state, "run_id": run_id}
                for _ in range(checkpoints):
                    graph.update_state(runner.config(run_id), values, as_node="narrate")
                store.save_candidates(run_id, candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--checkpoints", type=int, default=10)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    from starlette.testclient import TestClient

    from agent.web.actions import Actions
    from agent.web.app import build_app
    from agent.web.console import WebConsole

    with tempfile.TemporaryDirectory() as tmp:
        data = yaml.safe_load((ROOT / "stack.yaml").read_text())
        data["twin"]["speed"] = 1_000_000
        (Path(tmp) / "stack.yaml").write_text(yaml.safe_dump(data))
        settings = load_settings(Path(tmp) / "stack.yaml")
        started = time.perf_counter()
        seed(settings, args.runs, args.checkpoints)
        print(f"seeded {args.runs} runs x {args.checkpoints} checkpoints in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        assert len(list_runs(settings, status=None, since=None, limit=10_000)) == args.runs
        read_ms = (time.perf_counter() - started) * 1000
        empty = Path(tmp) / "empty"  # the same command with no runs: Python and the CLI's start-up alone
        empty.mkdir()
        (empty / "stack.yaml").write_text(yaml.safe_dump(data))
        started = time.perf_counter()
        assert subprocess.run([sys.executable, "-m", "agent", "runs", "--config", str(empty / "stack.yaml"), "-o", "json"],
                              cwd=ROOT, capture_output=True).returncode == 0
        bare_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        cli = subprocess.run([sys.executable, "-m", "agent", "runs", "--config", str(Path(tmp) / "stack.yaml"),
                              "--limit", str(args.runs), "-o", "json"], cwd=ROOT, capture_output=True, text=True)
        cli_ms = (time.perf_counter() - started) * 1000
        assert cli.returncode == 0 and cli.stdout.count('"run_id"') == args.runs, cli.stderr[-500:]
        app = build_app(settings, WebConsole(settings, ClusterBinding(twin=True)), Actions(settings))
        started = time.perf_counter()
        with TestClient(app) as client:  # its start-up reads every run once
            startup_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            first = client.get("/runs")
            first_ms = (time.perf_counter() - started) * 1000
            assert first.status_code == 200 and first.text.count('<tr class="state-') == args.runs
            times = []
            for _ in range(args.requests):
                started = time.perf_counter()
                assert client.get("/runs").status_code == 200
                times.append((time.perf_counter() - started) * 1000)
            with open_checkpointer(settings) as saver:  # one run takes a step, as a live run would
                graph = build(saver)
                graph.update_state(runner.config("b0000001"), {"reason": "moved"}, as_node="narrate")
            started = time.perf_counter()
            moved = client.get("/runs")
            moved_ms = (time.perf_counter() - started) * 1000
            assert moved.status_code == 200
    median, p95 = statistics.median(times), sorted(times)[int(0.95 * (len(times) - 1))]
    print(f"list_runs ({args.runs} runs): {read_ms:.0f} ms")
    print(f"runs CLI (python -m agent runs --limit {args.runs} -o json, fresh process): {cli_ms:.0f} ms "
          f"(with no runs: {bare_ms:.0f} ms)")
    print(f"console start-up: {startup_ms:.0f} ms (reads every run once); first page: {first_ms:.0f} ms")
    print(f"page: median {median:.0f} ms, p95 {p95:.0f} ms over {len(times)} requests "
          f"({len(first.content) // 1024} KiB); target <= {TARGET_MS:.0f} ms: {'ok' if median <= TARGET_MS else 'MISSED'}")
    print(f"page after a step of one run: {moved_ms:.0f} ms")
    sys.exit(0 if median <= TARGET_MS else 1)


if __name__ == "__main__":
    main()
