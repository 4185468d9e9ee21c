"""The policy guard refuses, with the broken rule, whatever breaks the configured policy."""

from __future__ import annotations

import pytest

from agent.config import Policy
from agent.design.policy import check, screen
from agent.errors import SpecRejected
from agent.models import AbortCondition, AbortThreshold, Candidate, Fault, Parameters, TargetSelector
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


def reason_of(s: object, policy: Policy = POLICY) -> str:
    with pytest.raises(SpecRejected) as e:
        check(s, shop(), policy)  # type: ignore[arg-type]
    return str(e.value)


def test_a_selector_that_picks_another_services_pods_is_refused_naming_them() -> None:
    # service api, labels of web: the engine would hit web's pod.
    sel = TargetSelector(service="api", namespace="shop", labels={"name": "web"})
    assert rule_of(spec(target_selector=sel)) == "target_selector.labels"
    assert "web-0" in reason_of(spec(target_selector=sel)) and "name=api" in reason_of(spec(target_selector=sel))


def test_a_namespace_wide_selector_is_refused() -> None:
    inv = shop()
    everyone = [p.model_copy(update={"labels": {**p.labels, "part-of": "shop"}}) for p in inv.pods]
    inv = inv.model_copy(update={"pods": everyone})
    sel = TargetSelector(service="api", namespace="shop", labels={"part-of": "shop"})
    with pytest.raises(SpecRejected) as e:
        check(spec(target_selector=sel, parameters=Parameters(duration_s=30, pods_affected_perc=10)), inv, POLICY)
    assert e.value.rule == "target_selector.labels" and "db-0" in e.value.reason and "api-0" not in e.value.reason


def test_the_kind_must_be_the_workloads() -> None:
    sel = TargetSelector(service="api", namespace="shop", labels={"name": "api"}, kind="statefulset")
    assert rule_of(spec(target_selector=sel)) == "target_selector.kind"


@pytest.mark.parametrize(
    "threshold",
    [
        AbortThreshold(service="web", error_rate_pct=100),
        AbortThreshold(service="web", latency_p95_ms=1e300),
        AbortThreshold(service="web", latency_p95_ms=10_000),
        AbortThreshold(service="web", conditions=[AbortCondition(signal="error_rate_pct", op="<", value=-1)]),
        AbortThreshold(service="web", conditions=[AbortCondition(signal="cpu_millicores", op="<", value=0)]),
        AbortThreshold(service="web", conditions=[AbortCondition(signal="error_rate_pct", op=">=", value=101)]),
        AbortThreshold(service="web", conditions=[AbortCondition(signal="cpu_millicores", op=">", value=1e15)]),
        AbortThreshold(service="web", conditions=[AbortCondition(signal="memory_mib", op=">", value=1e15)]),
    ],
)
def test_an_abort_condition_that_can_never_fire_is_refused(threshold: AbortThreshold) -> None:
    assert rule_of(spec(abort_threshold=threshold)) == "abort_threshold"
    assert "can never fire" in reason_of(spec(abort_threshold=threshold))


def test_abort_thresholds_looser_than_the_policy_caps_are_refused() -> None:
    loose = spec(abort_threshold=AbortThreshold(service="web", error_rate_pct=60))
    assert "policy.max_abort_error_rate_pct" in reason_of(loose)
    check(loose, shop(), POLICY.model_copy(update={"max_abort_error_rate_pct": 60}))
    slow = spec(abort_threshold=AbortThreshold(service="web", latency_p95_ms=6000))
    assert "policy.max_abort_latency_ms" in reason_of(slow)
    check(spec(abort_threshold=AbortThreshold(service="web", latency_p95_ms=5000)), shop(), POLICY)


def test_a_refusal_names_every_rule_broken() -> None:
    bad = spec(action=Fault.POD_CPU_HOG, parameters=Parameters(duration_s=999),
               target_selector=TargetSelector(service="api", namespace="kube-system", labels={"name": "api"}))
    text = reason_of(bad)
    for rule in ("policy.namespaces", "policy.actions", "policy.max_duration_s"):
        assert rule in text


def test_a_frozen_policy_refuses_everything() -> None:
    assert rule_of_frozen() == "policy.frozen"


def rule_of_frozen() -> str:
    with pytest.raises(SpecRejected) as e:
        check(spec(), shop(), POLICY.model_copy(update={"frozen": True}))
    return e.value.rule


def test_risk_comes_from_the_catalog_and_the_target_not_the_models_word() -> None:
    from agent.design.risk import assessed_risk

    inv = shop()
    assert assessed_risk(Fault.POD_DELETE, inv.target("db")) == "high"  # a store
    assert assessed_risk(Fault.POD_DELETE, inv.target("api")) == "low"  # two replicas
    assert assessed_risk(Fault.POD_DELETE, inv.target("web")) == "medium"  # one replica
    assert assessed_risk(Fault.POD_CPU_HOG, inv.target("db")) == "low"
    assert assessed_risk(Fault.NODE_DRAIN, None) == "high"
