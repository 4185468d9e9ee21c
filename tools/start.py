"""Tool: start a run that stops at the approval pause (nothing is applied)."""

from __future__ import annotations

from typing import Annotated

from langchain_core.tools import BaseTool, tool
from pydantic import Field

from agent.errors import ChaosAdvisorError
from tools.runs import ChatSession, RunControl, RunSummary


def start_tool(runs: RunControl, session: ChatSession) -> BaseTool:
    @tool(parse_docstring=True)
    def start_run(count: Annotated[int, Field(ge=1, le=20)] = 3) -> RunSummary:
        """Start a new run: discover the stack, design ranked experiments, then pause for a human's
        approval. Nothing is applied to the cluster; the run waits until approve_experiment or
        reject_run answers it.

        Args:
            count: How many candidate experiments to design, 1 to 20.
        """
        if not 1 <= count <= 20:
            raise ChaosAdvisorError(f"count {count} is out of range; ask for 1 to 20 candidates")
        return session.saw(runs.start(count))

    start_run.metadata = {"changes": True}  # the chat shows its result as code tells it
    return start_run
