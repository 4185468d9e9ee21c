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


def check_approver(decision: Decision, policy: Policy) -> None:
    """Raise ApprovalError unless ``policy.approvers`` lists who decided."""
    if not allowed(decision.approver, decision.channel, policy):
        raise ApprovalError(
            f"{decision.channel}:{decision.approver} may not approve runs; "
            "add them to policy.approvers in stack.yaml"
        )


def missing_choice(decision: Decision, request: ApprovalRequest) -> str | None:
    """``no proposal 5; there are 3`` when an approval names a candidate ``request`` does not
    have; None for a reject or a choice in range."""
    n = len(request.candidates)
    if decision.verdict != "approve" or (decision.choice is not None and 1 <= decision.choice <= n):
        return None
    return f"no proposal {decision.choice}; there are {n}"


def validate(decision: Decision, request: ApprovalRequest, policy: Policy) -> None:
    """Raise ApprovalError unless ``decision`` may resume the run waiting on ``request``."""
    check_approver(decision, policy)
    missing = missing_choice(decision, request)
    if missing:
        raise ApprovalError(f"run {request.run_id}: {missing}: choose 1..{len(request.candidates)}")
