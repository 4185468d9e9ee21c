"""Notifier port on the terminal, rendered with Rich."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from agent.models import Candidate, Rejection, Sample


class TerminalNotifier:
    """Implements :class:`agent.ports.Notifier` by printing to a Rich console."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._live: Live | None = None

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._console.print(f"[bold]Run {run_id}[/bold]")
        print_candidates(self._console, candidates, rejected)

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._console.print(f"🔄 {title} - RUNNING / {line}")

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None) -> None:
        if not self._console.is_terminal:
            return  # logs and pipes get the progress lines only
        if self._live is None:
            self._live = Live(console=self._console, refresh_per_second=4, transient=True)
            self._live.start()
        self._live.update(signals_table(f"{title} — {phase}", sample))

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._console.print(f"[bold]{tldr}[/bold]\nReport: {report}")


def print_candidates(
    console: Console, candidates: list[Candidate], rejected: list[Rejection], *, notice: str | None = None
) -> None:
    """The ranked list in the seed's shape: title, description, action, target, risk, duration, file."""
    if notice:
        console.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
    console.print(f"[bold]{len(candidates)} proposed experiment(s)[/bold]")
    for c in candidates:
        s = c.spec
        sel = s.target_selector
        console.print(f"\n[bold]📋 {c.rank}. {s.title}[/bold]  (score {c.score:g})", highlight=False)
        console.print(f"   {s.description}", highlight=False)
        console.print(
            f"   Action: {s.action.value} • Target: {sel.namespace}/{sel.service} ({sel.label_selector}) • "
            f"Risk: {s.risk_level} • Duration: {s.parameters.duration_s}s",
            highlight=False,
        )
        console.print(f"   Why: {s.rationale}", highlight=False)
        if s.hypothesis:
            console.print(f"   Hypothesis: {s.hypothesis.statement}; recovery ≤ {s.hypothesis.recovery_s:.0f} s", highlight=False)
        if c.saved_path:
            console.print(f"   File: {c.saved_path}", highlight=False)
    for r in rejected:
        console.print(f"[yellow]rejected[/yellow] {r.title}: {r.rule}: {r.reason}", highlight=False)
    console.print()


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
