"""A run's latest signals as a Rich table (the terminal's live view)."""

from __future__ import annotations

from rich.table import Table

from agent.models import Sample


def signals_table(title: str, sample: Sample | None) -> Table:
    """One row per service: errors, p95, CPU, memory, ready pods."""
    table = Table(title=title, title_justify="left")
    for column in ("service", "errors %", "p95 ms", "CPU m", "memory MiB", "ready"):
        table.add_column(column, justify="right" if column != "service" else "left")
    if sample is None:
        table.add_row("(no metrics this tick)", "", "", "", "", "")
        return table
    for name, s in sorted(sample.services.items()):
        table.add_row(
            name, _num(s.error_rate_pct, 1), _num(s.latency_p95_ms, 0), _num(s.cpu_millicores, 0),
            _num(s.memory_mib, 0), f"{s.ready_replicas}/{s.replicas}" if s.replicas is not None else "-",
        )
    return table


def _num(v: float | None, digits: int) -> str:
    return "-" if v is None else f"{v:.{digits}f}"
