"""A SQLite checkpointer that keeps only a run's recent checkpoints.

LangGraph's SqliteSaver stores the whole state at every step and keeps every checkpoint, so a
long monitor loop grows the file by several KB per tick forever. A run only ever resumes from
its latest checkpoint (the timeline and samples are kept elsewhere), so after each write this
saver deletes the thread's checkpoints and pending writes older than the newest ``keep``. The
file then stays bounded however long a run lasts. (LangGraph ships a shallow saver for
PostgreSQL, not for SQLite; this is the same idea, hand-written, on SqliteSaver's own tables.)
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import Checkpoint, CheckpointMetadata
from langgraph.checkpoint.sqlite import SqliteSaver

_HEADS = """
SELECT h.thread_id, h.checkpoint_id, (SELECT COUNT(*) FROM writes w WHERE w.thread_id = h.thread_id
    AND w.checkpoint_ns = '' AND w.checkpoint_id = h.checkpoint_id)
FROM (SELECT thread_id, MAX(checkpoint_id) AS checkpoint_id FROM checkpoints WHERE checkpoint_ns = ''
      GROUP BY thread_id) h
"""


class PruningSqliteSaver(SqliteSaver):
    """SqliteSaver that keeps the newest ``keep`` checkpoints of each thread."""

    def __init__(self, conn: Any, *, keep: int = 10) -> None:
        super().__init__(conn)
        if keep < 2:
            raise ValueError("keep at least 2 checkpoints (the latest and its parent)")
        self.keep = keep

    def heads(self) -> dict[str, str]:
        """Every thread (run) id -> its head: newest checkpoint id and how many pending writes it
        has (an interrupt or an answer adds some). One query over the primary keys; no checkpoint
        is read (``list(None)`` reads and decodes every checkpoint of every thread)."""
        with self.cursor(transaction=False) as cur:
            cur.execute(_HEADS)
            return {str(thread): f"{checkpoint}:{writes}" for thread, checkpoint, writes in cur.fetchall()}

    def put(
        self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, new_versions: Any
    ) -> RunnableConfig:
        saved = super().put(config, checkpoint, metadata, new_versions)
        conf = saved["configurable"]
        thread, ns = str(conf["thread_id"]), conf.get("checkpoint_ns", "")
        with self.cursor() as cur:
            cur.execute(
                "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
                "ORDER BY checkpoint_id DESC LIMIT 1 OFFSET ?",
                (thread, ns, self.keep - 1),
            )
            row = cur.fetchone()
            if row is not None:  # ids are time-ordered (uuid6): everything older than the cut goes
                for table in ("checkpoints", "writes"):
                    cur.execute(
                        f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id < ?",  # noqa: S608
                        (thread, ns, row[0]),
                    )
        return saved
