"""Who a failure reaches: the synchronous call graph seen from the users.

Users enter at the entry points (an Ingress, a LoadBalancer or NodePort Service, the configured
edge). When a service fails, two sets of services fail for users with it:

- its **callers**, transitively (``upstream``): their requests that need it fail too;
- the services **behind** it: those every user path to which passes through it (it dominates
  them, in the graph rooted at the users). With it down, users cannot reach them at all.

A front end that nobody calls has no callers, yet everything is behind it: a fault there
reaches every user. That is the blast radius the planner ranks by.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.models import Inventory

USERS = "\x00users"  # the virtual root: cannot collide with a Kubernetes name


@dataclass(frozen=True)
class Reach:
    """The services that fail for users when one service fails, split by why."""

    upstream: tuple[str, ...]  # callers, transitively: their requests need it
    behind: tuple[str, ...]  # every user path to them passes through it

    @property
    def affected(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.upstream) | set(self.behind)))


def entry_points(inv: Inventory) -> list[str]:
    """Where users come in: the entry targets, else the edge tier, else services nobody calls."""
    entries = inv.entries() or [t.name for t in inv.targets if t.tier == "edge"]
    if entries:
        return sorted(entries)
    called = {d.target for d in inv.dependencies if d.sync}
    return sorted(t.name for t in inv.targets if t.name not in called)


def reach(inv: Inventory) -> dict[str, Reach]:
    """Every target's reach, computed once for the whole graph."""
    callees: dict[str, list[str]] = {USERS: entry_points(inv)}
    callers: dict[str, list[str]] = {}
    for d in inv.dependencies:
        if d.sync and d.source != d.target:
            callees.setdefault(d.source, []).append(d.target)
            callers.setdefault(d.target, []).append(d.source)
    tree: dict[str, list[str]] = {}  # the dominator tree: what is behind a node is its subtree
    for v, parent in _dominators(callees).items():
        if v != USERS:
            tree.setdefault(parent, []).append(v)
    return {t.name: Reach(upstream=tuple(_closure(t.name, callers)), behind=tuple(_closure(t.name, tree)))
            for t in inv.targets}


def on_user_path(inv: Inventory) -> set[str]:
    """The services users reach through synchronous calls (the entry points included)."""
    callees: dict[str, list[str]] = {}
    for d in inv.dependencies:
        if d.sync:
            callees.setdefault(d.source, []).append(d.target)
    seen = set(inv.entries())
    frontier = list(seen)
    while frontier:
        for nxt in callees.get(frontier.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def _closure(name: str, edges: dict[str, list[str]]) -> list[str]:
    seen: set[str] = set()
    frontier = [name]
    while frontier:
        for nxt in edges.get(frontier.pop(), []):
            if nxt not in seen and nxt != name:
                seen.add(nxt)
                frontier.append(nxt)
    return sorted(seen)


def _dominators(callees: dict[str, list[str]]) -> dict[str, str]:
    """Immediate dominators of every node reachable from USERS (Cooper, Harvey and Kennedy's
    iterative algorithm: simple, and fast on call graphs of thousands of services)."""
    order = _postorder(callees)
    index = {v: i for i, v in enumerate(order)}
    preds: dict[str, list[str]] = {}
    for u in order:
        for v in callees.get(u, []):
            preds.setdefault(v, []).append(u)
    idom = {USERS: USERS}
    changed = True
    while changed:
        changed = False
        for v in reversed(order[:-1]):  # reverse postorder, root (last) left out
            done = [p for p in preds.get(v, []) if p in idom]
            new = done[0]
            for p in done[1:]:
                new = _intersect(p, new, idom, index)
            if idom.get(v) != new:
                idom[v] = new
                changed = True
    return idom


def _intersect(a: str, b: str, idom: dict[str, str], index: dict[str, int]) -> str:
    while a != b:
        while index[a] < index[b]:
            a = idom[a]
        while index[b] < index[a]:
            b = idom[b]
    return a


def _postorder(callees: dict[str, list[str]]) -> list[str]:
    """Nodes reachable from USERS in depth-first postorder (iterative: deep graphs are fine)."""
    order: list[str] = []
    seen = {USERS}
    stack = [(USERS, iter(callees.get(USERS, [])))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            order.append(node)
        elif child not in seen:
            seen.add(child)
            stack.append((child, iter(callees.get(child, []))))
    return order
