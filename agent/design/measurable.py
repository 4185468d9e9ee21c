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

from agent.design.path import off_path_warning, path_from
from agent.models import AbortCondition, ExpectedSignal, ExperimentSpec, Inventory
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


REQUEST_SIGNALS = {"error_rate_pct": "error rate", "latency_p95_ms": "p95 latency"}


def blind_spot(inv: Inventory, service: str, signal: str) -> str | None:
    """Why ``service``'s ``signal`` cannot show its failure, by the rule above, with where to look
    instead; None when it can (or the signal is not a request signal, or the service is unknown)."""
    if signal not in REQUEST_SIGNALS or inv.target(service) is None:
        return None
    what = kind(inv, service)
    instead = failure_witness(inv, service, serving=False)
    hint = f"; watch {instead} (its nearest caller that counts failures)" if instead else ""
    if what == "none":
        return (f"{service} exports no request metrics (a data store or queue, or nothing sends it requests): "
                f"its {REQUEST_SIGNALS[signal]} has no series{hint}")
    if what == "successes" and signal == "error_rate_pct":
        return (f"{service}'s own error rate counts successes only (recorded after a handler returns): it stays "
                f"0% while {service} fails{hint}")
    return None


def _blind_aborts(spec: ExperimentSpec, inv: Inventory) -> list[tuple[AbortCondition, str]]:
    """Each rising abort condition on a named service whose signal cannot show a failure, with why."""
    conditions = spec.abort_threshold.all_conditions() if spec.abort_threshold else []
    found = [(c, blind_spot(inv, c.service, c.signal)) for c in conditions if c.service != "*" and c.op in (">", ">=")]
    return [(c, why) for c, why in found if why]


def _blind_predictions(spec: ExperimentSpec, inv: Inventory) -> list[tuple[int, ExpectedSignal, str]]:
    """Each predicted rise (not an ``at_most`` fall) on a signal that cannot show a failure, with its index and why."""
    expected = spec.hypothesis.expected if spec.hypothesis else []
    found = [(i, x, blind_spot(inv, x.service, x.signal)) for i, x in enumerate(expected) if x.op != "at_most"]
    return [(i, x, why) for i, x, why in found if why]


def unmeasurable(spec: ExperimentSpec, inv: Inventory) -> list[str]:
    """Each abort condition and prediction of ``spec`` on a signal that cannot show a failure, with
    its field and why (``abort_threshold``: the run refuses before chaos, or never stops itself;
    ``hypothesis.expected[i]``: it would be graded "not measured")."""
    return ([f"abort_threshold ({c.service} {c.signal}): {why}" for c, why in _blind_aborts(spec, inv)]
            + [f"hypothesis.expected[{i}] ({x.service} {x.signal}): {why}" for i, x, why in _blind_predictions(spec, inv)])


def abort_warning(spec: ExperimentSpec, inv: Inventory | None) -> str | None:
    """Why the abort condition may never fire, or None: it watches a service off the predicted path
    (:func:`agent.design.path.off_path_warning`), or a signal that cannot show a failure. Warned
    about, not refused: a person may watch such a signal on purpose."""
    if inv is None:
        return None
    off = off_path_warning(spec, inv)
    reasons = [*([off] if off else []), *(f"the abort condition may never fire: {why}" for _, why in _blind_aborts(spec, inv))]
    return "; ".join(reasons) or None


def measurable_only(spec: ExperimentSpec, inventory: Inventory) -> ExperimentSpec:
    """``spec`` without the predictions nothing can measure (:func:`unmeasurable`), said in its
    rationale; its abort condition is kept as the model wrote it (a person sees the warning)."""
    h = spec.hypothesis
    gone = {i for i, _, _ in _blind_predictions(spec, inventory)}
    if h is None or not gone:
        return spec
    dropped = [x for i, x in enumerate(h.expected) if i in gone]
    kept = [x for i, x in enumerate(h.expected) if i not in gone]
    note = "predictions dropped, nothing can measure them: " + ", ".join(f"{x.service} {x.signal}" for x in dropped)
    return spec.model_copy(update={"hypothesis": h.model_copy(update={"expected": kept}),
                                   "rationale": f"{spec.rationale} [{note}]".strip()})
