"""What the run tools share: a port onto the run graph, a run as a model, and the chat session.

Tools never import ``graphs``. The CLI hands them a :class:`RunControl` that drives
``graphs.runner``: ``start`` runs to the approval pause, ``resume`` answers it exactly once (the
same interrupt/resume as ``python -m agent resume``). There is no port method that applies an
engine: chaos starts only by resuming an approval.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field

from agent.models import Decision, EngineRef, EngineStatus, ExperimentSpec
from agent.ports import Deps
from agent.run.chaos import derived


class RunSummary(BaseModel):
    """Where a run stands, from its checkpoint."""

    run_id: str
    waiting_for_approval: bool
    candidates: list[str] = []  # titles; approve_experiment's ``choice`` is the 1-based position
    phase: str | None = None
    outcome: str | None = None
    reason: str | None = None
    decision: Decision | None = None
    engine: EngineRef | None = None
    engine_status: EngineStatus | None = None
    report_path: str | None = None
    tldr: str | None = None
    # The pending interrupt this summary saw; kept out of what the model reads (exclude).
    interrupt_id: str | None = Field(default=None, exclude=True)


class RunControl(Protocol):
    """The run graph as the tools use it (implemented over ``graphs.runner`` by the CLI)."""

    def start(self, count: int) -> RunSummary:
        """Start a run on the chat's cluster: discover, design, stop at the approval pause."""
        ...

    def paused(self) -> list[RunSummary]:
        """Every run waiting for an approval."""
        ...

    def get(self, run_id: str) -> RunSummary:
        """One run; raises ApprovalError for an unknown run id."""
        ...

    def resume(self, deps: Deps, run_id: str, decision: Decision, *, interrupt_id: str | None) -> RunSummary:
        """Answer the run's pending approval exactly once (``graphs.runner.resume``); a stale or
        repeated answer, or an approver the policy does not list, raises ApprovalError."""
        ...

    def on_cluster(self, run_id: str) -> AbstractContextManager[Deps]:
        """Deps bound to the cluster the run started on (a resume must use that one)."""
        ...

    def run_ids(self) -> list[str]:
        """Every run id the checkpointer knows (for completion)."""
        ...


@dataclass
class ChatSession:
    """What the tools remember within one chat.

    ``shown`` maps a run id to the approval request (interrupt id) the user was last shown, so an
    answer given after the request changed is refused instead of answering a different question.
    """

    approver: str
    shown: dict[str, str] = field(default_factory=dict)

    def saw(self, run: RunSummary) -> RunSummary:
        """Remember the request ``run`` showed; return it unchanged."""
        if run.interrupt_id is not None:
            self.shown[run.run_id] = run.interrupt_id
        return run


def chosen(deps: Deps, run: RunSummary) -> tuple[EngineRef, ExperimentSpec] | None:
    """The run's engine (as recorded, else derived from the run id: it may have been applied just
    before a crash) and the approved spec; None while nothing is approved."""
    d = run.decision
    if d is None or d.choice is None:
        return None
    spec = deps.store.candidates(run.run_id)[d.choice - 1].spec
    if run.engine is not None:
        return run.engine, spec
    return derived(run.run_id, spec), spec
