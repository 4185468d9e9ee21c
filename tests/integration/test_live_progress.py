"""Live progress on the twin, its clock injected: a piped run prints one plain line per baseline
reading ("measuring baseline 12/30 s") and per monitor tick (T+ on the run's clock, the abort
signal against its threshold, the predicted path's signals) on stderr."""

from __future__ import annotations

import io
import re
from dataclasses import replace

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.adapters.terminal import TerminalNotifier
from agent.models import Decision
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete


def test_a_piped_run_prints_the_baseline_and_every_tick_on_stderr(deps: Deps) -> None:
    out, err = io.StringIO(), io.StringIO()
    notifier = TerminalNotifier(Console(file=out, width=200), deps.store, err=Console(file=err, width=80))
    deps = replace(deps, designer=OneSpec(catalogue_delete(50, duration_s=30)), notifier=notifier)
    m = deps.settings.monitor
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="live0001", count=1, cluster={"twin": True})
    started = deps.clock.now()
    state = runner.resume(graph, deps, "live0001", Decision(
        verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())).state
    lines = err.getvalue().splitlines()
    assert all(line.startswith("[live0001] ") for line in lines)

    n = round(m.baseline_window_s / m.poll_interval_s)
    baseline = [line for line in lines if "measuring baseline" in line]
    assert [re.search(r"measuring baseline (\d+)/(\d+) s", b).groups() for b in baseline] == [  # type: ignore[union-attr]
        (f"{m.baseline_window_s * i / n:.0f}", f"{m.baseline_window_s:.0f}") for i in range(1, n + 1)]
    assert "abort when front-end error rate > 50%: now " in baseline[0]
    assert re.search(r" · path catalogue \d+\.\d% \d+ ms → front-end \d+\.\d% \d+ ms$", baseline[0]), baseline[0]

    ticks = [line for line in lines if re.match(r"\[live0001\] T\+\d+ s ", line)]
    assert len(ticks) == state["tick"] == len(lines) - n  # one line per tick, nothing else
    offsets = [int(re.match(r"\[live0001\] T\+(\d+) s", t).group(1)) for t in ticks]  # type: ignore[union-attr]
    assert offsets == sorted(offsets) and offsets[1] - offsets[0] == m.poll_interval_s  # the injected clock
    assert {t.split(" · ")[0].split(" s ", 1)[1] for t in ticks} >= {"running", "recovering"}
    # During the outage the path shows the target recording nothing (its only pod is not Ready, as on a
    # real install) and the edge failing the requests that need it.
    assert any(re.search(r"path catalogue - - → front-end [1-9]\d*\.\d% ", t) for t in ticks), ticks
    assert all(re.search(r"abort when front-end error rate > 50%: now \d+(\.\d)?%", t) for t in ticks)
    assert (deps.clock.now() - started).total_seconds() >= m.baseline_window_s + 30  # virtual, never slept
    assert "measuring baseline" not in out.getvalue()  # stdout keeps its progress lines and the result
