"""notify: show the candidates. Its own node, so resuming the approval never notifies twice."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.models import Rejection
from agent.ports import Deps
from graphs.nodes.common import candidates, event
from graphs.state import RunState


def notify(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    rejected = [Rejection.model_validate(r) for r in state.get("rejected", [])]
    deps.notifier.candidates(state["run_id"], candidates(deps, state), rejected)
    return {
        "asked_at": deps.wall_now().isoformat(),  # real time: an approval expires policy.approval_ttl_s later
        "events": [event(deps, "notified", "candidates shown, waiting for approval")],
    }
