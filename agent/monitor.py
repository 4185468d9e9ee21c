"""Pure decisions of the monitor loop: breach, deviation, recovery.

Kept free of I/O so each rule is unit-tested on plain samples.
"""

from __future__ import annotations

from agent.models import AbortThreshold, Sample, Signals

# A change this large against the baseline counts as a deviation (percentage points / ms).
ERROR_DEVIATION_PP = 5.0
LATENCY_DEVIATION_FACTOR = 1.5
LATENCY_DEVIATION_FLOOR_MS = 50.0


def breach(sample: Sample, threshold: AbortThreshold) -> str | None:
    """Why ``sample`` crosses the abort threshold, or None."""
    s = sample.services.get(threshold.service)
    if s is None:
        return f"no signal for {threshold.service}, the watched service"
    if (
        threshold.error_rate_pct is not None
        and s.error_rate_pct is not None
        and s.error_rate_pct > threshold.error_rate_pct
    ):
        return (
            f"{threshold.service} error rate {s.error_rate_pct:.1f}% > "
            f"{threshold.error_rate_pct:g}%"
        )
    if (
        threshold.latency_p95_ms is not None
        and s.latency_p95_ms is not None
        and s.latency_p95_ms > threshold.latency_p95_ms
    ):
        return (
            f"{threshold.service} p95 {s.latency_p95_ms:.0f} ms > {threshold.latency_p95_ms:g} ms"
        )
    return None


def deviations(sample: Sample, baseline: Sample) -> list[str]:
    """Services whose error rate or p95 moved clearly away from the baseline."""
    out = []
    for name, now in sorted(sample.services.items()):
        base = baseline.services.get(name)
        if base is not None and _deviates(now, base):
            out.append(name)
    return out


def _deviates(now: Signals, base: Signals) -> bool:
    if now.error_rate_pct is not None and base.error_rate_pct is not None:
        if now.error_rate_pct - base.error_rate_pct > ERROR_DEVIATION_PP:
            return True
    if now.latency_p95_ms is not None and base.latency_p95_ms is not None:
        limit = max(
            base.latency_p95_ms * LATENCY_DEVIATION_FACTOR,
            base.latency_p95_ms + LATENCY_DEVIATION_FLOOR_MS,
        )
        if now.latency_p95_ms > limit:
            return True
    if now.ready_replicas is not None and now.replicas is not None:
        return now.ready_replicas < now.replicas
    return False


def recovered(sample: Sample, baseline: Sample) -> bool:
    """True when no service deviates from the baseline any more."""
    return not deviations(sample, baseline)


def summary_line(sample: Sample, service: str) -> str:
    """The progress line in the seed's form: ``Error Rate: 2.3% | Latency: 187ms``."""
    s = sample.services.get(service)
    if s is None:
        return f"{service}: no signal"
    err = "n/a" if s.error_rate_pct is None else f"{s.error_rate_pct:.1f}%"
    lat = "n/a" if s.latency_p95_ms is None else f"{s.latency_p95_ms:.0f}ms"
    return f"{service} Error Rate: {err} | Latency: {lat}"
