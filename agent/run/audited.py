"""Every cluster write goes through here, so every write is audited in one place.

:class:`AuditedCluster` wraps any :class:`agent.ports.Cluster`: reads pass through; each write
(engine dry-run, apply, stop, delete; a chaos pod or ChaosResult deleted) is recorded in the :class:`agent.ports.AuditLog` twice: "started"
before it is sent, then its result — "ok", or the error it raised (which is raised on
unchanged). A write cut off by a crash is thus on record as started and never finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from agent.engines.litmus import ChaosEngineManifest
from agent.models import AuditAction, AuditEntry, ChaosLeftover, EngineInfo, EngineRef, EngineStatus
from agent.ports import AuditLog, Clock, Cluster, ClusterSnapshot

if TYPE_CHECKING:
    from collections.abc import Callable

ENGINE_PREFIX = "ca-"  # agent.engines.litmus.engine_name: the run id is the rest of the engine's name
T = TypeVar("T")
AGENT = "agent"  # who, for the agent's own writes (the decision that allowed them is logged too)
STARTED = "started"  # the result of a write's first entry; its second entry says how it ended


def run_of(engine: str) -> str:
    """The run id an engine belongs to (``ca-<run>``); a foreign engine is logged under its name."""
    return engine.removeprefix(ENGINE_PREFIX)


class AuditedCluster:
    """Implements :class:`agent.ports.Cluster` by delegating to ``inner`` and auditing writes."""

    def __init__(self, inner: Cluster, audit: AuditLog, clock: Clock, *, who: str = AGENT) -> None:
        self._inner, self._audit, self._clock, self._who = inner, audit, clock, who
        self.server: str = str(getattr(inner, "server", ""))  # tests and status show it

    def snapshot(self, namespaces: list[str]) -> ClusterSnapshot:
        return self._inner.snapshot(namespaces)

    def find_engine(self, namespace: str, name: str) -> EngineRef | None:
        return self._inner.find_engine(namespace, name)

    def engine_status(self, namespace: str, name: str, experiment: str) -> EngineStatus:
        return self._inner.engine_status(namespace, name, experiment)

    def list_engines(self, namespace: str) -> list[EngineInfo]:
        return self._inner.list_engines(namespace)

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        action: AuditAction = "engine_dry_run" if dry_run else "engine_apply"
        what = f"ChaosEngine {manifest.namespace}/{manifest.name} ({manifest.experiment}, jobCleanUpPolicy {manifest.cleanup})"
        return self._audited(action, manifest.run_id, what, lambda: self._inner.apply_engine(manifest, dry_run=dry_run))

    def stop_engine(self, namespace: str, name: str) -> None:
        self._audited("engine_stop", run_of(name), f"ChaosEngine {namespace}/{name}: engineState stop",
                      lambda: self._inner.stop_engine(namespace, name))

    def chaos_leftovers(self, namespace: str, engine: str, engine_uid: str) -> list[ChaosLeftover]:
        return self._inner.chaos_leftovers(namespace, engine, engine_uid)

    def delete_leftover(self, leftover: ChaosLeftover) -> bool:
        what = f"{leftover.kind} {leftover.namespace}/{leftover.name} of ChaosEngine {leftover.engine}"
        return self._audited("leftover_delete", run_of(leftover.engine), what,
                             lambda: self._inner.delete_leftover(leftover))

    def delete_engine(self, namespace: str, name: str, *, uid: str, resource_version: str) -> bool:
        return self._audited("engine_delete", run_of(name), f"ChaosEngine {namespace}/{name} (uid {uid})",
                             lambda: self._inner.delete_engine(namespace, name, uid=uid, resource_version=resource_version))

    def _audited(self, action: AuditAction, run_id: str, what: str, write: Callable[[], T]) -> T:
        self._record(action, run_id, what, STARTED)  # before it is sent: a crash mid-write leaves a trace
        try:
            done = write()
        except Exception as e:  # recorded and re-raised unchanged: a failed write is logged too
            self._record(action, run_id, what, f"{e.__class__.__name__}: {e}")
            raise
        self._record(action, run_id, what, "ok")
        return done

    def _record(self, action: AuditAction, run_id: str, what: str, result: str) -> None:
        self._audit.record(AuditEntry(
            run_at=self._clock.now(), run_id=run_id, who=self._who, action=action, what=what, result=result,
        ))
