"""Recovery measured from the signals, not from the monitor's events (pure).

For each service and signal that left its baseline band (:mod:`agent.run.band`) after the
injection: when it first did, and when it was back (the first in-band sample after its last
out-of-band one; none while the last sample is still off). A service has recovered when all its SLO
signals are back; the run, when every affected service has.

The hypothesis's recovery is compared with the right interval: for a fault with a kill instant
(pod-delete, container-kill) from the kill, taken as the injection (Litmus kills once its runner
has started, so this is an upper bound), to recovery; for a fault that lasts (CPU, memory, network
...) from the end of chaos to recovery (0 when the services were back before it ended).

Every duration has the resolution of its data: the widest gap between two samples from the last
baseline sample on (the true instant of a change lies between two samples). A prediction is
confirmed when the measured recovery, less that resolution and less the signals' rate() window
(a rate falls back to its baseline up to one window after the errors stop), is within it plus
20 % (a prediction is an estimate, not a deadline); refuted only when even that earliest possible
recovery is later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.models import ExperimentSpec, Fault, RunEvent, Sample
from agent.report.findings import RecoveryFinding, Verdict, first, n
from agent.run.band import ALL_SIGNALS, SLO_SIGNALS, Band, Range, band_of, baseline_window

CHAOS_ENDED = ("completed", "stopped", "engine_removed", "stop_unconfirmed")
SLACK = 1.2  # a predicted recovery is an estimate: 20 % over it still confirms it


@dataclass(frozen=True)
class SignalRecovery:
    """One signal of one service that left its band after the injection."""

    service: str
    signal: str
    band: Range
    off_at: datetime  # the first sample outside the band
    back_at: datetime | None  # the first sample within it after the last one outside; None: still off
    worst: float | None  # the value farthest from the band's mean; None: it only vanished (no value)


@dataclass(frozen=True)
class Recovery:
    """What the signals say about recovery, and the instant it is measured from."""

    rows: list[SignalRecovery]  # service-signals that left their band, by service then time
    kill: bool  # measured from the kill (the injection); else from the end of chaos
    reference: datetime | None  # the kill or the end of chaos; None: chaos never seen to end
    back_at: datetime | None  # every affected service's SLO signals back; None: not (yet) all
    last_at: datetime | None  # the last sample: how long recovery was watched
    resolution_s: float  # widest gap between two samples from the last baseline sample on
    measured: bool  # an SLO signal was read after the injection

    @property
    def affected(self) -> list[str]:
        """Services with an SLO signal that left its band."""
        return sorted({r.service for r in self.rows if r.signal in SLO_SIGNALS})

    @property
    def observed_s(self) -> float | None:
        """Reference -> recovery, in seconds (0 when back before the reference); None if not back."""
        if self.reference is None or not self.measured:
            return None
        if not self.affected:
            return 0.0
        if self.back_at is None:
            return None
        return max(0.0, (self.back_at - self.reference).total_seconds())

    @property
    def from_text(self) -> str:
        return "the kill" if self.kill else "the end of chaos"


def measure(spec: ExperimentSpec, events: list[RunEvent], baseline: Sample | None, samples: list[Sample]) -> Recovery:
    """Recovery of every service that left its band after the injection."""
    band = band_of(baseline_window(baseline, samples))
    after = sorted((s for s in samples if s.tick >= 1), key=lambda s: s.at)
    rows = [r for name in sorted({n for s in after for n in s.services})
            for sig in ALL_SIGNALS if (r := _signal(band, after, name, sig)) is not None]
    kill = Fault(spec.action).entry.kind == "instant"  # a kill instant: recovery counts from the injection
    start = first(events, "applied", "engine_found")
    ended = first(events, *CHAOS_ENDED)
    reference = start.at if start and kill else (ended.at if ended else None)
    if reference is None and start is not None and after and after[-1].at >= _planned_end(start.at, spec):
        reference = _planned_end(start.at, spec)  # not seen to end, but its planned end has passed
    measured = any(getattr(s.services[n], sig) is not None for s in after for n in s.services for sig in SLO_SIGNALS)
    return Recovery(
        rows=sorted(rows, key=lambda r: (r.service, r.off_at)), kill=kill, reference=reference,
        back_at=_all_back(rows), last_at=after[-1].at if after else None,
        resolution_s=resolution_s(samples), measured=measured,
    )


def _planned_end(start: datetime, spec: ExperimentSpec) -> datetime:
    return start + timedelta(seconds=spec.parameters.duration_s)


def _signal(band: Band, after: list[Sample], service: str, signal: str) -> SignalRecovery | None:
    r = band.ranges.get(service, {}).get(signal)
    if r is None:
        return None
    off = [s for s in after if band.off(s, service, (signal,))]
    if not off:
        return None
    later = [s for s in after if s.at > off[-1].at and getattr(s.services.get(service), signal, None) is not None]
    values = [float(v) for s in off if (v := getattr(s.services.get(service), signal, None)) is not None]
    return SignalRecovery(service, signal, r, off[0].at, later[0].at if later else None,
                          max(values, key=lambda v: abs(v - r.mean), default=None))


def _all_back(rows: list[SignalRecovery]) -> datetime | None:
    slo = [r for r in rows if r.signal in SLO_SIGNALS]
    if any(r.back_at is None for r in slo):
        return None
    return max((r.back_at for r in slo if r.back_at is not None), default=None)


def resolution_s(samples: list[Sample]) -> float:
    """The widest gap between two consecutive samples from the last baseline sample on (0 with fewer
    than two): no instant measured from them is known more finely."""
    ats = sorted(s.at for s in samples if s.tick >= 0)
    return max(((b - a).total_seconds() for a, b in zip(ats, ats[1:], strict=False)), default=0.0)


def finding(spec: ExperimentSpec, events: list[RunEvent], baseline: Sample | None, samples: list[Sample], *,
            lag_s: float = 0.0) -> RecoveryFinding | None:
    """The hypothesis's recovery against the measured one (see the module docstring); ``lag_s``:
    the signals' rate() window (0: instant values)."""
    if spec.hypothesis is None:
        return None
    rec = measure(spec, events, baseline, samples)
    predicted, res, observed = spec.hypothesis.recovery_s, rec.resolution_s, rec.observed_s
    verdict: Verdict
    watched: float | None = None
    if observed is not None:
        verdict = "confirmed" if observed - res - lag_s <= predicted * SLACK else "refuted"
    elif not rec.measured or rec.reference is None or rec.last_at is None:
        verdict = "not measured"
    else:
        watched = max(0.0, (rec.last_at - rec.reference).total_seconds())
        too_long = watched - res - lag_s > predicted * SLACK
        verdict = "refuted" if too_long else "not measured"  # the watch ended too soon to say
    return RecoveryFinding(predicted, observed, verdict, resolution_s=res, measured_from=rec.from_text,
                           watched_s=watched, lag_s=lag_s)


def duration(seconds: float, resolution: float) -> str:
    """``≈ 10 s ± 2 s``: a duration with the resolution of the data it was measured from."""
    return f"≈ {_s(seconds)} s ± {_s(resolution)} s"


def _s(v: float) -> str:
    return f"{v:.1f}" if 0 < v < 1 else f"{v:.0f}"


LABELS = {"error_rate_pct": ("error rate", "%"), "latency_p95_ms": ("p95", " ms"), "cpu_millicores": ("CPU", "m"),
          "memory_mib": ("memory", " MiB"), "ready_replicas": ("ready replicas", "")}


def finding_line(f: RecoveryFinding) -> str:
    """The key finding on recovery, saying which interval the prediction was compared with."""
    head = f"recovery, from {f.measured_from} to every affected service back within its baseline band: predicted ≤ {f.predicted_s:.0f} s"
    if f.observed_s is not None:
        low, high = max(0.0, f.observed_s - f.resolution_s - f.lag_s), f.observed_s + f.resolution_s
        lag = (f" (read through a {f.lag_s:g} s rate window, which shows a recovery up to that late: it took "
               f"between {_s(low)} and {_s(high)} s)") if f.lag_s else ""
        rule = f" (the rule: confirmed while the earliest it can have taken is ≤ {_s(f.predicted_s * SLACK)} s, the prediction + 20 %)"
        return f"{head}, measured {duration(f.observed_s, f.resolution_s)}{lag}: {f.verdict}{rule}"
    if f.watched_s is not None:
        still = f"not back {duration(f.watched_s, f.resolution_s)} after {f.measured_from}, when the watch ended"
        return f"{head}; {still}: {f.verdict}"
    return f"{head}; not measured: no SLO signal was read after the injection, or chaos was not seen to end"


def signal_lines(rec: Recovery, rel: Callable[[datetime], str]) -> list[str]:
    """One line per service-signal that left its band: off from, worst value, back at."""
    out = []
    for r in rec.rows:
        label, unit = LABELS[r.signal]
        back = f"back at {rel(r.back_at)}" if r.back_at else "still off at the last sample"
        low = max(r.band.low, 0.0)
        band = f"≥ {n(low)}" if r.band.high == float("inf") else f"{n(low)}–{n(r.band.high)}{unit}"
        slo = "" if r.signal in SLO_SIGNALS else " (not an SLO signal: does not decide recovery)"
        worst = "no value: its series vanished" if r.worst is None else f"worst {n(r.worst)}{unit}"
        out.append(f"{r.service} {label}: off from {rel(r.off_at)} ({worst}, band {band}), {back}{slo}")
    return out
