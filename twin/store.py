"""The state file: loaded, locked, reloaded when another process changed it, saved atomically.

Several processes may serve the same state file (one pauses a run, another resumes it), so
every request runs inside `transaction()`: an exclusive fcntl lock on `<state>.lock`, a reload
if the file's (inode, mtime_ns, size) differs from what this process last loaded or saved,
and, if the request changed anything, a save through a temp file and `os.replace`.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from twin.state import State

Stamp = tuple[int, int, int]


class StateFileError(RuntimeError):
    """The state file exists but cannot be read as a twin state."""


@dataclass
class Transaction:
    """The state for one request; set `dirty` when it changed."""

    state: State
    dirty: bool = False


class StateStore:
    """One state file, shared between threads of this process and other processes."""

    def __init__(self, path: Path, seed_fn: Callable[[], State]) -> None:
        self._path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._seed_fn = seed_fn
        self._mutex = threading.Lock()
        self._state: State | None = None
        self._stamp: Stamp | None = None

    @property
    def path(self) -> Path:
        """Where the state lives."""
        return self._path

    def _file_stamp(self) -> Stamp | None:
        try:
            st = self._path.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _load_or_seed(self) -> bool:
        """Make the in-memory state current; returns True when it was freshly seeded."""
        stamp = self._file_stamp()
        if stamp is None:
            self._state = self._seed_fn()
            return True
        if stamp != self._stamp or self._state is None:
            try:
                self._state = State.model_validate_json(self._path.read_bytes())
            except ValueError as error:  # pydantic's ValidationError is a ValueError
                raise StateFileError(
                    f"{self._path}: not a twin state file ({str(error).splitlines()[0]}); "
                    "delete it to seed a fresh cluster") from error
            self._stamp = stamp
        return False

    def _save(self, state: State) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temp = self._path.with_name(f"{self._path.name}.{os.getpid()}.tmp")
        temp.write_text(state.model_dump_json(), encoding="utf-8")
        os.replace(temp, self._path)
        self._stamp = self._file_stamp()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Lock, bring the state up to date, yield it, save it if the request changed it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._mutex, open(self._lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                seeded = self._load_or_seed()
                assert self._state is not None
                tx = Transaction(self._state, dirty=seeded)
                try:
                    yield tx
                except BaseException:
                    self._state, self._stamp = None, None  # drop half-applied changes
                    raise
                if tx.dirty:
                    self._save(tx.state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
