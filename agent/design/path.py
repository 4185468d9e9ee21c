"""The predicted path of a fault: from its target to the users, through the synchronous callers
that fail with it (``Inventory.upstream``), and whether the abort condition watches it.

A threshold on a service off that path (say ``carts`` while ``payment`` breaks, or anything
behind a front end that goes down) may never see the fault, so the run would not stop itself.
It is warned about, not refused: a person who edited a spec may watch such a service on
purpose (a shared store, a side effect they expect).
"""

from __future__ import annotations

from agent.models import ExperimentSpec, Inventory


def predicted_path(spec: ExperimentSpec, inventory: Inventory) -> list[str]:
    """The target, then its synchronous callers nearest first, ending at the services users call
    (those nobody calls), e.g. ``["carts-db", "carts", "orders", "front-end"]``."""
    return path_from(spec.target_selector.service, inventory)


def path_from(service: str, inventory: Inventory) -> list[str]:
    """:func:`predicted_path` of a fault on ``service``."""
    order = [service]
    for name in order:  # breadth-first over callers: grows while it walks
        order += [c for c in inventory.callers(name) if c not in order]
    inner = [n for n in order[1:] if inventory.callers(n)]
    return [order[0], *inner, *(n for n in order[1:] if n not in inner)]


def off_path_warning(spec: ExperimentSpec, inventory: Inventory | None) -> str | None:
    """Why the abort condition may never fire (it watches a service off the predicted path), or
    None: every condition watches the path or any service (``*``), or the inventory is unknown."""
    if inventory is None or spec.abort_threshold is None:
        return None
    path = predicted_path(spec, inventory)
    watched = sorted({c.service for c in spec.abort_threshold.all_conditions()} - {"*", *path})
    if not watched:
        return None
    names = ", ".join(watched)
    return (f"the abort condition watches {names}, off the predicted path {' → '.join(path)} → users: "
            f"a failure of {path[0]} may never show at {names}, so the run might not stop itself; "
            f"watch a service on that path (or '*'), unless {names} is watched on purpose")
