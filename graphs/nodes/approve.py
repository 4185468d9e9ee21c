"""approve: pause for a human. Nothing before interrupt() has side effects: it re-runs on resume."""

from __future__ import annotations

from datetime import datetime

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.models import ApprovalRequest, Decision
from agent.ports import Deps
from agent.run.approval import validate
from agent.run.gate import explain, refusals
from graphs.nodes.common import candidates, event, inventory
from graphs.state import RunState


def approve(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    titles = state.get("candidates", [])
    request = ApprovalRequest(run_id=state["run_id"], candidates=titles)
    decision = Decision.model_validate(interrupt(request.model_dump(mode="json")))
    validate(decision, request, deps.policy())
    if decision.verdict == "reject":
        who = f"{decision.channel}:{decision.approver}"
        return {
            "decision": decision.model_dump(mode="json"),
            "outcome": "rejected",
            "reason": f"rejected by {who}" + (f": {decision.note}" if decision.note else ""),
            "events": [event(deps, "rejected", f"by {who}", at=decision.at)],
        }
    title = titles[(decision.choice or 1) - 1]
    who = f"{decision.channel}:{decision.approver}"
    # Stamped with the decision's own time: when the human decided, not when the graph resumed.
    approved = event(deps, "approved", f"{title!r} by {who}", at=decision.at)
    spec = candidates(deps, state)[(decision.choice or 1) - 1].spec
    broken = refusals(deps, spec, inventory(deps, state), asked_at=asked_at(state))
    if broken:
        reason = explain(broken)
        return {
            "decision": decision.model_dump(mode="json"),
            "outcome": "refused",
            "reason": reason,
            "events": [approved, event(deps, "refused", reason)],
        }
    return {"decision": decision.model_dump(mode="json"), "events": [approved]}


def asked_at(state: RunState) -> datetime | None:
    """When the approval was asked for (real time); None for runs paused before it was recorded."""
    raw = state.get("asked_at")
    return datetime.fromisoformat(raw) if raw else None
