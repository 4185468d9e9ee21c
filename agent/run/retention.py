"""Retention of ended ChaosEngines: ``policy.engine_retention`` (``recover`` runs the sweep).

Litmus keeps an engine, its runner and experiment pods (``jobCleanUpPolicy: retain``, the
agent's default, so a person can read their logs) and its ChaosResult until someone deletes them.
The sweep deletes them once they are old enough, and only what is certainly the agent's and
certainly over:

- the engine was listed with the agent's ``app.kubernetes.io/managed-by`` label (the adapter
  selects on it server-side: no other engine is ever seen) and is named ``ca-<run>``;
- its run is not running, paused or waiting for approval in the agent's store;
- it has ended: the operator says so (``engineStatus`` completed or stopped), or its run ended
  in the store and the engine was told to stop — never an engine that may still inject chaos;
- it ended longer than the retention ago: its ``creationTimestamp`` plus its planned duration
  (the creation alone when the duration is not known), on the run's clock.

Its chaos pods and ChaosResults (labelled ``chaosUID=<engine uid>`` by Litmus) are deleted
first, then the engine, so a sweep cut short leaves the engine to be found again. Every delete
carries the object's uid (the engine's resourceVersion too) as a precondition: an engine
re-activated since it was listed is refused by the API server (409) and left alone. Each
deletion is audited by :class:`agent.run.audited.AuditedCluster`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from agent.errors import ChaosAdvisorError, Conflict
from agent.models import EngineInfo
from agent.ports import Cluster

RunPhase = Literal["ended", "live"]  # in the agent's store: over, or running / paused / waiting
ENDED_STATUSES = frozenset({"completed", "stopped"})


@dataclass(frozen=True)
class Swept:
    """One engine the sweep deleted (or would delete, or failed to)."""

    run_id: str
    found: str
    action: str


def expired(engine: EngineInfo, run: RunPhase | None, *, now: datetime, retention_s: int) -> str | None:
    """Why ``engine`` may be deleted now (a sentence), or None when it must be kept.
    ``run`` is its run's phase in the store (None: a run this store does not know)."""
    if retention_s <= 0 or not engine.managed or engine.run_id is None or run == "live":
        return None
    if engine.engine_status in ENDED_STATUSES:
        why = f"ended ({engine.engine_status})"
    elif run == "ended" and engine.engine_state == "stop":
        why = "its run ended and it was stopped"
    else:
        return None  # may still inject chaos, or its end is not known
    if engine.created_at is None:
        return None
    ended_at = engine.created_at + timedelta(seconds=engine.duration_s or 0)
    age = (now - ended_at).total_seconds()
    if age < retention_s:
        return None
    return f"{why} {span(age)} ago, longer than policy.engine_retention {span(retention_s)}"


def sweep(
    cluster: Cluster, engines: list[EngineInfo], runs: Mapping[str, RunPhase], *,
    now: datetime, retention_s: int, dry_run: bool, other: Callable[[EngineInfo], bool] | None = None,
) -> list[Swept]:
    """Delete the engines of ``engines`` that :func:`expired` allows, with their leftovers; an object of
    another engine than Litmus (Chaos Mesh: no leftovers) is deleted by ``other`` (its backend's cleanup)."""
    out = []
    for e in engines:
        why = expired(e, runs.get(e.run_id or ""), now=now, retention_s=retention_s)
        if why is None or e.run_id is None:
            continue
        litmus = e.engine == "litmus"
        found = f"{'engine' if litmus else e.kind} {e.namespace}/{e.name} {why}"
        if dry_run:
            out.append(Swept(e.run_id, found, "would delete it" + (" with its chaos pods and ChaosResults" if litmus else "")))
            continue
        try:
            if not litmus and other is None:
                raise ChaosAdvisorError(f"no {e.engine} backend here to delete it with")
            done = _delete(cluster, e) if litmus else "deleted it" if other and other(e) else "it was already gone"
            out.append(Swept(e.run_id, found, done))
        except Conflict:
            out.append(Swept(e.run_id, found, "left alone: it changed since it was listed"))
        except ChaosAdvisorError as err:  # the next engine may still be swept
            out.append(Swept(e.run_id, found, f"failed: {err}; run recover again"))
    return out


def _delete(cluster: Cluster, e: EngineInfo) -> str:
    leftovers = cluster.chaos_leftovers(e.namespace, e.name, e.uid)
    gone = [o for o in leftovers if cluster.delete_leftover(o)]
    deleted = cluster.delete_engine(e.namespace, e.name, uid=e.uid, resource_version=e.resource_version)
    pods = sum(1 for o in gone if o.kind == "Pod")
    parts = [f"{pods} chaos pod{'s' * (pods != 1)}", f"{len(gone) - pods} ChaosResult{'s' * (len(gone) - pods != 1)}"]
    return f"{'deleted it' if deleted else 'it was already gone'}, with {' and '.join(parts)}"


def span(seconds: float) -> str:
    """``86400`` -> ``24h``, ``5400`` -> ``1h30m``, ``90`` -> ``1m30s``."""
    s = int(seconds)
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0s"
