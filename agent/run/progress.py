"""The line a person follows a run by, one per baseline reading and per monitor tick: where the
run is, each abort signal against its threshold, and the signals of the services on the
predicted path (target → callers → users), e.g.

    T+35 s running · abort when front-end error rate > 5%: now 2.3% · path carts 100.0% - → front-end 2.3% 187 ms

Pure text: the terminal shows it over its live table, and writes it to stderr when piped.
"""

from __future__ import annotations

from datetime import datetime

from agent.design.path import predicted_path
from agent.models import AbortCondition, AbortThreshold, ExperimentSpec, Inventory, Sample
from agent.run.monitor import LABELS, fmt

PATH_SHOWN = 6  # services of the path on one line; the rest are counted


def baseline_head(readings: int, of: int, *, window_s: float) -> str:
    """``measuring baseline 12/25 s``: the share of the window the readings so far cover."""
    return f"measuring baseline {window_s * readings / of:.0f}/{window_s:.0f} s"


def run_head(phase: str, *, started: datetime | None, now: datetime) -> str:
    """``T+35 s running``: the offset from the start of chaos (the run's clock) and the phase."""
    return phase if started is None else f"T+{max(0.0, (now - started).total_seconds()):.0f} s {phase}"


def watch_line(head: str, sample: Sample | None, spec: ExperimentSpec, inventory: Inventory) -> str:
    """:func:`tick_line` for ``spec``: its abort conditions and its predicted path in ``inventory``."""
    return tick_line(head, sample, spec.abort_threshold, predicted_path(spec, inventory))


def tick_line(head: str, sample: Sample | None, threshold: AbortThreshold | None, path: list[str]) -> str:
    """``head``, then each abort condition with what it sees now, then the path's signals."""
    if sample is None:
        return f"{head} · no metrics this tick"
    parts = [head]
    if threshold is not None:
        parts += [_condition(c, sample) for c in threshold.all_conditions()]
    shown = [_service(sample, name) for name in path[:PATH_SHOWN]]
    more = f" → {len(path) - PATH_SHOWN} more" if len(path) > PATH_SHOWN else ""
    parts.append("path " + " → ".join(shown) + more)
    return " · ".join(parts)


def _condition(c: AbortCondition, sample: Sample) -> str:
    rule = f"abort when {'any service' if c.service == '*' else c.service} {LABELS[c.signal]} {c.op} {fmt(c.signal, c.value)}"
    names = sorted(sample.services) if c.service == "*" else [c.service]
    seen = [(v, n) for n in names if (s := sample.services.get(n)) is not None and (v := getattr(s, c.signal)) is not None]
    if not seen:
        return f"{rule}: no signal"
    value, name = (max if c.op in (">", ">=") else min)(seen)  # the one closest to firing
    return f"{rule}: now {fmt(c.signal, value)}" + (f" ({name})" if c.service == "*" else "")


def _service(sample: Sample, name: str) -> str:
    s = sample.services.get(name)
    if s is None:
        return f"{name} no signal"
    err = "-" if s.error_rate_pct is None else f"{s.error_rate_pct:.1f}%"
    p95 = "-" if s.latency_p95_ms is None else f"{s.latency_p95_ms:.0f} ms"
    return f"{name} {err} {p95}"
