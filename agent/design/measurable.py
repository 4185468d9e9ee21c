"""Which service can show a target's failure, by the measurability rule of
:mod:`agent.models.measure` (a store exports no request metrics, a Java service counts no
failures, a pod that is gone records nothing).

The witness of a failure is the nearest service on the predicted path (``agent.design.path``:
the target, then its synchronous callers nearest first, then the entry points) whose own
request metrics count failures: carts-db's is front-end (carts and orders are Java), catalogue-db's
is catalogue. A hypothesis predicts the witness's error rate, and the planner's abort condition
watches a signal that exists.
"""

from __future__ import annotations

from agent.design.path import path_from
from agent.models import Inventory
from agent.models.measure import RequestMetrics, request_metrics


def kind(inv: Inventory, name: str) -> RequestMetrics:
    """What ``name``'s own request metrics can show (``none`` for a service not in the stack)."""
    t = inv.target(name)
    if t is None:
        return "none"
    served = t.entry or t.tier == "edge" or bool(inv.callers(name))
    return request_metrics(runtime=t.type, store=t.store, served=served)


def failure_witness(inv: Inventory, target: str, *, serving: bool) -> str | None:
    """The nearest service whose error rate counts ``target``'s failures: ``target`` itself when
    it keeps serving (``serving``: another replica or the process stays up) and counts failures,
    else its nearest caller on the predicted path that does; None when none does (an entry point
    going down: only its users see it)."""
    path = path_from(target, inv)
    return next((s for s in (path if serving else path[1:]) if kind(inv, s) == "all"), None)


def latency_witnesses(inv: Inventory, target: str) -> list[str]:
    """The direct synchronous callers of ``target`` that record their own latency: a delay on
    ``target``'s network shows in their histograms, not in its own (it times only its handler)."""
    return [c for c in inv.callers(target) if kind(inv, c) != "none"]


def abort_service(inv: Inventory, target: str, edge: str) -> str:
    """The service whose error rate an abort condition watches: the edge when it counts failures,
    else the target's nearest failure witness, else the edge (the run then refuses as blind)."""
    if kind(inv, edge) == "all":
        return edge
    return failure_witness(inv, target, serving=False) or edge
