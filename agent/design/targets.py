"""What an experiment hits, in one line for the people approving it: the action, the target, the
exact selector and the pods it matches in the run's inventory (what the engine picks from)."""

from __future__ import annotations

from agent.design.policy import matched_pods
from agent.models import AbortCondition, ExperimentSpec, Inventory

_UNITS = {"error_rate_pct": "%", "latency_p95_ms": " ms", "cpu_millicores": " m", "memory_mib": " MiB"}
_NAMES = {"error_rate_pct": "error rate", "latency_p95_ms": "p95", "cpu_millicores": "CPU", "memory_mib": "memory"}


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


def abort_line(spec: ExperimentSpec) -> str:
    """When the run stops itself, e.g. ``abort when front-end error rate > 50% or p95 > 5000 ms``."""
    if spec.abort_threshold is None:
        return "no abort condition (the policy refuses it)"
    why = f" ({spec.abort_threshold.reason})" if spec.abort_threshold.reason else ""
    return "abort when " + " or ".join(_condition(c) for c in spec.abort_threshold.all_conditions()) + why


def _condition(c: AbortCondition) -> str:
    who = "any service" if c.service == "*" else c.service
    return f"{who} {_NAMES[c.signal]} {c.op} {c.value:g}{_UNITS[c.signal]}"
