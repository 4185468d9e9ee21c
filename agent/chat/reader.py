"""Reading from the person at the terminal: lines (readline) and yes/no confirmations.

The REPL takes any ``Reader`` (``read(prompt) -> line``): :func:`line_reader` at a terminal, any
callable in tests. It raises EOFError on Ctrl-D and KeyboardInterrupt on Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from agent.chat.agent import Confirm

Reader = Callable[[str], str]


def confirm_with(console: Console, read: Reader,
                 describe: Callable[[str, Mapping[str, object]], str | None] = lambda name, args: None) -> Confirm:
    """Ask the person before the model runs a tool that decides something (approve, reject);
    ``describe`` says in words what the call would decide (e.g. the experiment's title)."""

    def confirm(name: str, args: Mapping[str, object]) -> bool:
        call = f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
        console.print(f"The assistant wants to run [bold]{escape(call)}[/bold] as you.", highlight=False)
        what = describe(name, args)
        if what:
            console.print(f"  That is: {escape(what)}", highlight=False)
        try:
            return read("Go ahead? [y/N] ").strip().lower() in ("y", "yes")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return False

    return confirm


@contextmanager
def line_reader(history: Path, complete: Callable[[str, str], list[str]]) -> Iterator[Reader]:
    """``input`` with readline: tab completion via ``complete(text, line)``, history in ``history``."""
    import readline

    matches: list[str] = []

    def completer(text: str, state: int) -> str | None:
        if state == 0:
            matches[:] = complete(text, readline.get_line_buffer())
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" \t")
    readline.set_completer(completer)
    libedit = "libedit" in (readline.__doc__ or "")  # macOS's Python binds keys differently
    readline.parse_and_bind("bind ^I rl_complete" if libedit else "tab: complete")
    readline.set_history_length(1000)
    history.parent.mkdir(parents=True, exist_ok=True)
    try:
        readline.read_history_file(history)
    except OSError:
        pass  # the first chat: no history yet
    try:
        yield input
    finally:
        readline.set_completer(None)
        try:
            readline.write_history_file(history)
        except OSError:
            pass  # a read-only state directory loses the history, not the chat
