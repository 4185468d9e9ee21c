"""Key-finding lines on how finely the run was timed: the metrics' resolution and rate() window,
and the user journey the agent measured itself (:mod:`agent.report.journey`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from agent.report import journey
from agent.report.record import RunRecord, journey_of

_WINDOW = re.compile(r"\[(\d+(?:ms|s|m|h))\]")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def window_s(window: str) -> float | None:
    """``1m`` -> 60, ``30s`` -> 30 (a single-unit PromQL range); None for anything else."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", window)
    return int(m.group(1)) * _UNITS[m.group(2)] if m else None


def rate_window(record: RunRecord) -> str | None:
    """The rate() window of the signals: the range read's, else the one the queries name."""
    if record.history is not None:
        return record.history.window
    found = {m.group(1) for q in record.queries.values() for m in _WINDOW.finditer(q)}
    return found.pop() if len(found) == 1 else None


def lines(record: RunRecord, rel: Callable[[datetime], str]) -> list[str]:
    """The resolution of the timings, the rate() window's lag, and the user journey."""
    out = []
    h = record.history
    if h is not None and h.samples:
        out.append(f"- timed from Prometheus's range read over the run at its scrape interval ({h.step_s:g} s, "
                   f"{len(h.samples)} points), not the monitor's ticks: each instant is known to ± {h.step_s:g} s")
    window = rate_window(record)
    lag = window_s(window) if window else None
    if window and lag:
        out.append(f"- with rate over {window}, a change shows in the error rate and p95 gradually over up to "
                   f"{lag:g} s: recovery can read up to {lag:g} s late (and a deviation start as late)")
    summary = journey_of(record)
    if summary is not None and record.journey is not None:
        worst = summary.worst
        at = rel(worst.first_failure) if worst is not None and worst.first_failure is not None else None
        out.append(f"- {journey.line(summary, record.journey, at)}")
    return out


def evidence_rows(record: RunRecord) -> list[dict[str, object]]:
    """The same figures for the LLM's evidence bundle, so prose quoting them passes the number check."""
    rows: list[dict[str, object]] = []
    window = rate_window(record)
    lag = window_s(window) if window else None
    if record.history is not None or lag:
        rows.append({"type": "timing", "range_step_s": record.history.step_s if record.history else None,
                     "rate_window_s": lag})
    s = journey_of(record)
    if s is not None:
        w = s.worst
        rows.append({"type": "user_journey", "interval_ms": s.interval_ms, "requests": s.requests, "failed": s.failed,
                     "failed_pct": s.failed_pct, "path": w.path if w else None,
                     "failover_ms": w.failover_ms if w else None, "path_failed_pct": w.failed_pct if w else None})
    return rows
