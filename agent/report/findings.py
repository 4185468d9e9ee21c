"""What a run showed, measured against what its hypothesis predicted.

Pure functions over the run's data (spec, events, baseline, samples, inventory): each predicted
signal is confirmed or refuted with the numbers, the predicted recovery time against the
observed one, and the predicted blast radius against the services that really moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from agent.models import ExpectedSignal, ExperimentSpec, RunEvent, Sample, Signals
from agent.run.band import band_of, baseline_window

Verdict = Literal["confirmed", "refuted", "not measured", "inconclusive"]  # inconclusive: the fault did nothing

# How close an observed peak must come to the predicted one (absolute floor per signal, and
# 25 % of the prediction): the planner predicts orders of magnitude, not decimals.
TOLERANCE = {"error_rate_pct": 10.0, "latency_p95_ms": 100.0, "cpu_millicores": 50.0, "memory_mib": 50.0,
             "ready_replicas": 0.0}
UNITS = {"error_rate_pct": "%", "latency_p95_ms": " ms", "cpu_millicores": "m", "memory_mib": " MiB",
         "ready_replicas": ""}
LABELS = {"error_rate_pct": "error rate", "latency_p95_ms": "p95", "cpu_millicores": "CPU", "memory_mib": "memory",
          "ready_replicas": "ready replicas"}
PREDICTS = {"near": "predicted peak", "at_least": "predicted at least", "at_most": "predicted to fall to at most"}


@dataclass(frozen=True)
class SignalFinding:
    """One predicted signal against what was observed during chaos and recovery."""

    expected: ExpectedSignal
    baseline: float | None
    observed_peak: float | None
    at: datetime | None
    verdict: Verdict

    def sentence(self, start: datetime | None) -> str:
        e = self.expected
        unit, label = UNITS[e.signal], LABELS[e.signal]
        # A failure that cannot be measured at its service is read at the caller that shows it.
        what = f"{e.of}, measured at {e.service} {label}" if e.of else f"{e.service} {label}"
        predicted = f"{PREDICTS[e.op]} {n(e.peak)}{unit}"
        if self.observed_peak is None:
            return (f"{what}: {predicted}; not measured: {e.service} reported "
                    f"no {label} during the run, so nothing confirms or refutes it")
        when = f" at T+{(self.at - start).total_seconds():.0f}s" if self.at and start else ""
        base = f" (baseline {n(self.baseline)}{unit})" if self.baseline is not None else ""
        return f"{what}: {predicted}, observed {n(self.observed_peak)}{unit}{when}{base}: {self.verdict}"


@dataclass(frozen=True)
class RecoveryFinding:
    """The predicted recovery against the one measured from the signals (``agent.report.recovery``)."""

    predicted_s: float
    observed_s: float | None  # None: not back by the last sample, or not measurable
    verdict: Verdict
    resolution_s: float = 0.0  # the data's resolution: observed_s is known to ± this
    measured_from: str = "the kill"  # "the kill" or "the end of chaos"
    watched_s: float | None = None  # when not back: how long after measured_from it was watched
    lag_s: float = 0.0  # the rate() window: a recovery shows in a rate up to this late


@dataclass(frozen=True)
class BlastRadius:
    predicted: set[str]
    observed: set[str]

    @property
    def unexpected(self) -> set[str]:
        return self.observed - self.predicted

    @property
    def spared(self) -> set[str]:
        return self.predicted - self.observed


def n(v: float | None) -> str:
    """A number as the report prints it (so prose and tables agree)."""
    if v is None:
        return "n/a"
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"


def first(events: list[RunEvent], *kinds: str) -> RunEvent | None:
    return next((e for e in events if e.kind in kinds), None)


def chaos_window(samples: list[Sample]) -> list[Sample]:
    """Samples after the injection (ticks >= 1; the baseline window has ticks <= 0)."""
    return [s for s in samples if s.tick >= 1]


def signal_findings(spec: ExperimentSpec, baseline: Sample | None, samples: list[Sample]) -> list[SignalFinding]:
    """Each predicted peak of the hypothesis, confirmed or refuted with the observed peak."""
    if spec.hypothesis is None:
        return []
    out = []
    for e in spec.hypothesis.expected:
        series = [(s.at, getattr(s.services.get(e.service, Signals()), e.signal)) for s in chaos_window(samples)]
        series = [(at, v) for at, v in series if v is not None]
        base = getattr(baseline.services.get(e.service, Signals()), e.signal) if baseline else None
        if not series:
            out.append(SignalFinding(e, base, None, None, "not measured"))
            continue
        at, peak = (min if e.op == "at_most" else max)(series, key=lambda p: p[1])  # at_most: the trough
        held = {"near": abs(peak - e.peak) <= max(TOLERANCE[e.signal], 0.25 * e.peak),
                "at_least": peak >= e.peak, "at_most": peak <= e.peak}[e.op]
        out.append(SignalFinding(e, base, peak, at, "confirmed" if held else "refuted"))
    return out


def blast_radius(spec: ExperimentSpec, baseline: Sample | None, samples: list[Sample]) -> BlastRadius:
    """Services predicted to be affected vs those with an SLO signal outside its baseline band
    (``agent.run.band``) at any tick."""
    predicted = set(spec.hypothesis.affected_services) if spec.hypothesis else {spec.target_selector.service}
    observed: set[str] = set()
    window = baseline_window(baseline, samples)
    if window:
        band = band_of(window)
        for s in chaos_window(samples):
            observed |= set(band.deviations(s))
    return BlastRadius(predicted=predicted, observed=observed)
