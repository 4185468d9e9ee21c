"""Ctrl-C and SIGTERM while this process runs an experiment.

The first asks the monitor to stop the chaos (``engineState: stop``, as on a breach) and lets the
run end with its report; the second exits at once and says what may still be running and the
commands that finish it. Outside the main thread (a Slack worker) signals are not ours to take.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer
from rich.console import Console

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class UserStop:
    """Who asked this process to stop (``Deps.stop_requested``), or None."""

    def __init__(self) -> None:
        self.who: str | None = None

    def requested(self) -> str | None:
        return self.who


@contextmanager
def stopping_on_signals(console: Console, run_id: str) -> Iterator[UserStop]:
    """Within the block, the first SIGINT/SIGTERM sets the stop; the second exits (130)."""
    stop = UserStop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        name = NAMES.get(signal.Signals(signum), f"signal {signum}")
        if stop.who is None:
            stop.who = name
            console.print(f"\n[yellow]{name}: stopping the chaos of run {run_id} and writing its report; "
                          f"{name} again exits at once.[/yellow]", highlight=False)
            return
        raise KeyboardInterrupt

    previous = {s: signal.signal(s, handler) for s in NAMES}
    try:
        yield stop
    except KeyboardInterrupt:
        from agent.cli.common import agent_command

        cmd = agent_command()  # as a fresh shell runs it (scripts/demo.sh runs .venv/bin/python)
        console.print(f"[red]Exited before run {run_id} ended: its chaos may still be running.[/red] Finish it with:\n"
                      f"  {cmd} abort {run_id}      # stop the engine now\n"
                      f"  {cmd} recover            # watch it to its end and write the report",
                      highlight=False)
        raise typer.Exit(130) from None
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
