"""The policy guard: every candidate, from any designer, passes here before anyone sees it.

A refusal names the broken rule. Text from the cluster or a model never changes a rule: the
guard reads only typed fields (namespace, action, numbers, selectors) and the configured policy.
"""

from __future__ import annotations

from agent.config import HIGH_RISK_FAULTS, Policy
from agent.engines.catalog import unused_parameters
from agent.errors import SpecRejected
from agent.models import Candidate, ExperimentSpec, Inventory, Rejection


def check(spec: ExperimentSpec, inventory: Inventory, policy: Policy) -> None:
    """Raise SpecRejected (with the rule) unless ``spec`` is allowed to run."""
    sel = spec.target_selector
    if sel.namespace not in policy.namespaces:
        raise SpecRejected(
            "policy.namespaces",
            f"namespace {sel.namespace!r} is not allowed (allowed: {', '.join(policy.namespaces)})",
        )
    if spec.action in HIGH_RISK_FAULTS and not policy.allow_high_risk:
        raise SpecRejected(
            "policy.allow_high_risk", f"{spec.action.value} is high-risk and needs explicit opt-in"
        )
    if spec.action not in policy.actions:
        raise SpecRejected("policy.actions", f"action {spec.action.value!r} is not allowed")
    if spec.parameters.duration_s > policy.max_duration_s:
        raise SpecRejected(
            "policy.max_duration_s",
            f"duration {spec.parameters.duration_s} s exceeds {policy.max_duration_s} s",
        )
    if spec.parameters.pods_affected_perc > policy.max_pods_affected_perc:
        raise SpecRejected(
            "policy.max_pods_affected_perc",
            f"{spec.parameters.pods_affected_perc}% of pods exceeds {policy.max_pods_affected_perc}%",
        )
    unused = unused_parameters(spec)
    if unused:
        raise SpecRejected(
            "parameters", f"{', '.join(unused)} do(es) not apply to {spec.action.value}; remove them"
        )
    if spec.abort_threshold is None:
        raise SpecRejected("abort_threshold", "every experiment needs an abort condition")
    matched = _check_target(spec, inventory)
    hit = max(1, matched * spec.parameters.pods_affected_perc // 100)
    if hit > policy.max_pods_affected:
        raise SpecRejected(
            "policy.max_pods_affected",
            f"{spec.parameters.pods_affected_perc}% of {matched} pods is {hit} pods, over {policy.max_pods_affected}",
        )


def _check_target(spec: ExperimentSpec, inventory: Inventory) -> int:
    """Check the target and the watched service exist; return how many pods the selector matches."""
    sel = spec.target_selector
    target = inventory.target(sel.service)
    if target is None or target.namespace != sel.namespace:
        raise SpecRejected("inventory", f"{sel.namespace}/{sel.service} is not a known target")
    matched = [
        p
        for p in inventory.pods
        if p.namespace == sel.namespace and all(p.labels.get(k) == v for k, v in sel.labels.items())
    ]
    if not matched:
        raise SpecRejected("inventory", f"selector {sel.label_selector} matches no pod in {sel.namespace}")
    assert spec.abort_threshold is not None
    watched = {spec.abort_threshold.service} | {c.service for c in spec.abort_threshold.conditions}
    for name in sorted(watched - {"*"}):
        if inventory.target(name) is None:
            raise SpecRejected("abort_threshold.service", f"{name!r} is not a known service to watch")
    return len(matched)


def screen(
    candidates: list[Candidate], inventory: Inventory, policy: Policy
) -> tuple[list[Candidate], list[Rejection]]:
    """Split candidates into the allowed (re-ranked 1..n) and the rejected (with the rule)."""
    allowed: list[Candidate] = []
    rejected: list[Rejection] = []
    for c in candidates:
        try:
            check(c.spec, inventory, policy)
        except SpecRejected as e:
            rejected.append(Rejection(title=c.spec.title, rule=e.rule, reason=e.reason))
            continue
        allowed.append(c.model_copy(update={"rank": len(allowed) + 1}))
    return allowed, rejected
