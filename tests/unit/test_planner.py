"""The offline planner ranks by blast radius, criticality and the weaknesses the manifests show."""

from __future__ import annotations

from agent.design.planner import PlannerDesigner, score_spec
from agent.models import Fault
from tests.factories import inventory, shop, spec, target


def all_ideas() -> list:  # type: ignore[type-arg]
    return PlannerDesigner().rank(shop(), 100)


def test_top_three_are_varied_and_explained() -> None:
    cands = PlannerDesigner().rank(shop(), 3)
    assert [c.rank for c in cands] == [1, 2, 3]
    assert len({c.spec.action for c in cands}) == 3
    assert len({c.spec.target_selector.service for c in cands}) == 3
    assert all(c.spec.rationale and c.spec.abort_threshold and c.spec.hypothesis for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)


def test_single_replica_with_long_readiness_delay_beats_a_redundant_service() -> None:
    deletes = [c for c in all_ideas() if c.spec.action == Fault.POD_DELETE]
    order = [c.spec.target_selector.service for c in deletes]
    assert order.index("slow") < order.index("api")
    slow = deletes[order.index("slow")].spec
    assert "readiness delay 180 s" in slow.rationale and "single replica" in slow.rationale
    assert slow.hypothesis and slow.hypothesis.recovery_s == 183  # go start ~3 s + 180 s delay
    # Its only pod gone, slow records nothing: its readiness falls and its caller (web) shows the errors.
    assert [(e.service, e.signal, e.op, e.peak, e.of) for e in slow.hypothesis.expected] == [
        ("slow", "ready_replicas", "at_most", 0.0, None), ("web", "error_rate_pct", "at_least", 2.0, "slow")]
    api = deletes[order.index("api")].spec
    assert "2 replicas should absorb one pod" in api.rationale
    assert api.hypothesis and api.hypothesis.affected_services == ["api"]


def test_missing_readiness_probe_is_named() -> None:
    inv = inventory(target("web", tier="edge", readiness_delay=5), target("svc"), deps=[("web", "svc")])
    svc = next(c.spec for c in PlannerDesigner().rank(inv, 20) if c.spec.target_selector.service == "svc")
    assert "no readiness probe" in svc.rationale


def test_no_latency_fault_on_stores_or_services_nobody_calls() -> None:
    latency = {c.spec.target_selector.service for c in all_ideas() if c.spec.action == Fault.POD_NETWORK_LATENCY}
    assert latency == {"api", "slow"}


def test_cpu_hog_only_where_a_limit_exists_and_names_it() -> None:
    hogs = [c.spec for c in all_ideas() if c.spec.action == Fault.POD_CPU_HOG]
    assert hogs and all(s.target_selector.service not in {"db", "queue"} for s in hogs)
    assert all("CPU limit of 300m" in s.rationale for s in hogs)


def test_memory_hog_above_the_limit_is_an_oom_kill() -> None:
    small = target("small", readiness_delay=5)
    small = small.model_copy(update={"workload": small.workload.model_copy(update={  # type: ignore[union-attr]
        "containers": [small.workload.containers[0].model_copy(update={"memory_limit_mib": 200})]})})  # type: ignore[union-attr]
    big = target("big", readiness_delay=5)
    big = big.model_copy(update={"workload": big.workload.model_copy(update={  # type: ignore[union-attr]
        "containers": [big.workload.containers[0].model_copy(update={"memory_limit_mib": 2048})]})})  # type: ignore[union-attr]
    inv = inventory(target("web", tier="edge", readiness_delay=5), small, big, deps=[("web", "small"), ("web", "big")])
    hogs = {c.spec.target_selector.service: c for c in PlannerDesigner().rank(inv, 50) if c.spec.action == Fault.POD_MEMORY_HOG}
    assert "an OOM kill, not slowness" in hogs["small"].spec.rationale
    assert "memory pressure only" in hogs["big"].spec.rationale
    assert hogs["small"].score > hogs["big"].score


def test_stateful_store_deletion_is_high_risk() -> None:
    db = next(c.spec for c in all_ideas() if c.spec.target_selector.service == "db" and c.spec.action == Fault.POD_DELETE)
    assert db.risk_level == "high" and "stateful mongodb" in db.rationale


def test_abort_watches_the_edge_service() -> None:
    assert {c.spec.abort_threshold.service for c in PlannerDesigner().rank(shop(), 5)} == {"web"}  # type: ignore[union-attr]


def test_only_allowed_actions_and_never_high_risk() -> None:
    cands = PlannerDesigner(actions=[Fault.POD_DELETE]).rank(shop(), 10)
    assert {c.spec.action for c in cands} == {Fault.POD_DELETE}
    assert not {Fault.DISK_FILL, Fault.NODE_DRAIN} & {c.spec.action for c in all_ideas()}


def test_deterministic_and_count_respected() -> None:
    assert PlannerDesigner().rank(shop(), 4) == PlannerDesigner().rank(shop(), 4)
    assert len(PlannerDesigner().rank(shop(), 4)) == 4


def test_score_spec_uses_the_planners_view_and_zero_for_unknown_targets() -> None:
    score, why = score_spec(shop(), spec())
    expected = next(c.score for c in all_ideas() if c.spec.title == "api pod delete")
    assert round(score, 2) == expected and "2 replicas should absorb one pod" in why
    from agent.models import TargetSelector

    ghost = spec(target_selector=TargetSelector(service="ghost", namespace="shop", labels={"name": "ghost"}))
    assert score_spec(shop(), ghost)[0] == 0.0
