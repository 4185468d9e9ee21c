"""In twin mode as on a cluster, hypotheses predict only what can be measured: a store exports no
request metrics, a Java service counts no failures, a pod that is gone records nothing; so the
failure is read at the nearest caller that counts it, and readiness from the Kubernetes API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agent.design.measurable import (
    abort_service,
    abort_warning,
    failure_witness,
    kind,
    latency_witnesses,
    unmeasurable,
)
from agent.design.planner import PlannerDesigner
from agent.models import (
    AbortThreshold,
    ExpectedSignal,
    Fault,
    Hypothesis,
    Inventory,
    Sample,
    Signals,
    Target,
    TargetSelector,
)
from agent.models.measure import request_metrics
from agent.report.findings import BlastRadius, signal_findings
from agent.report.recommend import recommend
from tests.factories import T0, inventory, spec, target


def typed(t: Target, runtime: str) -> Target:
    return t.model_copy(update={"type": runtime})


def sock_shop() -> Inventory:
    """Sock Shop's shape: front-end (Node) -> carts (Java) -> carts-db; front-end -> orders (Java)
    -> carts, payment (Go); front-end -> catalogue (Go, probe) -> catalogue-db; shipping -async-> queue."""
    return inventory(
        typed(target("front-end", tier="edge", readiness_delay=10, namespace="sock-shop"), "nodejs"),
        typed(target("carts", namespace="sock-shop"), "java"),
        typed(target("orders", namespace="sock-shop"), "java"),
        target("payment", readiness_delay=180, namespace="sock-shop"),
        target("catalogue", readiness_delay=180, namespace="sock-shop"),
        typed(target("carts-db", tier="data", store="mongodb", namespace="sock-shop"), "mongodb"),
        typed(target("catalogue-db", tier="data", store="mysql", namespace="sock-shop"), "mysql"),
        typed(target("queue-master", tier="queue", namespace="sock-shop"), "java"),
        typed(target("rabbitmq", tier="queue", store="rabbitmq", namespace="sock-shop"), "rabbitmq"),
        deps=[("front-end", "carts"), ("front-end", "orders"), ("front-end", "catalogue"), ("orders", "carts"),
              ("orders", "payment"), ("carts", "carts-db"), ("catalogue", "catalogue-db")],
        async_deps=[("queue-master", "rabbitmq")],
    )


@pytest.mark.parametrize(("runtime", "store", "served", "expected"), [
    ("nodejs", None, True, "all"), ("go", None, True, "all"),
    ("java", None, True, "successes"), ("Java", None, True, "successes"),
    ("mongodb", "mongodb", True, "none"), ("rabbitmq", "rabbitmq", True, "none"),
    ("java", None, False, "none"),  # queue-master: nothing sends it requests
])
def test_request_metrics_per_service_kind(runtime: str, store: str | None, served: bool, expected: str) -> None:
    assert request_metrics(runtime=runtime, store=store, served=served) == expected


def test_kinds_and_witnesses_on_sock_shops_call_graph() -> None:
    inv = sock_shop()
    assert {t.name: kind(inv, t.name) for t in inv.targets} == {
        "front-end": "all", "carts": "successes", "orders": "successes", "payment": "all", "catalogue": "all",
        "carts-db": "none", "catalogue-db": "none", "queue-master": "none", "rabbitmq": "none"}
    assert failure_witness(inv, "carts-db", serving=False) == "front-end"  # carts, orders are Java
    assert failure_witness(inv, "catalogue-db", serving=False) == "catalogue"
    assert failure_witness(inv, "payment", serving=False) == "front-end"  # its pod gone, orders is Java
    assert failure_witness(inv, "payment", serving=True) == "payment"  # still serving: it counts its own
    assert failure_witness(inv, "carts", serving=True) == "front-end"  # Java: never its own
    assert failure_witness(inv, "front-end", serving=False) is None  # only users see it
    assert latency_witnesses(inv, "carts") == ["front-end", "orders"]  # Java records its successes' latency
    assert latency_witnesses(inv, "rabbitmq") == []  # async callers wait for nothing
    assert abort_service(inv, "carts-db", "front-end") == "front-end"
    assert abort_service(inv, "carts-db", "carts") == "front-end"  # a Java edge cannot show failures


def predictions(inv: Inventory, title: str) -> list[tuple[str, str, str, float, str | None]]:
    found = next(c.spec for c in PlannerDesigner().rank(inv, 200) if c.spec.title == title)
    assert found.hypothesis is not None and found.abort_threshold is not None
    assert found.abort_threshold.service == "front-end"  # a signal that exists
    return [(e.service, e.signal, e.op, e.peak, e.of) for e in found.hypothesis.expected]


def test_a_store_is_predicted_at_its_nearest_caller_that_counts_failures_never_its_own() -> None:
    inv = sock_shop()
    assert predictions(inv, "carts-db pod delete") == [("front-end", "error_rate_pct", "at_least", 2.0, "carts-db")]
    assert predictions(inv, "catalogue-db pod delete") == [
        ("catalogue", "error_rate_pct", "at_least", 2.0, "catalogue-db")]


def test_a_restart_behind_a_readiness_probe_predicts_readiness_and_the_callers_errors() -> None:
    assert predictions(sock_shop(), "payment pod delete") == [
        ("payment", "ready_replicas", "at_most", 0.0, None),  # from the Kubernetes API
        ("front-end", "error_rate_pct", "at_least", 2.0, "payment")]


def test_a_java_service_is_judged_by_its_callers_and_network_faults_by_the_callers_latency() -> None:
    inv = sock_shop()
    assert predictions(inv, "carts DNS errors") == [("front-end", "error_rate_pct", "at_least", 2.0, "carts")]
    assert predictions(inv, "catalogue DNS errors") == [("catalogue", "error_rate_pct", "near", 100.0, None)]
    assert predictions(inv, "carts network latency 2000 ms") == [
        ("front-end", "latency_p95_ms", "near", 2000.0, "carts"), ("orders", "latency_p95_ms", "near", 2000.0, "carts")]
    assert predictions(inv, "carts packet lost 50%") == [
        ("front-end", "latency_p95_ms", "at_least", 200.0, "carts"), ("orders", "latency_p95_ms", "at_least", 200.0, "carts")]


def test_no_hypothesis_predicts_a_signal_its_service_does_not_export() -> None:
    inv = sock_shop()
    for c in PlannerDesigner().rank(inv, 500):
        for e in c.spec.hypothesis.expected if c.spec.hypothesis else []:
            if e.signal in ("error_rate_pct", "latency_p95_ms"):
                assert kind(inv, e.service) != "none", (c.spec.title, e)
            if e.signal == "error_rate_pct" and e.peak > 0:
                assert kind(inv, e.service) == "all", (c.spec.title, e)  # a Java service never shows errors


def test_findings_read_at_least_at_most_and_say_where_the_failure_was_measured() -> None:
    expected = [ExpectedSignal(service="web", signal="error_rate_pct", peak=5.0, op="at_least", of="db"),
                ExpectedSignal(service="api", signal="ready_replicas", peak=0.0, op="at_most"),
                ExpectedSignal(service="web", signal="latency_p95_ms", peak=200.0, op="at_least", of="api")]
    s = spec(target_selector=spec().target_selector, hypothesis=Hypothesis(
        statement="db down", affected_services=["db", "web"], expected=expected, recovery_s=10))
    base = Sample(tick=0, at=T0, services={"web": Signals(error_rate_pct=0.2, latency_p95_ms=60),
                                           "api": Signals(ready_replicas=1, replicas=1)})
    chaos = [Sample(tick=i, at=T0 + timedelta(seconds=2 * i), services={
        "web": Signals(error_rate_pct=e, latency_p95_ms=90), "api": Signals(ready_replicas=r, replicas=1)})
        for i, (e, r) in enumerate([(3.0, 1), (27.5, 0), (1.0, 1)], start=1)]
    errors, ready, slow = signal_findings(s, base, [base, *chaos])
    assert errors.verdict == "confirmed" and errors.observed_peak == 27.5
    assert errors.sentence(T0) == ("db, measured at web error rate: predicted at least 5.0%, observed 27.5% at T+4s "
                                   "(baseline 0.2%): confirmed")
    assert ready.verdict == "confirmed" and ready.observed_peak == 0  # the trough, not the peak
    assert ready.sentence(T0).startswith("api ready replicas: predicted to fall to at most 0.0, observed 0.0 at T+4s")
    assert slow.verdict == "refuted" and slow.observed_peak == 90  # 90 ms never reached 200 ms


def test_a_stores_outage_is_recommended_on_its_callers_evidence() -> None:
    inv = sock_shop()
    s = next(c.spec for c in PlannerDesigner().rank(inv, 5) if c.spec.title == "carts-db pod delete")
    samples = [Sample(tick=i, at=T0 + timedelta(seconds=2 * i), services={
        "front-end": Signals(error_rate_pct=e), "carts-db": Signals(cpu_millicores=15.0)})
        for i, e in enumerate([0.3, 40.0, 38.0, 0.3])]
    [rec] = [r for r in recommend(s, inv, samples, None, BlastRadius(set(), set())) if "replicas >= 2" in r.action]
    assert "front-end, where its failures are measured, saw errors peak at 40.0%" in rec.evidence
    assert "stay at or above 2%" in rec.evidence
    assert not [r for r in recommend(s, inv, samples[:1] + samples[-1:], None, BlastRadius(set(), set()))
                if "replicas >= 2" in r.action]  # the caller saw nothing: no evidence, no recommendation


def test_planner_predictions_name_only_pods_with_a_probe_for_readiness() -> None:
    inv = sock_shop()
    titles = {c.spec.title: c.spec for c in PlannerDesigner(actions=[Fault.POD_DELETE]).rank(inv, 50)}
    assert not any(e.signal == "ready_replicas" for e in titles["carts-db pod delete"].hypothesis.expected)  # type: ignore[union-attr]
    # carts-db has no readiness probe: its new pod is Ready as soon as its container runs
    assert "measured at front-end" in titles["carts-db pod delete"].hypothesis.statement  # type: ignore[union-attr]


def test_an_abort_on_a_signal_that_cannot_show_a_failure_is_warned_about_with_where_to_look() -> None:
    inv = sock_shop()
    on = {"carts": AbortThreshold(service="carts", error_rate_pct=5),  # Java: counts successes only
          "carts-db": AbortThreshold(service="carts-db", latency_p95_ms=500),  # a store: no series at all
          "front-end": AbortThreshold(service="front-end", error_rate_pct=5),
          "carts latency": AbortThreshold(service="carts", latency_p95_ms=500)}  # successes' latency: fine
    target = TargetSelector(service="carts-db", namespace="sock-shop", labels={"name": "carts-db"})
    warned = {name: abort_warning(spec(target_selector=target, abort_threshold=a), inv) for name, a in on.items()}
    assert warned["front-end"] is None and warned["carts latency"] is None
    assert warned["carts"] == ("the abort condition may never fire: carts's own error rate counts successes only "
                               "(recorded after a handler returns): it stays 0% while carts fails; watch front-end "
                               "(its nearest caller that counts failures)")
    assert warned["carts-db"] is not None and "carts-db exports no request metrics" in warned["carts-db"]
    assert "its p95 latency has no series; watch front-end" in warned["carts-db"]
    # any service ('*') and a falling condition are not judged
    anywhere = spec(target_selector=target, abort_threshold=AbortThreshold(service="*", error_rate_pct=5))
    assert unmeasurable(anywhere, inv) == []


def test_the_planners_specs_are_all_measurable() -> None:
    inv = sock_shop()
    for c in PlannerDesigner(actions=list(Fault)).propose(inv, 30).candidates:
        assert unmeasurable(c.spec, inv) == [], c.spec.title
