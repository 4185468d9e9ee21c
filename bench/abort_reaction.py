"""Abort reaction on the twin: from a breaching sample being read to `engineState: stop`.

    python bench/abort_reaction.py [--runs N]

Runs the real graph (twin, kubernetes client, SQLite checkpointer) on a catalogue pod-delete
whose threshold (front-end errors > 5 %) the outage breaches. It times, in wall-clock, the
moment the metrics read that returns the breach ends and the moment the stop patch returns,
and reports the virtual delay between the breach event and the abort event.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.config import load_settings  # noqa: E402
from agent.models import (  # noqa: E402
    AbortThreshold,
    Candidate,
    Decision,
    ExperimentSpec,
    Fault,
    Inventory,
    Parameters,
    Proposal,
    RunEvent,
    Signals,
    TargetSelector,
)
from agent.wiring import ClusterBinding, open_checkpointer, open_deps  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402

SPEC = ExperimentSpec(
    title="Catalogue pod delete", description="x", action=Fault.POD_DELETE,
    target_selector=TargetSelector(service="catalogue", namespace="sock-shop", labels={"name": "catalogue"}),
    parameters=Parameters(duration_s=30, chaos_interval_s=30, force=False),
    abort_threshold=AbortThreshold(service="front-end", error_rate_pct=5), expected_impact="x", risk_level="low",
)


class Fixed:
    name = "fixed"

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        return Proposal(designer=self.name, candidates=[Candidate(rank=1, score=1, spec=SPEC)])


class Timed:
    """Wraps the metrics and cluster ports to stamp wall time at the breach read and the stop."""

    def __init__(self, metrics: object, cluster: object) -> None:
        self.metrics, self.cluster = metrics, cluster
        self.read_at: float | None = None
        self.stop_at: float | None = None

    def describe(self, namespace: str, service: str, signal: str) -> str:
        return self.metrics.describe(namespace, service, signal)  # type: ignore[attr-defined,no-any-return]

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        out: dict[str, Signals] = self.metrics.read(namespace, services)  # type: ignore[attr-defined]
        fe = out.get("front-end")
        if self.read_at is None and fe and (fe.error_rate_pct or 0) > 5:
            self.read_at = time.perf_counter()
        return out

    def __getattr__(self, name: str) -> object:
        return getattr(self.cluster, name)

    def stop_engine(self, namespace: str, name: str) -> None:
        self.cluster.stop_engine(namespace, name)  # type: ignore[attr-defined]
        self.stop_at = self.stop_at or time.perf_counter()


def once(root: Path) -> tuple[float, float]:
    shutil.copy(root / "stack.yaml", Path.cwd() / "stack.yaml")
    settings = load_settings(Path.cwd() / "stack.yaml")
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        timed = Timed(deps.metrics, deps.cluster)
        deps = replace(deps, designer=Fixed(), metrics=timed, cluster=timed)  # type: ignore[arg-type]
        with open_checkpointer(settings) as saver:
            graph = build(saver)
            runner.start(graph, deps, run_id="bench001", count=1, cluster={"twin": True})
            d = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=deps.clock.now())
            state = runner.resume(graph, deps, "bench001", d).state
    events = [RunEvent.model_validate(e) for e in state["events"]]
    breach = next(e for e in events if e.kind == "threshold_breached")
    stop = next(e for e in events if e.kind == "abort_requested")
    assert timed.read_at and timed.stop_at
    return (stop.at - breach.at).total_seconds(), timed.stop_at - timed.read_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    root = Path(__file__).resolve().parents[1]
    virtual, wall = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            here = Path.cwd()
            try:
                import os

                os.chdir(tmp)
                v, w = once(root)
            finally:
                os.chdir(here)
        virtual.append(v)
        wall.append(w)
    settings = load_settings(root / "stack.yaml")
    print(f"poll interval {settings.monitor.poll_interval_s:g} s (virtual); runs {runs}")
    print(f"breach event -> abort event (virtual): max {max(virtual):.3f} s")
    print(f"breaching read returned -> stop patch returned (wall): median {statistics.median(wall) * 1000:.1f} ms, "
          f"max {max(wall) * 1000:.1f} ms")
    print("a breach becomes visible at most one poll interval before the read that sees it")


if __name__ == "__main__":
    main()
