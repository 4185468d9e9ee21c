"""Tool: explain one candidate: why it was proposed, what it predicts, what the policy says."""

from __future__ import annotations

from typing import Annotated

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field

from agent.config import Policy
from agent.design.policy import check, screen
from agent.errors import ChaosAdvisorError, SpecRejected
from agent.inventory.discovery import discover
from agent.models import Candidate, Hypothesis, Inventory, Proposal
from agent.ports import Deps, Designer


class Explanation(BaseModel):
    """One candidate, explained: the spec, its reasons and hypothesis, and the policy's verdict."""

    source: str  # where the candidate comes from: a run, or the last suggestion
    rank: int
    title: str
    description: str
    action: str
    target: str  # namespace/service (label selector)
    duration_s: int
    pods_affected_perc: int  # 0 = one pod
    risk_level: str
    score: float
    rationale: str
    hypothesis: Hypothesis | None
    abort_when: list[str]  # any of these stops the experiment at once
    expected_impact: str
    policy_verdict: str  # "allowed", or "refused by <rule>: <reason>"
    policy_limits: list[str]  # what the policy checked it against


class Remembering:
    """A Designer that keeps its last proposal and the inventory it was for, so explain_candidate
    explains the list the user just saw instead of asking the designer (maybe a model) again."""

    def __init__(self, inner: Designer) -> None:
        self._inner = inner
        self.name = inner.name
        self.last: tuple[Inventory, Proposal] | None = None

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        proposal = self._inner.propose(inventory, count)
        self.last = (inventory, proposal)
        return proposal


def explain_tool(deps: Deps, designer: Remembering) -> BaseTool:
    """``deps.designer`` should be ``designer``, so suggest_experiments' list is the one explained."""

    @tool(parse_docstring=True)
    def explain_candidate(rank: Annotated[int, Field(ge=1, le=20)], run_id: str | None = None) -> Explanation:
        """Explain one candidate experiment: the reasons it was proposed, its hypothesis (affected
        services, expected peaks, recovery time), its abort conditions and the policy's verdict.
        Read-only.

        Args:
            rank: The candidate's 1-based number in the list shown.
            run_id: A run's id to explain that run's candidate; None for the last suggestion
                (suggest_experiments) in this chat.
        """
        if run_id is not None:
            inv, allowed = deps.store.inventory(run_id), deps.store.candidates(run_id)
            source = f"run {run_id}"
        else:
            inv, proposal = designer.last or _fresh(deps, designer, rank)
            allowed, _ = screen(proposal.candidates, inv, deps.policy())
            source = f"the last suggestion ({proposal.designer})"
        if not 1 <= rank <= len(allowed):
            raise ChaosAdvisorError(f"{source} has no candidate {rank}; choose 1..{len(allowed)}")
        return explain(allowed[rank - 1], inv, deps.policy(), source=source)

    return explain_candidate


def _fresh(deps: Deps, designer: Remembering, rank: int) -> tuple[Inventory, Proposal]:
    inv = discover(deps)
    return inv, designer.propose(inv, max(rank, 3))


def explain(candidate: Candidate, inventory: Inventory, policy: Policy, *, source: str) -> Explanation:
    """The explanation of ``candidate`` as ``policy`` judges it against ``inventory`` now."""
    s, sel = candidate.spec, candidate.spec.target_selector
    try:
        check(s, inventory, policy)
        verdict = "allowed"
    except SpecRejected as e:
        verdict = f"refused by {e.rule}: {e.reason}"
    conditions = s.abort_threshold.all_conditions() if s.abort_threshold else []
    return Explanation(
        source=source, rank=candidate.rank, title=s.title, description=s.description, action=s.action.value,
        target=f"{sel.namespace}/{sel.service} ({sel.label_selector})", duration_s=s.parameters.duration_s,
        pods_affected_perc=s.parameters.pods_affected_perc, risk_level=s.risk_level, score=candidate.score,
        rationale=s.rationale, hypothesis=s.hypothesis, expected_impact=s.expected_impact,
        abort_when=[f"{c.service} {c.signal} {c.op} {c.value:g}" for c in conditions],
        policy_verdict=verdict,
        policy_limits=[
            f"namespace {sel.namespace} (allowed: {', '.join(policy.namespaces)})",
            f"action {s.action.value} (allowed: {', '.join(a.value for a in policy.actions)})",
            f"duration {s.parameters.duration_s} s (max {policy.max_duration_s} s)",
            f"pods affected {s.parameters.pods_affected_perc} % (max {policy.max_pods_affected_perc} % "
            f"and {policy.max_pods_affected} pods)",
        ],
    )
