"""The real command line, in this process: ``python -m agent ARGS`` without a subprocess each time.

:func:`invoke` calls :func:`agent.cli.main.main` (the entry point, with its error handling) with
``sys.argv`` set, stdin empty and stdout/stderr captured as UTF-8 byte streams, the way a process
started from a pipe has them. Only ``SystemExit`` is caught: any other exception escaping the
entry point is a traceback the user would have seen, and fails the test.

Every call is counted per test (:data:`CASES`), so the suite can show it drove enough of them.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

CASES: Counter[str] = Counter()


@dataclass(frozen=True)
class Outcome:
    """What one command left: its exit code and everything it printed (stdout, then stderr)."""

    code: int
    out: str

    def check(self) -> Outcome:
        """The promises for any input: exit 0, 1 or 2 and no traceback."""
        assert self.code in (0, 1, 2), f"exit {self.code}:\n{self.out}"
        assert "Traceback" not in self.out, self.out
        return self

    def errors(self) -> list[str]:
        """The ``error:`` lines (the entry point prints one per failure)."""
        return [line for line in self.out.splitlines() if line.startswith("error:")]


class _Watched(io.BytesIO):
    """A byte stream that sets ``seen`` once ``marker`` was written to it (a server's URL, say)."""

    def __init__(self, marker: bytes, seen: threading.Event) -> None:
        super().__init__()
        self._marker, self._seen = marker, seen

    def write(self, data: bytes, /) -> int:  # type: ignore[override]
        n = super().write(data)
        if self._marker in self.getvalue():
            self._seen.set()
        return n


def invoke(*argv: str | Path, case: str, ready: tuple[str, threading.Event] | None = None) -> Outcome:
    """Run ``python -m agent *argv`` in-process; ``case`` names the counter to add one to.

    ``ready``: (text, event): the event is set once stdout shows the text, for a command that
    serves until stopped (``slack serve``), driven from another thread meanwhile.
    """
    from agent.cli import main as entry

    CASES[case] += 1
    out, err = (_Watched(ready[0].encode(), ready[1]) if ready else io.BytesIO()), io.BytesIO()
    # A process's own streams under this image's C.UTF-8 locale: UTF-8, surrogateescape (so a
    # file name with non-UTF-8 bytes prints as those bytes, as Python's UTF-8 mode does).
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
    saved_argv, saved_stdin = sys.argv, sys.stdin
    sys.argv, sys.stdin = ["agent", *(os.fspath(a) for a in argv)], io.StringIO("")
    code: int
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            entry.main()
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        sys.argv, sys.stdin = saved_argv, saved_stdin
        stdout.flush()
        stderr.flush()
    text = out.getvalue().decode("utf-8", "replace") + err.getvalue().decode("utf-8", "replace")
    return Outcome(code=code, out=text)
