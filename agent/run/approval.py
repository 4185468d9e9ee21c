"""Approval rules: a decision must answer the pending request and come from an allowed approver."""

from __future__ import annotations

from agent.config import Policy
from agent.errors import ApprovalError
from agent.models import ApprovalRequest, Decision


def allowed(approver: str, channel: str, policy: Policy) -> bool:
    """True when ``channel:approver`` matches an entry of ``policy.approvers`` (``<ch>:*`` = all)."""
    return any(
        entry in (f"{channel}:{approver}", f"{channel}:*") for entry in policy.approvers
    )


def validate(decision: Decision, request: ApprovalRequest, policy: Policy) -> None:
    """Raise ApprovalError unless ``decision`` may resume the run waiting on ``request``."""
    if not allowed(decision.approver, decision.channel, policy):
        raise ApprovalError(
            f"{decision.channel}:{decision.approver} may not approve runs; "
            "add them to policy.approvers in stack.yaml"
        )
    if decision.verdict == "approve":
        n = len(request.candidates)
        if decision.choice is None or not 1 <= decision.choice <= n:
            raise ApprovalError(
                f"run {request.run_id}: experiment {decision.choice} does not exist; choose 1..{n}"
            )
