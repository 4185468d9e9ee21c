"""Tool: list the runs waiting for a human's approval."""

from __future__ import annotations

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from tools.runs import ChatSession, RunControl, RunSummary


class Approvals(BaseModel):
    """Runs paused at the approval; each lists its candidates in order (choice 1 first)."""

    runs: list[RunSummary]


def approvals_tool(runs: RunControl, session: ChatSession) -> BaseTool:
    @tool(parse_docstring=True)
    def list_approvals() -> Approvals:
        """List the runs waiting for approval, each with its candidate experiments in order.

        Call this before approve_experiment or reject_run to learn the run id and which
        number (choice) each candidate has: "the second one" is choice 2.
        """
        return Approvals(runs=[session.saw(r) for r in runs.paused()])

    return list_approvals
