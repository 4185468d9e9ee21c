"""The run's checks with their numbers (pure): the steady state, and the hypothesis's predictions.

Steady state (what gates, :mod:`agent.report.verdict`): for every entry point of the stack and
every service an abort condition names, its error rate and p95 stay within their baseline band
(:mod:`agent.run.band`) at every sample after the injection; and each abort condition never holds.
Hypothesis: each predicted peak (:func:`agent.report.findings.signal_findings`) and the predicted
recovery (:func:`agent.report.recovery.finding`), as the report grades them.
"""

from __future__ import annotations

from datetime import datetime

from agent.models import AbortCondition, Sample, Signals
from agent.report.findings import TOLERANCE, UNITS, chaos_window, n, signal_findings
from agent.report.record import RunRecord, recovery_of
from agent.report.result import Baseline, Check, CheckVerdict, Point, Threshold, Window
from agent.run.band import Band, Range, band_of, baseline_window

STEADY_SIGNALS = ("error_rate_pct", "latency_p95_ms")  # what users feel
LABELS = {"error_rate_pct": "error rate", "latency_p95_ms": "p95", "cpu_millicores": "CPU", "memory_mib": "memory"}
UNIT = {"error_rate_pct": "%", "latency_p95_ms": "ms", "cpu_millicores": "m", "memory_mib": "MiB", "ready_replicas": ""}


def watched(record: RunRecord) -> list[str]:
    """The services whose steady state is checked: the entry points and those abort conditions name."""
    if record.spec is None:
        return []
    named = {c.service for c in _conditions(record) if c.service != "*"}
    entries = set(record.inventory.entries()) if record.inventory else set()
    return sorted(entries | named) or [record.spec.target_selector.service]


def steady_state(record: RunRecord) -> list[Check]:
    """One check per watched service and user-facing signal, then one per abort condition."""
    if record.spec is None or not record.injected:
        return []
    band = band_of(baseline_window(record.baseline, record.samples))
    window = [s for s in chaos_window(record.samples)]
    out = [_band_check(record, band, window, name, sig) for name in watched(record) for sig in STEADY_SIGNALS]
    return out + [_abort_check(record, window, c) for c in _conditions(record)]


def _conditions(record: RunRecord) -> list[AbortCondition]:
    t = record.spec.abort_threshold if record.spec else None
    return t.all_conditions() if t else []


def offset(record: RunRecord, at: datetime) -> float:
    """Seconds from the injection to ``at`` (0 when nothing was injected)."""
    return round((at - record.start).total_seconds(), 3) if record.start else 0.0


def _series(record: RunRecord, window: list[Sample], service: str, signal: str) -> list[tuple[datetime, float]]:
    values = [(s.at, getattr(s.services.get(service, Signals()), signal)) for s in window]
    return [(at, float(v)) for at, v in values if v is not None]


def _window(record: RunRecord, series: list[tuple[datetime, float]]) -> Window:
    if not series:
        return Window(start=None, end=None, from_s=None, to_s=None)
    return Window(start=series[0][0], end=series[-1][0], from_s=offset(record, series[0][0]),
                  to_s=offset(record, series[-1][0]))


def _points(record: RunRecord, series: list[tuple[datetime, float]]) -> list[Point]:
    return [Point(t_s=offset(record, at), value=round(v, 4)) for at, v in series]


def _baseline(record: RunRecord, r: Range | None) -> Baseline | None:
    if r is None:
        return None
    count = len(baseline_window(record.baseline, record.samples))
    return Baseline(mean=round(r.mean, 4), low=round(max(r.low, 0.0), 4), high=round(r.high, 4), samples=count)


def _band_check(record: RunRecord, band: Band, window: list[Sample], service: str, signal: str) -> Check:
    r = band.ranges.get(service, {}).get(signal)
    series = _series(record, window, service, signal)
    label, unit = f"{service} {LABELS[signal]}", UNITS[signal]
    name = f"{label} stays within its baseline band"
    verdict: CheckVerdict
    if r is None or not series:
        verdict, observed, at = "not measured", None, None
        message = f"{label}: not measured ({'no baseline' if r is None else 'no sample after the injection'})"
    else:
        at, observed = max(series, key=lambda p: abs(p[1] - r.mean))
        off = [(t, v) for t, v in series if not r.holds(v)]
        verdict = "failed" if off else "passed"
        span = f"{n(max(r.low, 0.0))}–{n(r.high)}{unit} (baseline mean {n(r.mean)}{unit})"
        if off:
            message = (f"{label} left its band {span}: {n(observed)}{unit} at T+{offset(record, at):.0f}s; "
                       f"{len(off)} of {len(series)} samples outside, first at T+{offset(record, off[0][0]):.0f}s")
        else:
            message = f"{label} stayed within {span} over {len(series)} samples; farthest from the mean {n(observed)}{unit}"
    return Check(
        id=f"steady_state.{service}.{signal}", name=name, service=service, signal=signal,
        query=record.queries.get(f"{service}.{signal}", record.source), window=_window(record, series),
        baseline=_baseline(record, r),
        threshold=Threshold(op="within", low=_round(max(r.low, 0.0)) if r else None, high=_round(r.high) if r else None,
                            unit=UNIT[signal]),
        observed=_round(observed), observed_at_s=offset(record, at) if at else None,
        samples=_points(record, series), verdict=verdict, message=message,
    )


def _abort_check(record: RunRecord, window: list[Sample], c: AbortCondition) -> Check:
    names = sorted({k for s in window for k in s.services}) if c.service == "*" else [c.service]
    low_is_bad = c.op in ("<", "<=")
    series: list[tuple[datetime, float]] = []
    worst_of: dict[datetime, str] = {}
    for s in window:
        values = [(v, k) for k in names if (v := getattr(s.services.get(k, Signals()), c.signal)) is not None]
        if values:
            v, k = min(values) if low_is_bad else max(values)
            series.append((s.at, float(v)))
            worst_of[s.at] = k
    unit = UNITS[c.signal]
    where = "any service" if c.service == "*" else c.service
    name = f"abort when {where} {LABELS[c.signal]} {c.op} {n(c.value)}{unit}"
    verdict: CheckVerdict
    if not series:
        verdict, observed, at, message = "not measured", None, None, f"{name}: not measured (no sample after the injection)"
    else:
        at, observed = (min if low_is_bad else max)(series, key=lambda p: p[1])
        held = [(t, v) for t, v in series if c.holds(v)]
        verdict = "failed" if held else "passed"
        who = worst_of[held[0][0] if held else at]
        message = (f"{name}: held at T+{offset(record, held[0][0]):.0f}s ({who} {n(held[0][1])}{unit}); "
                   f"worst {n(observed)}{unit}" if held else
                   f"{name}: never held over {len(series)} samples; worst {n(observed)}{unit} ({who})")
    baseline = None
    if c.service != "*":
        baseline = _baseline(record, band_of(baseline_window(record.baseline, record.samples)).ranges.get(c.service, {})
                             .get(c.signal))
    return Check(
        id=f"abort_condition.{c.service}.{c.signal}.{c.op}{c.value:g}", name=name,
        service=c.service, signal=c.signal,
        query=record.queries.get(f"{c.service}.{c.signal}") if c.service != "*" else None,
        window=_window(record, series), baseline=baseline,
        threshold=Threshold(op=c.op, value=c.value, unit=UNIT[c.signal]), observed=_round(observed),
        observed_at_s=offset(record, at) if at else None, samples=_points(record, series), verdict=verdict,
        message=message,
    )


def hypothesis(record: RunRecord) -> list[Check]:
    """One check per predicted peak, then one for the predicted recovery."""
    spec = record.spec
    if spec is None or spec.hypothesis is None or not record.injected:
        return []
    band = band_of(baseline_window(record.baseline, record.samples))
    window = chaos_window(record.samples)
    out = []
    for f in signal_findings(spec, record.baseline, record.samples):
        e = f.expected
        tol = max(TOLERANCE[e.signal], 0.25 * e.peak)
        series = _series(record, window, e.service, e.signal)
        label, unit = f"{e.service} {LABELS[e.signal]}", UNITS[e.signal]
        verdict: CheckVerdict = {"confirmed": "passed", "refuted": "failed"}.get(f.verdict, "not measured")  # type: ignore[assignment]
        out.append(Check(
            id=f"hypothesis.{e.service}.{e.signal}",
            name=f"{label} {({'near': 'peaks near', 'at_least': 'peaks at or above'}).get(e.op, 'falls to or below')} "
                 f"{n(e.peak)}{unit}",
            service=e.service, signal=e.signal, query=record.queries.get(f"{e.service}.{e.signal}", record.source),
            window=_window(record, series), baseline=_baseline(record, band.ranges.get(e.service, {}).get(e.signal)),
            threshold=(Threshold(op="near", value=e.peak, low=_round(max(e.peak - tol, 0.0)), high=_round(e.peak + tol),
                                 unit=UNIT[e.signal]) if e.op == "near"
                       else Threshold(op=">=" if e.op == "at_least" else "<=", value=e.peak, unit=UNIT[e.signal])),
            observed=_round(f.observed_peak), observed_at_s=offset(record, f.at) if f.at else None,
            samples=_points(record, series), verdict=verdict, message=f.sentence(record.start),
        ))
    rec = recovery_of(record)
    if rec is not None:
        from agent.report.recovery import finding_line

        verdict = {"confirmed": "passed", "refuted": "failed"}.get(rec.verdict, "not measured")  # type: ignore[assignment]
        out.append(Check(
            id="hypothesis.recovery", name=f"every affected service back within its band ≤ {rec.predicted_s:g} s "
                                           f"after {rec.measured_from}",
            service=None, signal=None, query=None, window=_window(record, [(s.at, 0.0) for s in window]), baseline=None,
            threshold=Threshold(op="<=", value=rec.predicted_s, unit="s"),
            observed=_round(rec.observed_s if rec.observed_s is not None else rec.watched_s), observed_at_s=None,
            samples=[], verdict=verdict, message=finding_line(rec),
        ))
    return out


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 4)
