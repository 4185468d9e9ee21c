"""How risky a fault is on a given target: from the fault catalog and the target's facts, never
from a model's own word (an LLM that calls a pod-delete of the only database pod "low" is
overruled here)."""

from __future__ import annotations

from agent.models import Fault, RiskLevel, Target


def assessed_risk(fault: Fault, target: Target | None) -> RiskLevel:
    """The registry's risk of ``fault``, raised to high on a stateful store (its data or its
    clients' sessions are at stake) unless the fault is gentle (only slows or duplicates traffic),
    and lowered to low for a pod-delete of a workload that has other replicas to serve while one
    restarts."""
    base = fault.entry.risk
    if target is None or base == "high":
        return base
    if target.store and not fault.entry.gentle:
        return "high"
    replicas = target.workload.replicas if target.workload else len(target.pods)
    if fault == Fault.POD_DELETE and replicas >= 2:
        return "low"
    return base
