"""Each signal's baseline band, from the spread of the baseline window (pure).

A signal is *within its band* when it lies in ``mean ± max(K × stddev, FLOORS[signal])`` of its
values over the baseline window (the samples before the injection, ticks <= 0). The spread, not a
fixed factor, says how far a signal moves on its own; the floor keeps a very steady signal (a
stddev near 0) from counting jitter as a deviation. Ready replicas are within band while at least
as many are ready as the fewest seen in the baseline window.

Error rate, p95 latency and ready replicas are the SLO signals: a service *deviates* when one of
them leaves its band, and has *recovered* when all of them are back. CPU and memory get a band too
(the report shows when they came back) but a restarted pod may settle at another level, so they
do not decide recovery.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from agent.models import Sample, Signals

K = 3.0  # band half-width in standard deviations of the baseline window
# The band's least half-width, per signal, in the signal's unit (percentage points, ms, m, MiB):
# a little above the noise a steady service shows between two reads.
FLOORS = {"error_rate_pct": 2.0, "latency_p95_ms": 25.0, "cpu_millicores": 25.0, "memory_mib": 25.0}
SLO_SIGNALS = ("error_rate_pct", "latency_p95_ms", "ready_replicas")
ALL_SIGNALS = (*FLOORS, "ready_replicas")
RULE = (f"baseline-window mean ± max({K:g} × stddev, floor: {FLOORS['error_rate_pct']:g} points of errors, "
        f"{FLOORS['latency_p95_ms']:g} ms p95, {FLOORS['cpu_millicores']:g}m CPU, {FLOORS['memory_mib']:g} MiB memory); "
        "ready replicas at least the baseline's")


@dataclass(frozen=True)
class Range:
    """Where one signal of one service normally lies."""

    low: float
    high: float
    mean: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Band:
    """Per service and signal, the baseline range; a service or signal missing from the baseline
    window has none (it can be neither off nor back). A signal with a range that has no value now
    (its series vanished: the pod is gone, its traffic stopped) is off: never "back"."""

    ranges: dict[str, dict[str, Range]]

    def off(self, sample: Sample, service: str, signals: tuple[str, ...] = SLO_SIGNALS) -> list[str]:
        """The ``signals`` of ``service`` outside their band in ``sample``; one measured in the
        baseline window and without a value now is off too (a vanished signal is not a recovered one)."""
        now, ranges = sample.services.get(service, Signals()), self.ranges.get(service, {})
        return [sig for sig in signals if sig in ranges and _off(ranges[sig], getattr(now, sig), vanished=sig != "ready_replicas")]

    def deviations(self, sample: Sample) -> list[str]:
        """Services with an SLO signal outside its band (or without a value any more)."""
        return [name for name in sorted(sample.services) if self.off(sample, name)]

    def recovered(self, sample: Sample) -> bool:
        """True when no service has an SLO signal outside its band."""
        return not self.deviations(sample)


def _off(r: Range, value: float | None, *, vanished: bool) -> bool:
    """Outside the range; no value counts as off when ``vanished`` (a series gone), not for
    readiness (unknown only when the Kubernetes API did not answer: that has its own grace)."""
    return vanished if value is None else not r.holds(value)


def baseline_window(baseline: Sample | None, samples: list[Sample]) -> list[Sample]:
    """The samples before the injection (ticks <= 0); the baseline alone when they were not kept."""
    window = [s for s in samples if s.tick <= 0]
    return window or ([baseline] if baseline is not None else [])


def band_of(window: list[Sample]) -> Band:
    """The band of each service's signals over the baseline ``window`` (one sample or more)."""
    ranges: dict[str, dict[str, Range]] = {}
    for name in sorted({n for s in window for n in s.services}):
        for sig in ALL_SIGNALS:
            values = [v for s in window if (v := getattr(s.services.get(name, Signals()), sig)) is not None]
            if values:
                ranges.setdefault(name, {})[sig] = _range(sig, [float(v) for v in values])
    return Band(ranges)


def _range(signal: str, values: list[float]) -> Range:
    mean = statistics.fmean(values)
    if signal == "ready_replicas":
        return Range(low=min(values), high=float("inf"), mean=mean)
    half = max(K * statistics.pstdev(values), FLOORS[signal])
    return Range(low=mean - half, high=mean + half, mean=mean)
