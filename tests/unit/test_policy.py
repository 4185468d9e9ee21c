"""The policy guard refuses, with the broken rule, whatever breaks the configured policy."""

from __future__ import annotations

import pytest

from agent.config import Policy
from agent.design.policy import check, screen
from agent.errors import SpecRejected
from agent.models import AbortThreshold, Candidate, Fault, Parameters, TargetSelector
from tests.factories import shop, spec

POLICY = Policy(
    namespaces=["shop"],
    actions=[Fault.POD_DELETE, Fault.POD_NETWORK_LATENCY, Fault.NODE_DRAIN],
    max_duration_s=120,
    max_pods_affected_perc=50,
)


def rule_of(s: object) -> str:
    with pytest.raises(SpecRejected) as e:
        check(s, shop(), POLICY)  # type: ignore[arg-type]
    return e.value.rule


def test_a_compliant_spec_passes() -> None:
    check(spec(), shop(), POLICY)


def test_namespace_outside_the_allow_list() -> None:
    sel = TargetSelector(service="coredns", namespace="kube-system", labels={"k8s-app": "kube-dns"})
    assert rule_of(spec(target_selector=sel)) == "policy.namespaces"


def test_action_not_allowed() -> None:
    assert rule_of(spec(action=Fault.POD_CPU_HOG)) == "policy.actions"


def test_high_risk_needs_opt_in_even_when_listed() -> None:
    assert rule_of(spec(action=Fault.NODE_DRAIN)) == "policy.allow_high_risk"
    drain = spec(action=Fault.NODE_DRAIN, parameters=Parameters(duration_s=30))
    check(drain, shop(), POLICY.model_copy(update={"allow_high_risk": True}))


def test_duration_over_the_maximum() -> None:
    assert rule_of(spec(parameters=Parameters(duration_s=121))) == "policy.max_duration_s"


def test_blast_radius_over_the_maximum() -> None:
    assert rule_of(spec(parameters=Parameters(duration_s=30, pods_affected_perc=51))) == "policy.max_pods_affected_perc"


def test_abort_condition_required() -> None:
    assert rule_of(spec(abort_threshold=None)) == "abort_threshold"


def test_target_must_exist_and_match_pods() -> None:
    ghost = TargetSelector(service="ghost", namespace="shop", labels={"name": "ghost"})
    assert rule_of(spec(target_selector=ghost)) == "inventory"
    wrong = TargetSelector(service="api", namespace="shop", labels={"name": "nobody"})
    assert rule_of(spec(target_selector=wrong)) == "inventory"


def test_watched_service_must_exist() -> None:
    assert rule_of(spec(abort_threshold=AbortThreshold(service="nope", error_rate_pct=5))) == "abort_threshold.service"


def test_screen_keeps_rejections_and_reranks_survivors() -> None:
    cands = [
        Candidate(rank=1, score=9, spec=spec(action=Fault.POD_CPU_HOG, title="Bad one")),
        Candidate(rank=2, score=5, spec=spec()),
    ]
    allowed, rejected = screen(cands, shop(), POLICY)
    assert [(c.rank, c.spec.title) for c in allowed] == [(1, "Api pod delete")]
    assert [(r.title, r.rule) for r in rejected] == [("Bad one", "policy.actions")]


def test_parameters_the_fault_does_not_take_are_refused() -> None:
    p = Parameters(duration_s=30, network_latency_ms=2000)
    with pytest.raises(SpecRejected, match="network_latency_ms do\\(es\\) not apply to pod-delete"):
        check(spec(parameters=p), shop(), POLICY)


def test_counted_blast_radius() -> None:
    # api has 2 replicas: 50% is one pod, 100% would be two (the limit here is one).
    strict = POLICY.model_copy(update={"max_pods_affected_perc": 100, "max_pods_affected": 1})
    check(spec(parameters=Parameters(duration_s=30, pods_affected_perc=50)), shop(), strict)
    with pytest.raises(SpecRejected) as e:
        check(spec(parameters=Parameters(duration_s=30, pods_affected_perc=100)), shop(), strict)
    assert e.value.rule == "policy.max_pods_affected"
