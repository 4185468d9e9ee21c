"""``/metrics``: the advisor's own metrics in Prometheus format (prometheus-client), computed at
each scrape from the runs the checkpointer holds, so every replica serving the same state reports
the same numbers and nothing is lost on restart.

- ``chaos_advisor_runs{state,outcome}``: runs by state (waiting, interrupted, a phase, done) and outcome.
- ``chaos_advisor_aborts_total{reason}``: aborted runs by the first event that stopped them
  (threshold_breached, metrics_lost, cluster_lost, overrun, interrupted, engine_removed, outside).
- ``chaos_advisor_abort_reaction_seconds``: breach seen → engine Stopped, on the run's clock.
- ``chaos_advisor_approval_wait_seconds``: approval asked → answered, real time, every channel.
- ``chaos_advisor_web_runs_executing``: runs executing in this console's server now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector

from agent.models import Decision, RunEvent
from agent.web.console import WebConsole

STOPS = ("threshold_breached", "metrics_lost", "cluster_lost", "overrun", "interrupted", "engine_removed")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RunsCollector(Collector):
    """Reads every run at scrape time (the checkpointer and the state store)."""

    def __init__(self, console: WebConsole, executing: Callable[[], int]) -> None:
        self.console, self.executing = console, executing

    def collect(self) -> Iterator[Metric]:
        from agent.wiring import open_checkpointer
        from graphs import runner
        from graphs.builder import build

        runs = GaugeMetricFamily("chaos_advisor_runs", "Runs by state and outcome.", labels=["state", "outcome"])
        for (state, outcome), n in sorted(Counter((r.state, r.outcome or "") for r in self.console.runs()).items()):
            runs.add_metric([state, outcome], n)
        yield runs
        with open_checkpointer(self.console.settings) as saver:
            views = runner.runs(build(saver), saver)
        aborts: Counter[str] = Counter()
        reactions: list[float] = []
        waits: list[float] = []
        for v in views:
            events = [RunEvent.model_validate(e) for e in v.state.get("events") or []]
            if v.state.get("outcome") == "aborted":
                aborts[next((e.kind for e in events if e.kind in STOPS), "outside")] += 1
            breach = next((e.at for e in events if e.kind == "threshold_breached"), None)
            stopped = next((e.at for e in events if e.kind == "stopped" and breach and e.at >= breach), None)
            if breach and stopped:
                reactions.append((stopped - breach).total_seconds())
            asked, raw = v.state.get("asked_at"), v.state.get("decision")
            if isinstance(asked, str) and raw:
                waits.append(max(0.0, (_aware(Decision.model_validate(raw).at) - _aware(datetime.fromisoformat(asked))).total_seconds()))
        total = CounterMetricFamily("chaos_advisor_aborts", "Aborted runs by what stopped them.", labels=["reason"])
        for reason, n in sorted(aborts.items()):
            total.add_metric([reason], n)
        yield total
        yield SummaryMetricFamily("chaos_advisor_abort_reaction_seconds",
                                  "Breach seen to engine Stopped, on the run's clock.",
                                  count_value=len(reactions), sum_value=sum(reactions))
        yield SummaryMetricFamily("chaos_advisor_approval_wait_seconds", "Approval asked to answered, real time.",
                                  count_value=len(waits), sum_value=sum(waits))
        yield GaugeMetricFamily("chaos_advisor_web_runs_executing", "Runs executing in this console's server.",
                                value=self.executing())


def _aware(at: datetime) -> datetime:
    from datetime import UTC

    return at if at.tzinfo else at.replace(tzinfo=UTC)


def exposition(console: WebConsole, executing: Callable[[], int]) -> Callable[[], bytes]:
    """A function that renders every metric in the text format, for ``/metrics``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RunsCollector(console, executing))
    return lambda: generate_latest(registry)
