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
    allowed, rejected = run_design(
        inventory(state), deps.designer, deps.settings.policy, count=state.get("count", 3)
    )
    saved = save(allowed, deps.settings.path(deps.settings.paths.experiments))
    detail = f"{deps.designer.name}: {len(saved)} candidate(s), {len(rejected)} rejected by policy"
    update: RunState = {
        "candidates": [c.model_dump(mode="json") for c in saved],
        "rejected": [r.model_dump(mode="json") for r in rejected],
        "events": [event(deps, "designed", detail)],
    }
    if not saved:
        update |= {"outcome": "failed", "reason": "no candidate passed the policy"}
    return update
