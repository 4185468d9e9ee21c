"""Pure decisions of the monitor loop: breach, deviation, recovery.

Kept free of I/O so each rule is unit-tested on plain samples.
"""

from __future__ import annotations

import statistics

from agent.models import AbortThreshold, EngineStatus, Sample, Signals

# A change this large against the baseline counts as a deviation (percentage points / ms).
ERROR_DEVIATION_PP = 5.0
LATENCY_DEVIATION_FACTOR = 1.5
LATENCY_DEVIATION_FLOOR_MS = 50.0


def breach(sample: Sample, threshold: AbortThreshold) -> str | None:
    """Why ``sample`` crosses the abort threshold (the first condition that holds), or None.

    A watched service with no signal at all is a breach: the run must not go on blind.
    """
    for c in threshold.all_conditions():
        services = sorted(sample.services) if c.service == "*" else [c.service]
        for name in services:
            s = sample.services.get(name)
            if s is None:
                return f"no signal for {name}, a watched service"
            observed = getattr(s, c.signal)
            if observed is not None and c.holds(observed):
                return f"{name} {LABELS[c.signal]} {fmt(c.signal, observed)} {c.op} {fmt(c.signal, c.value)}"
    return None


LABELS = {"error_rate_pct": "error rate", "latency_p95_ms": "p95", "cpu_millicores": "CPU", "memory_mib": "memory",
          "ready_replicas": "ready replicas"}  # the last one: predicted by hypotheses, from the Kubernetes API


def fmt(signal: str, v: float | None) -> str:
    """A signal's value with its unit: ``2.3%``, ``187 ms``, ``250m``, ``512 MiB`` (``no value``: its series vanished)."""
    if v is None:
        return "no value"
    if signal == "error_rate_pct":
        return f"{v:.1f}%" if v != int(v) else f"{v:g}%"
    unit = {"latency_p95_ms": " ms", "cpu_millicores": "m", "memory_mib": " MiB"}[signal]
    return f"{v:.0f}{unit}"


def deviations(sample: Sample, baseline: Sample) -> list[str]:
    """Services whose error rate or p95 moved clearly away from the baseline (or vanished)."""
    out = []
    for name, base in sorted(baseline.services.items()):
        if _deviates(sample.services.get(name, Signals()), base):
            out.append(name)
    return out


def _deviates(now: Signals, base: Signals) -> bool:
    if any(getattr(base, f) is not None and getattr(now, f) is None for f in ("error_rate_pct", "latency_p95_ms")):
        return True  # measured before, gone now: a vanished signal is not a recovered one
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


def steady_state(samples: list[Sample]) -> Sample:
    """The baseline: per service and signal, the median over the pre-chaos window (robust to
    one noisy tick); stamped with the last sample's time and tick 0."""
    names = sorted({n for s in samples for n in s.services})
    fields = list(Signals.model_fields)
    services = {}
    for name in names:
        values = {}
        for f in fields:
            seen = [getattr(s.services[name], f) for s in samples if name in s.services]
            seen = [v for v in seen if v is not None]
            values[f] = statistics.median(seen) if seen else None
        for f in ("ready_replicas", "replicas"):
            v = values[f]
            values[f] = None if v is None else int(v)
        services[name] = Signals(**values)
    return Sample(tick=0, at=samples[-1].at, services=services)


def overrun(status: EngineStatus, *, over: float, duration_s: int, engine: str) -> tuple[str, str]:
    """(timeline note, abort reason) for an engine still active ``over`` s past its planned end.

    A Litmus engine whose chaos-runner never ran stays ``initialized`` with neither an
    ``experiments[]`` status (the runner writes it) nor a ChaosResult (litmus-go does): what the
    operator leaves when it cannot build the runner pod, above all when the engine's ChaosExperiment
    is not installed in its namespace (chaos-operator 3.18.0 chaosengine_controller.go:171-175,
    retried with backoff for ever); with no status at all, no operator reconciled it. Either is
    chaos that never started, not chaos that ran too long.
    """
    if status.engine_status is None:  # no status at all: no operator has reconciled it
        why = (f"the chaos never started: {engine} has no status {over:.0f} s after its planned end "
               "(is the chaos operator running? kubectl get pods -n litmus)")
        return why, why
    if status.experiment_status is None and status.phase is None:
        why = (f"the chaos never started: {engine} still {status.engine_status} with no experiment "
               f"status {over:.0f} s after its planned end (Litmus starts its chaos-runner only once the "
               "engine's ChaosExperiment is found in its namespace; kubectl describe the engine for the operator's events)")
        return why, why
    return (f"still {status.engine_status or 'running'} {over:.0f} s after its planned end",
            f"chaos outlived its planned duration of {duration_s} s by {over:.0f} s")
