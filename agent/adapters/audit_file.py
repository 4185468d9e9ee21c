"""AuditLog port over a JSON-lines file (``<state_dir>/audit.jsonl``).

Each entry is one ``write`` of one line to a descriptor opened with ``O_APPEND``, then
``fsync``: several processes append to the same file without interleaving lines, and nothing
is ever rewritten or truncated. Also an in-memory log with the same contract, for unit tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from agent.errors import ChaosAdvisorError
from agent.models import AuditEntry


class FileAuditLog:
    """Implements :class:`agent.ports.AuditLog` as an append-only JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: AuditEntry) -> None:
        line = (entry.model_dump_json() + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)  # one write of one line: O_APPEND makes it atomic at the end
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        if not self.path.exists():
            return []
        found = []
        with self.path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = AuditEntry.model_validate_json(line)
                except ValidationError as e:
                    raise ChaosAdvisorError(
                        f"{self.path}:{n}: not an audit entry ({e.error_count()} errors); the log is "
                        "append-only, so this line was written by something else: inspect it by hand"
                    ) from None
                if run_id is None or entry.run_id == run_id:
                    found.append(entry)
        return found


class MemoryAuditLog:
    """Implements :class:`agent.ports.AuditLog` in memory (tests; nothing survives the process)."""

    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def record(self, entry: AuditEntry) -> None:
        self._entries.append(entry)

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        return [e for e in self._entries if run_id is None or e.run_id == run_id]
