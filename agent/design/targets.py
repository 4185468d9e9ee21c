"""What an experiment hits, in one line for the people approving it: the action, the target, the
exact selector and the pods it matches in the run's inventory (what the engine picks from)."""

from __future__ import annotations

from agent.design.policy import matched_pods
from agent.models import ExperimentSpec, Inventory


def target_line(spec: ExperimentSpec, inventory: Inventory | None, *, limit: int | None = None) -> str:
    """E.g. ``pod-delete on sock-shop/carts-db, selector name=carts-db (deployment), 1 pod: carts-db-abc12``.

    Args:
        spec: The experiment.
        inventory: The run's stored inventory; None when it is not known (then the pods are not listed).
        limit: The longest line wanted, in characters (Slack's confirm dialog holds 300): pod names
            are left off from the end as "and N more" to fit. The selector is never cut.
    """
    sel = spec.target_selector
    head = f"{spec.action.value} on {sel.namespace}/{sel.service}, selector {sel.label_selector} ({sel.kind})"
    if inventory is None:
        return f"{head}, pods not known"
    names = [p.name for p in matched_pods(spec, inventory)]
    count = f"{len(names)} pod" + ("" if len(names) == 1 else "s")
    # Each listed name takes at least 3 characters (", " and one), so more than limit/3 never fit.
    most = len(names) if limit is None else min(len(names), limit // 3 + 1)
    for shown in range(most, 0, -1):
        rest = len(names) - shown
        line = f"{head}, {count}: {', '.join(names[:shown])}" + (f" and {rest} more" if rest else "")
        if limit is None or len(line) <= limit:
            return line
    return f"{head}, {count}"
