"""Notifier port on the terminal, rendered with Rich."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from agent.models import Candidate, Rejection


class TerminalNotifier:
    """Implements :class:`agent.ports.Notifier` by printing to a Rich console."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._console.print(f"[bold]Run {run_id}: {len(candidates)} proposed experiment(s)[/bold]")
        for c in candidates:
            s = c.spec
            sel = s.target_selector
            self._console.print(
                f"\n[bold]{c.rank}. {s.title}[/bold]  ({s.action.value} on {sel.namespace}/{sel.service}, "
                f"risk {s.risk_level}, {s.parameters.duration_s} s, score {c.score:g})",
                highlight=False,
            )
            self._console.print(f"   {s.description}", highlight=False)
            self._console.print(f"   why: {s.rationale}", highlight=False)
            self._console.print(f"   expected: {s.expected_impact}", highlight=False)
            if c.saved_path:
                self._console.print(f"   saved: {c.saved_path}", highlight=False)
        for r in rejected:
            self._console.print(f"[yellow]rejected[/yellow] {r.title}: {r.rule}: {r.reason}", highlight=False)
        self._console.print()

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._console.print(f"🔄 {title} - RUNNING / {line}")

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        self._console.print(f"[bold]{tldr}[/bold]\nReport: {report}")
