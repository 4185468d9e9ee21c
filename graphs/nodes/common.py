"""Helpers shared by nodes: typed views of the state and event records."""

from __future__ import annotations

from datetime import datetime

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
    """Signals of every stack service in the target's namespace, now."""
    ns = spec.target_selector.namespace
    names = [t.name for t in inv.targets if t.namespace == ns]
    return Sample(tick=tick, at=deps.clock.now(), services=deps.metrics.read(ns, names))
