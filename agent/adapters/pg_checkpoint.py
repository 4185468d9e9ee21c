"""A PostgreSQL checkpointer that keeps only a run's recent checkpoints.

LangGraph's PostgresSaver keeps every checkpoint, and a new blob row for every channel version,
so a long monitor loop grows the tables per tick forever. langgraph-checkpoint-postgres 3.2
offers two ways out, neither a fit: ``ShallowPostgresSaver`` (deprecated since 2.0.20, other
table layout, asks for ``durability="exit"`` instead, which loses an approval to a crash: NOTES.md)
and ``PostgresSaver.prune(strategy="keep_latest")`` (keeps one checkpoint, ignoring
``checkpoint.keep_last``, in its own REPEATABLE READ transaction per call). So this saver does
what PruningSqliteSaver does on SQLite: after each write it deletes, in one transaction, the
thread's checkpoints older than the newest ``keep``, their pending writes, and the blobs that
only they referenced. A run only ever resumes from its latest checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata, CheckpointTuple
from langgraph.checkpoint.postgres import PostgresSaver

from agent.adapters.postgres import PgConnection, connect, setup_lock, translated, where

_CUT = """
SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = %s
ORDER BY checkpoint_id DESC LIMIT 1 OFFSET %s
"""
_HEADS = """
SELECT h.thread_id, h.checkpoint_id, (SELECT COUNT(*) FROM checkpoint_writes w WHERE w.thread_id = h.thread_id
    AND w.checkpoint_ns = '' AND w.checkpoint_id = h.checkpoint_id) AS writes
FROM (SELECT thread_id, MAX(checkpoint_id) AS checkpoint_id FROM checkpoints WHERE checkpoint_ns = ''
      GROUP BY thread_id) h
"""
_DELETE_WRITES = """
DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_ns = %s AND checkpoint_id < %s
"""
# Statements of one WITH see one snapshot: "kept" still lists the rows "gone" deletes, hence
# the explicit checkpoint_id >= cut.
_DELETE_CHECKPOINTS_AND_BLOBS = """
WITH gone AS (
    DELETE FROM checkpoints
    WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s AND checkpoint_id < %(cut)s
    RETURNING checkpoint -> 'channel_versions' AS versions
), freed AS (
    SELECT DISTINCT v.key AS channel, v.value AS version
    FROM gone CROSS JOIN LATERAL jsonb_each_text(gone.versions) AS v
), kept AS (
    SELECT DISTINCT v.key AS channel, v.value AS version
    FROM checkpoints c CROSS JOIN LATERAL jsonb_each_text(c.checkpoint -> 'channel_versions') AS v
    WHERE c.thread_id = %(thread)s AND c.checkpoint_ns = %(ns)s AND c.checkpoint_id >= %(cut)s
)
DELETE FROM checkpoint_blobs b USING freed f
WHERE b.thread_id = %(thread)s AND b.checkpoint_ns = %(ns)s AND b.channel = f.channel
  AND b.version = f.version
  AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.channel = f.channel AND k.version = f.version)
"""


class PruningPostgresSaver(PostgresSaver):
    """PostgresSaver that keeps the newest ``keep`` checkpoints of each thread; its psycopg
    errors surface as StateUnavailable."""

    def __init__(self, conn: PgConnection, *, keep: int = 10, server: str = "the state store") -> None:
        super().__init__(conn)
        if keep < 2:
            raise ValueError("keep at least 2 checkpoints (the latest and its parent)")
        self.keep = keep
        self.server = server

    def put(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: ChannelVersions
    ) -> RunnableConfig:
        with translated(self.server, "saving a checkpoint"):
            saved = super().put(config, checkpoint, metadata, new_versions)
            conf = saved["configurable"]
            self._prune(str(conf["thread_id"]), str(conf.get("checkpoint_ns", "")))
        return saved

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        with translated(self.server, "saving a step's writes"):
            super().put_writes(config, writes, task_id, task_path)

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        with translated(self.server, "reading a checkpoint"):
            return super().get_tuple(config)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        with translated(self.server, "listing checkpoints"):
            yield from super().list(config, filter=filter, before=before, limit=limit)

    def heads(self) -> dict[str, str]:
        """Every thread (run) id -> its head: newest checkpoint id and how many pending writes it
        has (an interrupt or an answer adds some). One query over the primary keys; no checkpoint
        is read (``list(None)`` reads and decodes every checkpoint of every thread)."""
        with translated(self.server, "listing runs"), self._cursor() as cur:
            cur.execute(_HEADS)
            return {str(r["thread_id"]): f"{r['checkpoint_id']}:{r['writes']}" for r in cur.fetchall()}

    def _prune(self, thread: str, ns: str) -> None:
        with self._cursor() as cur:
            cur.execute(_CUT, (thread, ns, self.keep - 1))
            row = cur.fetchone()
            if row is None:
                return
            cut = row["checkpoint_id"]  # ids are time-ordered (uuid6): everything older goes
            with cur.connection.transaction():
                cur.execute(_DELETE_WRITES, (thread, ns, cut))
                cur.execute(_DELETE_CHECKPOINTS_AND_BLOBS, {"thread": thread, "ns": ns, "cut": cut})


@contextmanager
def open_postgres_saver(url: str, *, keep: int) -> Iterator[PruningPostgresSaver]:
    """Connect (autocommit, dict rows), create or migrate LangGraph's tables, yield the saver."""
    with connect(url) as conn:
        saver = PruningPostgresSaver(conn, keep=keep, server=where(url))
        with translated(saver.server, "creating the checkpoint tables"), setup_lock(conn):
            saver.setup()
        yield saver
