"""Tool: stop a run's chaos now (``agent.run.abort``), audited as the chat's user. A safety action,
so it needs no approval."""

from __future__ import annotations

from typing import Annotated

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field

from agent.errors import ApprovalError
from agent.models import EngineStatus
from agent.run.abort import abort
from tools.runs import ChatSession, RunControl, chosen


class AbortResult(BaseModel):
    """What stopping a run's engine did."""

    run_id: str
    engine: str  # namespace/name
    patched: bool  # False: there was no engine, so nothing was running
    status: EngineStatus | None = None
    detail: str


def abort_tool(runs: RunControl, session: ChatSession) -> BaseTool:
    @tool(parse_docstring=True)
    def abort_run(run_id: str, timeout_s: Annotated[float, Field(ge=1, le=600)] = 120) -> AbortResult:
        """Stop a run's chaos now: patch its ChaosEngine to engineState stop and wait until Litmus
        reports it Stopped. A safety action: always allowed, for runs started anywhere. Use it
        whenever the user wants an experiment stopped.

        Args:
            run_id: The run's id, e.g. "3f9a1c2e".
            timeout_s: Seconds to wait for the Stopped verdict, 1 to 600.
        """
        if not 1 <= timeout_s <= 600:
            raise ApprovalError(f"timeout_s {timeout_s:g} is out of range; give 1 to 600 seconds")
        run = runs.get(run_id)
        with runs.on_cluster(run_id) as deps:
            picked = chosen(deps, run)
            if picked is None:
                raise ApprovalError(f"run {run_id} has no approved experiment, so nothing to abort")
            ref, spec = picked
            done = abort(deps, run_id, ref, spec.action.value, who=session.approver, channel="chat",
                         timeout_s=timeout_s)
        return AbortResult(run_id=run_id, engine=done.engine, patched=done.patched, status=done.status,
                           detail=done.detail)

    abort_run.metadata = {"changes": True}  # the chat shows its result as code tells it
    return abort_run
