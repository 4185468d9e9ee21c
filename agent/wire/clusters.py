"""The cluster a process works on, stamped on what it records.

With several clusters in stack.yaml (``clusters:``), every audit entry written through a run's
Deps names its cluster: decisions, refusals and every cluster write (the entries of one audit
log, shared by all clusters, stay apart by it).
"""

from __future__ import annotations

from agent.models import AuditEntry
from agent.ports import AuditLog


class ClusterAudit:
    """Implements :class:`agent.ports.AuditLog` over ``inner``: each entry recorded names ``cluster``
    (unless it names one already); reading passes through."""

    def __init__(self, inner: AuditLog, cluster: str) -> None:
        self._inner, self.cluster = inner, cluster

    def record(self, entry: AuditEntry) -> None:
        self._inner.record(entry if entry.cluster else entry.model_copy(update={"cluster": self.cluster}))

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        return self._inner.entries(run_id)


def on_cluster(audit: AuditLog, cluster: str | None) -> AuditLog:
    """``audit`` stamping ``cluster`` on its entries; ``audit`` itself for the single-cluster ``k8s`` section."""
    return ClusterAudit(audit, cluster) if cluster else audit
