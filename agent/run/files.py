"""Per-run files: what a run needs but should not be re-stored at every checkpoint.

LangGraph's SQLite checkpointer stores every channel value at every step, so a 30 KB inventory
in the state costs 30 KB per monitor tick. Large or write-once data lives here instead, under
``<root>/<run_id>/``: the inventory, the candidates, the baseline, the manifest (each written
whole, atomically, by the step that makes it; a replayed step rewrites the same file) and the
samples (appended each tick; a replayed tick appends again and readers keep its last line).
With ``checkpoint.backend: postgres`` the same data lives in PostgreSQL instead
(``agent.adapters.pg_runstore``), so several replicas share it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from agent.errors import ChaosAdvisorError, ConfigError
from agent.models import Candidate, Inventory, KillSwitch, Sample

M = TypeVar("M", bound=BaseModel)
_CANDIDATES = TypeAdapter(list[Candidate])
CONTROL = "_control"  # not a run: the store's own settings (the kill switch); run ids are hex


def retry_for(wait_s: float, attempt: Callable[[], bool], *, every_s: float = 0.05) -> bool:
    """``attempt()`` until it succeeds or ``wait_s`` passed (a lease held for a moment by
    ``recover`` looking at a run is worth a short wait)."""
    deadline = time.monotonic() + wait_s
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(every_s)
    return True


def _flock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode)
    except BlockingIOError:
        return False
    return True


class FileRunStore:
    """Run files under one root directory (the ``RunStore`` port for ``checkpoint.backend: sqlite``)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _dir(self, run_id: str) -> Path:
        path = self._root / run_id
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # the state directory was removed, made read-only or is full
            raise ConfigError(f"paths.state_dir: cannot make {path} ({e.strerror}); "
                              "set it to a directory this user can write") from None
        return path

    def _write(self, run_id: str, name: str, text: str) -> None:
        path = self._dir(run_id) / name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    def _read(self, run_id: str, name: str) -> str:
        path = self._root / run_id / name
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ChaosAdvisorError(f"run {run_id}: {path} is missing; was the state directory moved?") from None

    def save(self, run_id: str, name: str, model: BaseModel) -> None:
        """Write one model as ``<name>.json``."""
        self._write(run_id, f"{name}.json", model.model_dump_json())

    def load(self, run_id: str, name: str, cls: type[M]) -> M:
        """Read ``<name>.json`` back as ``cls``."""
        return cls.model_validate_json(self._read(run_id, f"{name}.json"))

    def kill_switch(self) -> KillSwitch:
        """The kill switch in ``<root>/_control/kill-switch.json`` (off when the file is absent)."""
        path = self._root / CONTROL / "kill-switch.json"
        try:
            return KillSwitch.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return KillSwitch()

    def set_kill_switch(self, switch: KillSwitch) -> None:
        """Write the kill switch atomically."""
        self._write(CONTROL, "kill-switch.json", switch.model_dump_json())

    def save_inventory(self, run_id: str, inventory: Inventory) -> None:
        self.save(run_id, "inventory", inventory)

    def inventory(self, run_id: str) -> Inventory:
        return self.load(run_id, "inventory", Inventory)

    def save_candidates(self, run_id: str, candidates: list[Candidate]) -> None:
        self._write(run_id, "candidates.json", _CANDIDATES.dump_json(candidates).decode())

    def candidates(self, run_id: str) -> list[Candidate]:
        return _CANDIDATES.validate_json(self._read(run_id, "candidates.json"))

    def claim(self, run_id: str, key: str) -> bool:
        """Atomically claim ``key`` (an interrupt id) for ``run_id``: True for the first caller
        only, across threads and processes sharing this directory (O_CREAT | O_EXCL)."""
        path = self._dir(run_id) / f"claim-{key}"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.getpid()}\n")
        return True

    def release(self, run_id: str, key: str) -> bool:
        """Drop a claim whose claimer died before answering (``recover``)."""
        try:
            (self._root / run_id / f"claim-{key}").unlink()
        except FileNotFoundError:
            return False
        return True

    @contextmanager
    def lease(self, run_id: str, *, exclusive: bool = False, wait_s: float = 0.0) -> Iterator[bool]:
        """An flock on ``<run>/lease`` for the block (shared, or exclusive for ``recover``);
        the kernel drops it when the holder dies, even by SIGKILL."""
        fd = os.open(self._dir(run_id) / "lease", os.O_CREAT | os.O_RDWR, 0o644)
        mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
        try:
            yield retry_for(wait_s, lambda: _flock(fd, mode))
        finally:
            os.close(fd)  # releases the lock

    def append(self, run_id: str, sample: Sample) -> None:
        """Record one tick's sample."""
        with (self._dir(run_id) / "samples.jsonl").open("a", encoding="utf-8") as f:
            f.write(sample.model_dump_json() + "\n")

    def samples(self, run_id: str) -> list[Sample]:
        """All samples of a run in tick order, the last write of each tick winning."""
        path = self._root / run_id / "samples.jsonl"
        if not path.exists():
            return []
        by_tick: dict[int, Sample] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                sample = Sample.model_validate_json(line)
                by_tick[sample.tick] = sample
        return [by_tick[t] for t in sorted(by_tick)]
