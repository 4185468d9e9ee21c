"""Helpers shared by nodes: typed views of the state and event records."""

from __future__ import annotations

from datetime import datetime

from agent.errors import ClusterError
from agent.models import (
    Candidate,
    Decision,
    EventKind,
    ExperimentSpec,
    Inventory,
    RunEvent,
    Sample,
)
from agent.ports import Deps
from agent.run.watch import with_readiness
from graphs.state import RunState


def event(
    deps: Deps, kind: EventKind, detail: str = "", *, wall: datetime | None = None
) -> dict[str, object]:
    """A timeline event stamped with the run's clock and the real time (or ``wall``, e.g. when
    the human decided), ready for ``events``."""
    return RunEvent(at=deps.clock.now(), wall=wall or deps.wall_now(), kind=kind, detail=detail).model_dump(mode="json")


def inventory(deps: Deps, state: RunState) -> Inventory:
    return deps.store.inventory(state["run_id"])


def candidates(deps: Deps, state: RunState) -> list[Candidate]:
    return deps.store.candidates(state["run_id"]) if state.get("candidates") else []


def decision(state: RunState) -> Decision | None:
    raw = state.get("decision")
    return Decision.model_validate(raw) if raw else None


def chosen_spec(deps: Deps, state: RunState) -> ExperimentSpec:
    """The spec the approver picked."""
    d = decision(state)
    assert d is not None and d.choice is not None, "execute runs only after an approval"
    return candidates(deps, state)[d.choice - 1].spec


def baseline(deps: Deps, state: RunState) -> Sample:
    return deps.store.load(state["run_id"], "baseline", Sample)


def read_sample(deps: Deps, inv: Inventory, spec: ExperimentSpec, *, tick: int) -> Sample:
    """Signals of every stack service in the target's namespace, now; replica readiness from the
    Kubernetes API where the metrics source has none (Prometheus: on a real cluster too)."""
    ns = spec.target_selector.namespace
    targets = [t for t in inv.targets if t.namespace == ns]
    read = deps.metrics.read(ns, [t.name for t in targets])
    if any(s.ready_replicas is None for s in read.values()):
        try:
            read = with_readiness(read, targets, deps.cluster.snapshot([ns]).workloads)
        except ClusterError:
            pass  # readiness stays unknown this tick; the monitor judges a silent API on its own (cluster_grace_s)
    return Sample(tick=tick, at=deps.clock.now(), services=read)
