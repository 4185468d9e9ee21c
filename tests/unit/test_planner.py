"""The offline planner ranks by blast radius, criticality and the weaknesses the manifests show."""

from __future__ import annotations

from agent.models import Fault
from agent.planner import PlannerDesigner
from tests.factories import shop


def test_top_three_cover_three_faults_each_with_a_reason() -> None:
    cands = PlannerDesigner().rank(shop(), 3)
    assert [c.rank for c in cands] == [1, 2, 3]
    assert {c.spec.action for c in cands} == {Fault.POD_DELETE, Fault.POD_NETWORK_LATENCY, Fault.POD_CPU_HOG}
    assert all(c.spec.rationale and c.spec.abort_threshold for c in cands)
    assert [c.score for c in cands] == sorted((c.score for c in cands), reverse=True)


def test_single_replica_with_long_readiness_delay_beats_a_redundant_service() -> None:
    cands = PlannerDesigner().rank(shop(), 20)
    deletes = [c for c in cands if c.spec.action == Fault.POD_DELETE]
    order = [c.spec.target_selector.service for c in deletes]
    assert order.index("slow") < order.index("api")
    slow = deletes[order.index("slow")].spec
    assert "readiness delay 180 s" in slow.rationale
    assert "single replica" in slow.rationale
    assert "~180 s" in slow.expected_impact


def test_no_latency_fault_on_stores_or_services_nobody_calls() -> None:
    cands = PlannerDesigner().rank(shop(), 20)
    latency_targets = {c.spec.target_selector.service for c in cands if c.spec.action == Fault.POD_NETWORK_LATENCY}
    assert "db" not in latency_targets  # a data store: the latency belongs on its caller's calls
    assert "web" not in latency_targets  # nobody calls the edge
    assert latency_targets <= {"api", "slow"}


def test_cpu_hog_only_where_a_limit_exists_and_names_it() -> None:
    cands = PlannerDesigner().rank(shop(), 20)
    hogs = [c.spec for c in cands if c.spec.action == Fault.POD_CPU_HOG]
    assert hogs and all(s.target_selector.service not in {"db", "queue"} for s in hogs)
    assert all("CPU limit of 300m" in s.rationale for s in hogs)


def test_stateful_store_deletion_is_high_risk() -> None:
    cands = PlannerDesigner().rank(shop(), 20)
    db = next(c.spec for c in cands if c.spec.target_selector.service == "db")
    assert db.action == Fault.POD_DELETE and db.risk_level == "high"


def test_abort_watches_the_edge_service() -> None:
    assert {c.spec.abort_threshold.service for c in PlannerDesigner().rank(shop(), 5)} == {"web"}  # type: ignore[union-attr]


def test_deterministic_and_count_respected() -> None:
    a = PlannerDesigner().rank(shop(), 4)
    b = PlannerDesigner().rank(shop(), 4)
    assert a == b and len(a) == 4
