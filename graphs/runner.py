"""Start, inspect and resume runs (LangGraph threads; the thread id is the run id).

Every invoke uses ``durability="sync"``: a checkpoint is on disk before the next step starts,
so an approval is never lost to a crash of the step after it (NOTES.md).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from agent.design.policy import Violation
from agent.errors import ApprovalError
from agent.models import ApprovalRequest, AuditEntry, Decision, ExperimentSpec
from agent.ports import Deps
from agent.run.approval import check_approver, missing_choice, validate
from agent.run.gate import explain, refusals
from graphs.builder import RunGraph
from graphs.nodes.approve import asked_at
from graphs.state import RunInput, RunState


@dataclass(frozen=True)
class RunView:
    """Where a run stands after an invoke."""

    run_id: str
    state: RunState
    waiting: ApprovalRequest | None
    interrupt_id: str | None = None  # the pending interrupt a decision answers
    next: tuple[str, ...] = ()  # the steps still to run; () once the run has ended

    @property
    def interrupted(self) -> bool:
        """Stopped between steps without ending or waiting: its process died (or still runs)."""
        return bool(self.next) and self.waiting is None


LEASE_WAIT_S = 5.0  # recover holds a waiting run's lease for a moment: wait that out


def new_run_id() -> str:
    """A short, random, DNS-safe run id (it becomes part of the ChaosEngine's name)."""
    return secrets.token_hex(4)


def config(run_id: str, deps: Deps | None = None) -> RunnableConfig:
    ticks = deps.settings.monitor.max_ticks if deps else 500
    return {"configurable": {"thread_id": run_id}, "recursion_limit": ticks + 50}


def start(
    graph: RunGraph,
    deps: Deps,
    *,
    run_id: str,
    count: int,
    cluster: dict[str, object],
    preset: ExperimentSpec | None = None,
    dry_run: bool = False,
) -> RunView:
    """Run from discover until the approval interrupt (or the end). With ``preset`` the spec
    replaces the designer (still policy-checked); ``dry_run`` stops after the server dry-run."""
    initial: RunInput = {
        "run_id": run_id,
        "count": count,
        "cluster": cluster,
        "preset": preset.model_dump(mode="json", exclude_unset=True) if preset else None,  # unset: engines.default
        "dry_run": dry_run,
    }
    if graph.get_state(config(run_id)).values:  # a reused id would merge two runs and adopt an engine
        raise ApprovalError(f"run {run_id} already exists; start a new run (ids are made by new_run_id())")
    with working(deps, run_id):
        graph.invoke(initial, config(run_id, deps), context=deps, durability="sync")  # type: ignore[call-overload]
    return view(graph, run_id)


@contextmanager
def working(deps: Deps, run_id: str) -> Iterator[None]:
    """Hold the run's shared lease while this process works on it, so ``recover`` (which needs
    it exclusively) never picks up a run that is alive elsewhere."""
    with deps.store.lease(run_id, wait_s=LEASE_WAIT_S) as held:
        if not held:
            raise ApprovalError(
                f"run {run_id} is being recovered by another process (python -m agent recover); "
                "nothing changed: try again when it is done"
            )
        yield


def view(graph: RunGraph, run_id: str) -> RunView:
    """The run's latest checkpoint; raises ApprovalError for an unknown run."""
    snapshot = graph.get_state(config(run_id))
    if not snapshot.values:
        raise ApprovalError(f"no run {run_id!r}; list paused runs with: python -m agent approvals")
    pending = snapshot.interrupts[0] if snapshot.interrupts else None
    waiting = ApprovalRequest.model_validate(pending.value) if pending else None
    state: RunState = snapshot.values  # type: ignore[assignment]
    return RunView(run_id=run_id, state=state, waiting=waiting, interrupt_id=pending.id if pending else None,
                   next=tuple(snapshot.next))


def resume(
    graph: RunGraph, deps: Deps, run_id: str, decision: Decision, *, interrupt_id: str | None = None,
    final: bool = False,
) -> RunView:
    """Answer a paused run's approval exactly once.

    A run that is not waiting, a decision for another (older) interrupt, or a second answer to
    the same interrupt (a repeated click, a retry, another process racing this one) changes
    nothing and raises ApprovalError. The first answer claims the interrupt atomically in the
    RunStore before the graph resumes, so concurrent answers cannot both resume it.
    Every answer is audited: the accepted one before the graph resumes, a refused one with why.

    ``final``: the answer was given up front and cannot be asked again (``run-graph --approve N``
    in a script): a choice out of range then ends the run as refused ("no proposal 5; there are
    3") instead of leaving it paused with nobody to answer. Elsewhere (Slack, chat, ``resume``)
    such a choice changes nothing and the person can answer again.
    """
    with working(deps, run_id):  # before the claim: a claim without a live holder is stale
        try:
            current = _claim(graph, deps, run_id, decision, interrupt_id, final=final)
        except ApprovalError as e:
            deps.audit.record(_audited(deps, run_id, decision, None, refused=str(e)))
            raise
        assert current.waiting is not None, "claimed only while waiting"
        missing = missing_choice(decision, current.waiting)
        broken = [] if missing else _gate(deps, run_id, decision, current)
        # A plan the policy in force refuses (or a missing choice given up front) is answered
        # "refused" by the approve step, which ends the run with a report; the audit says so here.
        refused = missing or (explain(broken) if broken else None)
        deps.audit.record(_audited(deps, run_id, decision, None if missing else current.waiting, refused=refused))
        graph.invoke(
            Command(resume=decision.model_dump(mode="json")),
            config(run_id, deps),
            context=deps,  # type: ignore[arg-type]  # langgraph's overloads type context as None
            durability="sync",
        )
    return view(graph, run_id)


def _claim(
    graph: RunGraph, deps: Deps, run_id: str, decision: Decision, interrupt_id: str | None, *, final: bool
) -> RunView:
    """The paused run ``decision`` may answer, claimed for it; else ApprovalError. With ``final``
    a choice out of range is claimed too (the approve step then ends the run as refused)."""
    current = view(graph, run_id)
    if current.waiting is None or current.interrupt_id is None:
        phase, outcome = current.state.get("phase"), current.state.get("outcome")
        doing = {"running": "watching its chaos", "stopping": "stopping its chaos", "recovering": "watching recovery"}
        now = f"{doing[phase]}{f'; chaos {outcome}' if outcome else ''}" if phase in doing else outcome or "running"
        raise ApprovalError(f"run {run_id} is not waiting for approval (it is {now}); nothing changed")
    if interrupt_id is not None and interrupt_id != current.interrupt_id:
        raise ApprovalError(f"run {run_id}: that approval request is no longer pending; nothing changed")
    if final and missing_choice(decision, current.waiting):
        check_approver(decision, deps.policy())  # an approver the policy does not list still changes nothing
    else:
        validate(decision, current.waiting, deps.policy())
    if not deps.store.claim(run_id, current.interrupt_id):
        raise ApprovalError(f"run {run_id} was already answered (by another click or process); nothing changed")
    return current


def _gate(deps: Deps, run_id: str, decision: Decision, current: RunView) -> list[Violation]:
    """What the approve step will refuse the chosen plan for ([] for a reject, or a plan that may run)."""
    if decision.verdict != "approve" or decision.choice is None:
        return []
    spec = deps.store.candidates(run_id)[decision.choice - 1].spec
    return refusals(deps, spec, deps.store.inventory(run_id), asked_at=asked_at(current.state))


def _audited(
    deps: Deps, run_id: str, decision: Decision, request: ApprovalRequest | None, *, refused: str | None = None
) -> AuditEntry:
    what = decision.verdict if decision.choice is None else f"{decision.verdict} #{decision.choice}"
    if request is not None and decision.verdict == "approve" and decision.choice is not None:
        what += f" {request.candidates[decision.choice - 1]!r}"
    if decision.note:
        what += f" (note: {decision.note})"
    return AuditEntry(
        run_at=deps.clock.now(),
        run_id=run_id,
        who=decision.approver,
        channel=decision.channel,
        action="decision_refused" if refused else "decision",
        what=what,
        result=f"refused: {refused}" if refused else "ok",
    )


@runtime_checkable
class KnowsHeads(Protocol):
    """A checkpointer that names each thread's head in one query (our pruning savers)."""

    def heads(self) -> dict[str, str]: ...


def heads(checkpointer: BaseCheckpointSaver) -> dict[str, str]:
    """Every run id -> its head (newest checkpoint id and its pending writes), which moves at
    every step, interrupt and answer. Our savers answer with one query; any other saver is asked
    for every checkpoint (``list(None)``), which reads them all."""
    if isinstance(checkpointer, KnowsHeads):
        return checkpointer.heads()
    found: dict[str, tuple[str, int]] = {}
    for c in checkpointer.list(None):
        thread, checkpoint = str(c.config["configurable"]["thread_id"]), str(c.config["configurable"]["checkpoint_id"])
        if thread not in found or checkpoint > found[thread][0]:
            found[thread] = (checkpoint, len(c.pending_writes or []))
    return {t: f"{c}:{w}" for t, (c, w) in found.items()}


def runs(graph: RunGraph, checkpointer: BaseCheckpointSaver) -> list[RunView]:
    """Every run the checkpointer knows, by run id (each read at its latest checkpoint only)."""
    return [view(graph, t) for t in sorted(heads(checkpointer))]


def paused(graph: RunGraph, checkpointer: BaseCheckpointSaver) -> list[RunView]:
    """Every run waiting for an approval."""
    return [r for r in runs(graph, checkpointer) if r.waiting is not None]
