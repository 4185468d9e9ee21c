"""Signal charts for the RCA report: one signal of up to three services over time, in Mermaid.

Pure functions from samples to ``xychart-beta`` source (without the ```mermaid fence). Every
title and name goes through ``agent.report.mermaid.label``; every chart starts with
``INIT_DIRECTIVE`` (readable line colours, ``PALETTE`` in order). Long runs are downsampled to
``MAX_POINTS`` per line, keeping the points farthest from the median (a short outage survives).
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime
from typing import Literal

from agent.models import Sample, SignalName
from agent.report.mermaid import INIT_DIRECTIVE, PALETTE, label

MAX_POINTS = 40  # per line: more makes xychart's SVG heavy without showing more
MAX_LINES = len(PALETTE)

ChartSignal = SignalName | Literal["ready_replicas"]
SIGNAL_AXES: dict[str, tuple[str, str]] = {  # signal -> (what, unit) for the y axis
    "error_rate_pct": ("error rate", "%"),
    "latency_p95_ms": ("p95 latency", "ms"),
    "cpu_millicores": ("CPU", "millicores"),
    "memory_mib": ("memory", "MiB"),
    "ready_replicas": ("ready replicas", "pods"),
}

# The y axis reaches at least this high, so a quiet baseline (0.4 % errors) is not drawn across
# the whole chart as if it were an outage; 5 points is also the monitor's deviation limit.
Y_FLOOR: dict[str, float] = {"error_rate_pct": 5.0}


def series(samples: list[Sample], *, service: str, signal: ChartSignal, start: datetime) -> list[tuple[float, float]]:
    """The measured values of one signal of one service, as (seconds since ``start``, value);
    samples without the service or the value are left out."""
    out = []
    for s in samples:
        signals = s.services.get(service)
        value = getattr(signals, signal) if signals is not None else None
        if value is not None:
            out.append(((s.at - start).total_seconds(), float(value)))
    return out


def signal_chart(samples: list[Sample], *, service: str, signal: ChartSignal, title: str, start: datetime) -> str:
    """An ``xychart-beta`` line chart of one signal of one service over time.

    Args:
        samples: The run's samples (any order of ``at``; values may be None).
        service: The service to plot, e.g. "carts".
        signal: The signal, e.g. "error_rate_pct"; the y axis names it with its unit.
        title: The chart's title.
        start: Time zero of the x axis (seconds since it), usually the start of chaos.

    Raises:
        ValueError: The service never has a value of ``signal`` (check ``series()`` first).
    """
    return signals_chart(samples, services=[service], signal=signal, title=title, start=start)


def signals_chart(
    samples: list[Sample], *, services: list[str], signal: ChartSignal, title: str, start: datetime
) -> str:
    """Like ``signal_chart`` with one line per service (at most three: red, blue, green in the
    order given), all on one time grid; services without any value are left out.

    Raises:
        ValueError: More than three services, or none with a value of ``signal``.
    """
    if not 1 <= len(services) <= MAX_LINES:
        raise ValueError(f"signals_chart takes 1 to {MAX_LINES} services, got {len(services)}")
    points = {svc: pts for svc in services if (pts := series(samples, service=svc, signal=signal, start=start))}
    if not points:
        raise ValueError(f"no sample has {signal} for {', '.join(services)}: nothing to chart")
    times = sorted({t for pts in points.values() for t, _ in pts})
    grid = _grid(times[0], times[-1], min(len(times), MAX_POINTS))
    lines = {svc: _resample(pts, grid) for svc, pts in points.items()}
    what, unit = SIGNAL_AXES[signal]
    peak = max(v for values in lines.values() for v in values)
    top = max(_nice_top(peak), Y_FLOOR.get(signal, 0.0))
    if signal == "error_rate_pct" and peak <= 100:
        top = min(top, 100.0)
    x_max = grid[-1] if grid[-1] > grid[0] else grid[0] + 1
    out = [
        INIT_DIRECTIVE,
        "xychart-beta",
        f'    title "{label(title)}"',
        f'    x-axis "{label("seconds since start")}" {_num(grid[0])} --> {_num(x_max)}',
        f'    y-axis "{label(f"{what} ({unit})")}" 0 --> {_num(top)}',
    ]
    out += [f'    line "{label(svc)}" [{", ".join(_num(v) for v in values)}]' for svc, values in lines.items()]
    return "\n".join(out)


def _grid(first: float, last: float, n: int) -> list[float]:
    if n <= 1:
        return [first]
    step = (last - first) / (n - 1)
    return [first + i * step for i in range(n)]


def _resample(points: list[tuple[float, float]], grid: list[float]) -> list[float]:
    """One value per grid point: of the samples nearest to it, the one farthest from the
    series' median (so a short outage or dip survives downsampling); a grid point with no
    sample carries the previous value (the first known one at the start)."""
    median = statistics.median(v for _, v in points)
    buckets: list[list[float]] = [[] for _ in grid]
    step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    for t, v in points:
        buckets[min(len(grid) - 1, max(0, round((t - grid[0]) / step)))].append(v)
    out: list[float] = []
    previous = next(b for b in buckets if b)[0]
    for bucket in buckets:
        if bucket:
            previous = max(bucket, key=lambda v: abs(v - median))
        out.append(previous)
    return out


def _nice_top(peak: float) -> float:
    """A round y-axis maximum a little above ``peak`` (1, 1.2, 1.5, 2, … 8 times a power of ten)."""
    if peak <= 0:
        return 1.0
    raw = peak * 1.05
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= raw)


def _num(v: float) -> str:
    r = round(v, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return str(int(r)) if r == int(r) else f"{r:.2f}".rstrip("0")
