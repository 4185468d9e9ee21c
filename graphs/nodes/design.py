"""design: the designer proposes, the policy guards, candidates are saved to experiments/."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.design.propose import DefaultEngine, save
from agent.design.propose import design as run_design
from agent.models import Candidate, ExperimentSpec, Inventory, Proposal
from agent.ports import Deps
from graphs.nodes.common import event, inventory
from graphs.state import RunState


def design(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    preset = state.get("preset")
    designer = DefaultEngine(Given(ExperimentSpec.model_validate(preset)) if preset else deps.designer,
                             deps.settings.engines.default, cluster=deps.settings.cluster)
    result = run_design(inventory(deps, state), designer, deps.policy(), count=state.get("count", 3))
    # A spec given as a file is already saved; designed ones are saved for `run SPEC` later.
    saved, kept = (result.candidates, []) if preset else save(result.candidates, deps.settings.path(deps.settings.paths.experiments))
    deps.store.save_candidates(state["run_id"], saved)
    p = result.proposal
    detail = f"{p.designer}: {len(saved)} candidate(s), {len(result.rejected)} rejected by policy"
    if p.notice:
        detail += f"; {p.notice}"
    for note in kept:
        detail += f"; {note}"
    update: RunState = {
        "candidates": [c.spec.title for c in saved],
        "rejected": [r.model_dump(mode="json") for r in result.rejected],
        "llm_usage": p.usage.model_dump(mode="json"),
        "preset": None,  # now in the RunStore with the other candidates
        "events": [event(deps, "designed", detail)],
    }
    if not saved:
        why = "; ".join(f"{r.title}: {r.rule}: {r.reason}" for r in result.rejected)
        # Every plan refused by the policy is a refusal, not a failure; no plan at all is a failure.
        update |= {"outcome": "refused" if result.rejected else "failed",
                   "reason": "no candidate passed the policy" + (f" ({why})" if why else "")}
    return update


class Given:
    """The designer of `run SPEC`: the spec from the file, checked by the same policy."""

    name = "spec file"

    def __init__(self, spec: ExperimentSpec) -> None:
        self._spec = spec

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        return Proposal(designer=self.name, candidates=[Candidate(rank=1, score=0.0, spec=self._spec)])

