"""The RunStore in PostgreSQL: run data shared by several agent replicas.

Same contract as the file store (``agent.run.files.FileRunStore``), in three tables created on setup:
``ca_run_documents`` (one JSON text per run and name: inventory, candidates, baseline, manifest),
``ca_run_samples`` (one row per run and tick; a replayed tick overwrites its row, so the last
write wins as in the file store) and ``ca_run_claims`` (``claim`` is an INSERT ... ON CONFLICT
DO NOTHING on its primary key, so exactly one caller wins across every replica). The audit log
of a PostgreSQL deployment lives beside them in ``ca_audit`` (rows are only ever inserted), so it
outlives the pods that wrote it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from pydantic import BaseModel, TypeAdapter

from agent.adapters.postgres import PgConnection, connect, setup_lock, translated, where
from agent.errors import ChaosAdvisorError
from agent.models import AuditEntry, Candidate, Inventory, KillSwitch, Sample
from agent.run.files import retry_for

M = TypeVar("M", bound=BaseModel)
_CANDIDATES = TypeAdapter(list[Candidate])

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ca_run_documents (
        run_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
        saved_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (run_id, name))""",
    """CREATE TABLE IF NOT EXISTS ca_run_samples (
        run_id TEXT NOT NULL, tick INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, tick))""",
    """CREATE TABLE IF NOT EXISTS ca_run_claims (
        run_id TEXT NOT NULL, key TEXT NOT NULL, claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, key))""",
    """CREATE TABLE IF NOT EXISTS ca_audit (
        id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, body TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
)


class PostgresRunStore:
    """Run data in PostgreSQL tables (the ``RunStore`` port for ``checkpoint.backend: postgres``)."""

    def __init__(self, conn: PgConnection, *, server: str = "the state store") -> None:
        self._conn = conn
        self._server = server

    def audit_log(self) -> PostgresAuditLog:
        """The audit log in the same database, on the same connection."""
        return PostgresAuditLog(self._conn, server=self._server)

    def setup(self) -> None:
        """Create the tables if they are missing (idempotent; safe with replicas starting at once)."""
        with translated(self._server, "creating the run tables"), setup_lock(self._conn):
            for statement in SCHEMA:
                self._conn.execute(statement)

    def _write(self, run_id: str, name: str, body: str) -> None:
        with translated(self._server, f"saving {name} of run {run_id}"):
            self._conn.execute(
                "INSERT INTO ca_run_documents (run_id, name, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (run_id, name) DO UPDATE SET body = EXCLUDED.body, saved_at = now()",
                (run_id, name, body),
            )

    def _read(self, run_id: str, name: str) -> str:
        with translated(self._server, f"reading {name} of run {run_id}"):
            row = self._conn.execute(
                "SELECT body FROM ca_run_documents WHERE run_id = %s AND name = %s", (run_id, name)
            ).fetchone()
        if row is None:
            raise ChaosAdvisorError(
                f"run {run_id}: no {name} in PostgreSQL at {self._server}; "
                "was the run started against another database?"
            )
        return str(row["body"])

    def save(self, run_id: str, name: str, model: BaseModel) -> None:
        """Store one model under ``name``."""
        self._write(run_id, name, model.model_dump_json())

    def load(self, run_id: str, name: str, cls: type[M]) -> M:
        """Read ``name`` back as ``cls``."""
        return cls.model_validate_json(self._read(run_id, name))

    def kill_switch(self) -> KillSwitch:
        """The kill switch row (off when there is none)."""
        with translated(self._server, "reading the kill switch"):
            row = self._conn.execute(
                "SELECT body FROM ca_run_documents WHERE run_id = '_control' AND name = 'kill-switch'"
            ).fetchone()
        return KillSwitch() if row is None else KillSwitch.model_validate_json(str(row["body"]))

    def set_kill_switch(self, switch: KillSwitch) -> None:
        """Record the kill switch for every replica."""
        self._write("_control", "kill-switch", switch.model_dump_json())

    def save_inventory(self, run_id: str, inventory: Inventory) -> None:
        self.save(run_id, "inventory", inventory)

    def inventory(self, run_id: str) -> Inventory:
        return self.load(run_id, "inventory", Inventory)

    def save_candidates(self, run_id: str, candidates: list[Candidate]) -> None:
        self._write(run_id, "candidates", _CANDIDATES.dump_json(candidates).decode())

    def candidates(self, run_id: str) -> list[Candidate]:
        return _CANDIDATES.validate_json(self._read(run_id, "candidates"))

    def claim(self, run_id: str, key: str) -> bool:
        """Atomically claim ``key`` (an interrupt id) for ``run_id``: True for the first caller
        only, across every replica sharing the database."""
        with translated(self._server, f"claiming {key} of run {run_id}"):
            cur = self._conn.execute(
                "INSERT INTO ca_run_claims (run_id, key) VALUES (%s, %s) ON CONFLICT DO NOTHING", (run_id, key)
            )
            return cur.rowcount == 1

    def release(self, run_id: str, key: str) -> bool:
        """Drop a claim whose claimer died before answering (``recover``)."""
        with translated(self._server, f"releasing {key} of run {run_id}"):
            cur = self._conn.execute("DELETE FROM ca_run_claims WHERE run_id = %s AND key = %s", (run_id, key))
            return cur.rowcount == 1

    @contextmanager
    def lease(self, run_id: str, *, exclusive: bool = False, wait_s: float = 0.0) -> Iterator[bool]:
        """A session-level advisory lock on the run for the block (shared, or exclusive for
        ``recover``); PostgreSQL drops it when the holder's connection dies."""
        kind = "" if exclusive else "_shared"
        key = f"chaos-advisor run {run_id}"

        def take() -> bool:
            with translated(self._server, f"taking the lease of run {run_id}"):
                row = self._conn.execute(f"SELECT pg_try_advisory_lock{kind}(hashtext(%s)) AS ok", (key,)).fetchone()
            return bool(row and row["ok"])

        held = retry_for(wait_s, take)
        try:
            yield held
        finally:
            if held:
                with translated(self._server, f"returning the lease of run {run_id}"):
                    self._conn.execute(f"SELECT pg_advisory_unlock{kind}(hashtext(%s))", (key,))

    def append(self, run_id: str, sample: Sample) -> None:
        """Record one tick's sample (a replayed tick overwrites its row)."""
        with translated(self._server, f"recording tick {sample.tick} of run {run_id}"):
            self._conn.execute(
                "INSERT INTO ca_run_samples (run_id, tick, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (run_id, tick) DO UPDATE SET body = EXCLUDED.body",
                (run_id, sample.tick, sample.model_dump_json()),
            )

    def samples(self, run_id: str) -> list[Sample]:
        """All samples of a run in tick order."""
        with translated(self._server, f"reading the samples of run {run_id}"):
            rows = self._conn.execute(
                "SELECT body FROM ca_run_samples WHERE run_id = %s ORDER BY tick", (run_id,)
            ).fetchall()
        return [Sample.model_validate_json(r["body"]) for r in rows]


class PostgresAuditLog:
    """Implements :class:`agent.ports.AuditLog` as rows of ``ca_audit``, only ever inserted."""

    def __init__(self, conn: PgConnection, *, server: str) -> None:
        self._conn, self._server = conn, server

    def record(self, entry: AuditEntry) -> None:
        with translated(self._server, f"auditing {entry.action} of run {entry.run_id}"):
            self._conn.execute("INSERT INTO ca_audit (run_id, body) VALUES (%s, %s)", (entry.run_id, entry.model_dump_json()))

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        with translated(self._server, "reading the audit log"):
            if run_id is None:
                rows = self._conn.execute("SELECT body FROM ca_audit ORDER BY id").fetchall()
            else:
                rows = self._conn.execute("SELECT body FROM ca_audit WHERE run_id = %s ORDER BY id", (run_id,)).fetchall()
        return [AuditEntry.model_validate_json(r["body"]) for r in rows]


@contextmanager
def open_postgres_store(url: str) -> Iterator[PostgresRunStore]:
    """Connect, create the tables if needed, yield the store; the connection closes after."""
    with connect(url) as conn:
        store = PostgresRunStore(conn, server=where(url))
        store.setup()
        yield store
