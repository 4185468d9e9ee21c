"""The run read again from the metrics' history after it ended (Prometheus), for the report.

The range read (:class:`agent.ports.RangeMetrics`) covers the monitor's first to last sample. Its
samples are numbered as the monitor's are (ticks <= 0 up to the injection, the baseline window;
>= 1 after), and carry the ready replicas the monitor read from the Kubernetes API at or before
their time (Prometheus's queries do not read them). When the metrics keep no history (the twin)
or it cannot be read now, the report times recovery from the monitor's samples.
"""

from __future__ import annotations

import logging
from datetime import datetime

from agent.errors import MetricsUnavailable
from agent.models import Sample, Signals
from agent.models.history import MetricsRange
from agent.ports import Deps, RangeMetrics

log = logging.getLogger(__name__)


def read_history(deps: Deps, namespace: str, samples: list[Sample], start: datetime | None) -> MetricsRange | None:
    """The range read over the run's samples, numbered around ``start`` (the injection)."""
    if not isinstance(deps.metrics, RangeMetrics) or start is None or len(samples) < 2:
        return None
    ordered = sorted(samples, key=lambda s: s.at)
    services = sorted({n for s in ordered for n in s.services})
    try:
        got = deps.metrics.range(namespace, services, ordered[0].at, ordered[-1].at)
    except MetricsUnavailable as e:  # the report keeps the monitor's samples, and says so
        log.warning("range read failed, recovery is timed from the monitor's samples: %s", e)
        return None
    if got is None or not got.samples:
        return None
    return MetricsRange(samples=number(got.samples, start, ordered), step_s=got.step_s, window=got.window)


def number(history: list[Sample], start: datetime, monitor: list[Sample]) -> list[Sample]:
    """Ticks around ``start`` (<= 0 up to it), with the monitor's replica counts at each time."""
    ordered = sorted(history, key=lambda s: s.at)
    before = sum(1 for s in ordered if s.at <= start)
    out = []
    for i, s in enumerate(ordered):
        seen = next((m for m in reversed(monitor) if m.at <= s.at), None)
        services = {name: _with_replicas(sig, seen.services.get(name) if seen else None)
                    for name, sig in s.services.items()}
        out.append(Sample(tick=i - before + 1, at=s.at, services=services))
    return out


def _with_replicas(signals: Signals, seen: Signals | None) -> Signals:
    if seen is None:
        return signals
    return signals.model_copy(update={"ready_replicas": seen.ready_replicas, "replicas": seen.replicas})
