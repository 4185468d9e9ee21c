"""Wall time of the main job on the twin, of `--help` (cold start), and the graph's overhead
per step. Prints numbers.

    python bench/main_job.py [--runs N]

Runs in a temporary copy of stack.yaml so the repository's reports/ stay untouched; the twin's
clock is advanced without real waiting (CHAOS_ADVISOR_TWIN__SPEED huge), so the figure is the
agent's own cost: graph steps, checkpoints, HTTP to the twin.

Graph overhead per step: the same run in-process, each node wrapped with a timer; the gap from
one node's return to the next node's start is what LangGraph adds per step (writing the
checkpoint to SQLite with durability="sync", scheduling the next task).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], cwd: Path) -> float:
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode not in (0, 3, 4, 5):  # a run that ran ends by its verdict (agent/report/verdict.py)
        raise SystemExit(f"python -m agent {' '.join(args)} exited {done.returncode}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    help_s, job_s = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            shutil.copy(ROOT / "stack.yaml", work / "stack.yaml")
            help_s.append(timed(["--help"], work))
            job_s.append(timed(["run-graph", "--twin", "--approve", "1"], work))
    print(f"python -m agent --help      median {statistics.median(help_s):.3f} s  (n={runs})")
    print(f"main job (run-graph --twin) median {statistics.median(job_s):.2f} s  (n={runs})")
    steps()


def steps() -> None:
    """One in-process run with timed nodes: time in each node, and the gaps between nodes."""
    import io
    from collections import defaultdict

    from rich.console import Console

    import graphs.builder as builder
    from agent.config import load_settings
    from agent.models import Decision
    from agent.wiring import ClusterBinding, open_checkpointer, open_deps
    from graphs import runner

    spans: list[tuple[str, float, float]] = []

    def timed_node(name: str, fn):  # type: ignore[no-untyped-def]
        def run(state, runtime):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return fn(state, runtime)
            finally:
                spans.append((name, start, time.perf_counter()))
        return run

    for name in ("discover", "design", "notify", "approve", "execute", "monitor", "narrate"):
        setattr(builder, name, timed_node(name, getattr(builder, name)))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copy(ROOT / "stack.yaml", work / "stack.yaml")
        settings = load_settings(work / "stack.yaml")
        quiet = Console(file=io.StringIO())
        with open_checkpointer(settings) as saver, open_deps(settings, ClusterBinding(twin=True), console=quiet,
                                                             realtime=False) as deps:
            graph = builder.build(saver)
            started = time.perf_counter()
            view = runner.start(graph, deps, run_id="bench001", count=3, cluster={"twin": True})
            decision = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=deps.clock.now())
            runner.resume(graph, deps, "bench001", decision, interrupt_id=view.interrupt_id)
            wall = time.perf_counter() - started
    per_node: dict[str, list[float]] = defaultdict(list)
    for name, start, end in spans:
        per_node[name].append(end - start)
    gaps = [b[1] - a[2] for a, b in zip(spans, spans[1:], strict=False) if a[0] != "approve" or b[0] != "approve"]
    inside = sum(end - start for _, start, end in spans)
    print(f"in-process run: {len(spans)} node calls, {wall:.2f} s wall, {inside:.2f} s inside nodes")
    for name, times in per_node.items():
        print(f"  {name:<9} n={len(times):<4} median {statistics.median(times) * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms")
    gaps.sort()
    print(f"graph overhead per step (node return -> next node start, n={len(gaps)}): median "
          f"{statistics.median(gaps) * 1000:.1f} ms, p95 {gaps[int(0.95 * (len(gaps) - 1))] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
