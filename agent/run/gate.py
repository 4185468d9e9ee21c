"""The gate a plan passes when a human approves it and again immediately before its engine is
applied: the full policy check against the policy in force at that moment (stack.yaml read again,
the kill switch of the shared state), plus the approval's expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.design.policy import Violation, violations
from agent.errors import ConfigError
from agent.models import ExperimentSpec, Inventory
from agent.ports import Deps


def refusals(
    deps: Deps, spec: ExperimentSpec, inventory: Inventory, *, asked_at: datetime | None = None
) -> list[Violation]:
    """Every reason ``spec`` may not run now ([] when it may). With ``asked_at`` (when the
    approval was asked for) an approval older than ``policy.approval_ttl_s`` is refused as stale.
    A policy that cannot be read now refuses everything: fail closed."""
    try:
        policy = deps.policy()
    except ConfigError as e:
        return [Violation("stack.yaml", f"the policy in force cannot be read ({e}); nothing runs until it can")]
    found = []
    if asked_at is not None:
        age = deps.wall_now() - asked_at
        if age > timedelta(seconds=policy.approval_ttl_s):
            found.append(Violation(
                "policy.approval_ttl_s",
                f"the approval was asked for {duration_text(age)} ago, longer than {duration_text(timedelta(seconds=policy.approval_ttl_s))}: "
                "stale; start the experiment again for a fresh plan",
            ))
    return found + violations(spec, inventory, policy)


def explain(broken: list[Violation]) -> str:
    """One line for a refusal: every broken rule."""
    return "refused by the policy in force: " + "; ".join(map(str, broken))


def duration_text(d: timedelta) -> str:
    """A wait as a person reads it: ``3 min 12 s``, or ``2 h 5 min`` past an hour."""
    s = int(d.total_seconds())
    return f"{s // 3600} h {s % 3600 // 60} min" if s >= 3600 else f"{s // 60} min {s % 60} s"
