"""Notifier port on the terminal, rendered with Rich."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from agent.design.view import print_candidates
from agent.errors import ChaosAdvisorError
from agent.models import Candidate, Inventory, Rejection, Sample
from agent.ports import RunStore
from agent.run.view import signals_table


class TerminalNotifier:
    """Implements :class:`agent.ports.Notifier` by printing to a Rich console."""

    def __init__(self, console: Console, store: RunStore | None = None, *, err: Console | None = None) -> None:
        self._console = console
        self._store = store  # the run's inventory: the pods each selector matches
        self._err = err if err is not None else Console(stderr=True)  # where a piped run's tick lines go
        self._live: Live | None = None

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._console.print(f"[bold]Run {run_id}[/bold]")
        print_candidates(self._console, candidates, rejected, inventory=self._inventory(run_id))

    def _inventory(self, run_id: str) -> Inventory | None:
        if self._store is None:
            return None
        try:
            return self._store.inventory(run_id)
        except ChaosAdvisorError:
            return None  # shown without pods rather than not at all

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._console.print(f"🔄 {title} - RUNNING / {line}")

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        """In a terminal, the live table under ``line``; piped (stdout or stderr), ``line`` on
        stderr as well, one plain line per tick, for a person tailing a log."""
        if not (self._console.is_terminal and self._err.is_terminal):
            self._err.print(f"[{run_id}] {line}", markup=False, highlight=False, soft_wrap=True)
        if not self._console.is_terminal:
            return
        if self._live is None:
            self._live = Live(console=self._console, refresh_per_second=4, transient=True)
            self._live.start()
        self._live.update(Group(Text(line), signals_table(title, sample)))

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._console.print(f"[bold]{tldr}[/bold]\nReport: {report}")
