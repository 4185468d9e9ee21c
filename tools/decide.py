"""Tools: approve or reject a paused run, as the local user on channel "chat".

Both answer the run's approval interrupt through :meth:`RunControl.resume` (``graphs.runner.resume``):
exactly once, only while the run waits, only for an approver ``policy.approvers`` lists. The tools
carry ``metadata["confirm"]``: the chat asks the person at the terminal before a model may call them.
Every decision is pinned to one approval request (interrupt id): the one the user was last shown
(a listing, or the confirmation prompt), else the one pending when the tool runs; if the run has
since been asked something else, the answer is refused rather than applied to the new question.
"""

from __future__ import annotations

from typing import Annotated, Literal

from langchain_core.tools import BaseTool, tool
from pydantic import Field

from agent.errors import ApprovalError
from agent.models import Decision
from tools.runs import ChatSession, RunControl, RunSummary

CONFIRM = {"confirm": True, "changes": True}  # ask first; show what changed


def decide_tools(runs: RunControl, session: ChatSession) -> list[BaseTool]:
    def answer(run_id: str, verdict: Literal["approve", "reject"], choice: int | None, note: str) -> RunSummary:
        with runs.on_cluster(run_id) as deps:  # the run's own cluster and clock
            decision = Decision(verdict=verdict, choice=choice, approver=session.approver, channel="chat",
                                at=deps.wall_now(), note=note)
            pinned = session.shown.get(run_id) or runs.get(run_id).interrupt_id  # never "whatever is pending"
            done = runs.resume(deps, run_id, decision, interrupt_id=pinned)
        session.shown.pop(run_id, None)
        return done

    @tool(parse_docstring=True)
    def approve_experiment(run_id: str, choice: Annotated[int, Field(ge=1, le=20)], note: str = "") -> RunSummary:
        """Approve one candidate of a paused run on the user's behalf. The run then dry-runs and
        applies that experiment's ChaosEngine, watches the signals (aborting on its threshold)
        and writes the report; this returns when the run has finished. Call it only when the user
        asked to approve this run and this candidate; the user confirms at the terminal.

        Args:
            run_id: The paused run's id, from list_approvals or start_run, e.g. "3f9a1c2e".
            choice: The candidate's 1-based number in that run's list ("the second one" is 2).
            note: Why, in the user's words; kept in the report.
        """
        if choice < 1:
            raise ApprovalError(f"run {run_id}: choice {choice} does not exist; candidates are numbered from 1")
        return answer(run_id, "approve", choice, note)

    @tool(parse_docstring=True)
    def reject_run(run_id: str, note: str = "") -> RunSummary:
        """Reject every candidate of a paused run on the user's behalf: nothing is applied and the
        run ends with a report saying so. Call it only when the user asked to reject this run.

        Args:
            run_id: The paused run's id, from list_approvals or start_run.
            note: Why, in the user's words; kept in the report.
        """
        return answer(run_id, "reject", None, note)

    approve_experiment.metadata = dict(CONFIRM)
    reject_run.metadata = dict(CONFIRM)
    return [approve_experiment, reject_run]
