"""design: the designer proposes, the policy guards, candidates are saved to experiments/."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.design import design as run_design
from agent.design import save
from agent.ports import Deps
from graphs.nodes.common import event, inventory
from graphs.state import RunState


def design(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    result = run_design(inventory(state), deps.designer, deps.settings.policy, count=state.get("count", 3))
    saved = save(result.candidates, deps.settings.path(deps.settings.paths.experiments))
    p = result.proposal
    detail = f"{p.designer}: {len(saved)} candidate(s), {len(result.rejected)} rejected by policy"
    if p.notice:
        detail += f"; {p.notice}"
    update: RunState = {
        "candidates": [c.model_dump(mode="json") for c in saved],
        "rejected": [r.model_dump(mode="json") for r in result.rejected],
        "llm_usage": p.usage.model_dump(mode="json"),
        "events": [event(deps, "designed", detail)],
    }
    if not saved:
        update |= {"outcome": "failed", "reason": "no candidate passed the policy"}
    return update
