"""Tool: propose ranked, policy-checked experiments (nothing is applied)."""

from __future__ import annotations

from typing import Annotated

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field

from agent.design.propose import design
from agent.inventory.discovery import discover
from agent.models import Candidate, Rejection
from agent.ports import Deps


class Suggestions(BaseModel):
    """Candidates that passed the policy, and the ones it refused with the rule."""

    candidates: list[Candidate]
    rejected: list[Rejection]
    notice: str | None = None


def suggest_tool(deps: Deps) -> BaseTool:
    @tool(parse_docstring=True)
    def suggest_experiments(count: Annotated[int, Field(ge=1, le=20)] = 3) -> Suggestions:
        """Propose ranked chaos experiments for the current stack; read-only.

        Args:
            count: How many candidates, 1 to 20.
        """
        if not 1 <= count <= 20:
            raise ValueError("count must be between 1 and 20")
        result = design(discover(deps), deps.designer, deps.policy(), count=count)
        return Suggestions(
            candidates=result.candidates, rejected=result.rejected, notice=result.proposal.notice
        )

    return suggest_experiments
