"""approve: pause for a human. Nothing before interrupt() has side effects: it re-runs on resume.

Nothing raises once interrupt() has returned: LangGraph would replay the same answer on every
later resume and wedge the run. An answer that cannot be taken (not a Decision, an approver the
policy does not list, a choice out of range, a plan the policy in force refuses, a stale approval) ends the run as refused, with the reason; the runner refuses such answers before they
reach the graph, so only a direct ``Command(resume=...)`` (Studio) and a choice out of range that
cannot be asked again (``runner.resume(..., final=True)``) meet this path.
"""

from __future__ import annotations

from datetime import datetime

from langgraph.runtime import Runtime
from langgraph.types import interrupt
from pydantic import ValidationError

from agent.errors import ChaosAdvisorError
from agent.models import ApprovalRequest, Decision
from agent.ports import Deps
from agent.run.approval import check_approver, missing_choice
from agent.run.gate import duration_text, explain, refusals
from graphs.nodes.common import candidates, event, inventory
from graphs.state import RunState


def approve(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    titles = state.get("candidates", [])
    request = ApprovalRequest(run_id=state["run_id"], candidates=titles)
    answer = interrupt(request.model_dump(mode="json"))
    try:
        decision = Decision.model_validate(answer)
        check_approver(decision, deps.policy())
    except (ValidationError, ChaosAdvisorError) as e:  # ApprovalError, or ConfigError: stack.yaml unreadable now
        reason = f"the answer was refused: {_one_line(e)}"
        return {"outcome": "refused", "reason": reason, "events": [event(deps, "refused", reason)]}
    missing = missing_choice(decision, request)
    if missing:  # e.g. `run-graph --approve 5` given before the 3 proposals were known
        reason = f"approval refused: {missing}"
        # No "decision" in state: it names no candidate, and readers index the candidates by it.
        return {"outcome": "refused", "reason": reason,
                "events": [event(deps, "refused", f"{reason} (by {decision.channel}:{decision.approver})")]}
    if decision.verdict == "reject":
        who = f"{decision.channel}:{decision.approver}"
        return {
            "decision": decision.model_dump(mode="json"),
            "outcome": "rejected",
            "reason": f"rejected by {who}" + (f": {decision.note}" if decision.note else ""),
            "events": [event(deps, "rejected", f"by {who}{_after(state, decision)}", wall=decision.at)],
        }
    title = titles[(decision.choice or 1) - 1]
    who = f"{decision.channel}:{decision.approver}"
    # Stamped with the decision's own (real) time: when the human decided, not when the graph resumed.
    approved = event(deps, "approved", f"{title!r} by {who}{_after(state, decision)}", wall=decision.at)
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


def _after(state: RunState, decision: Decision) -> str:
    """`` after 3 min 12 s``: how long the approval waited for a person (real time)."""
    asked = asked_at(state)
    if asked is None or decision.at < asked:
        return ""
    return f" after {duration_text(decision.at - asked)}"


def _one_line(e: Exception) -> str:
    if isinstance(e, ValidationError):
        first = e.errors()[0]
        return f"not a decision: {'.'.join(map(str, first['loc'])) or 'answer'}: {first['msg']}"
    return str(e)


def asked_at(state: RunState) -> datetime | None:
    """When the approval was asked for (real time); None for runs paused before it was recorded."""
    raw = state.get("asked_at")
    return datetime.fromisoformat(raw) if raw else None
