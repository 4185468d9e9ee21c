"""Issue 15 point 3: each engine carries steady-state probes derived from the spec, in the upstream
CRD's shape (chaos-operator 3.18.0 deploy/chaos_crds.yaml, 2.14.0 deploy/crds/chaosengine_crd.yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from agent.engines.litmus import render
from agent.engines.probes import steady_state_probes
from agent.models import AbortCondition, AbortThreshold, Hypothesis, KubeService
from tests.factories import catalogue_delete, inventory, spec, target
from tests.unit.test_engine_schema import V2, V3
from twin.schema import validate_custom_object


class FakePrometheus:
    """The PromQLSource shape of the Prometheus adapter: its URL and the PromQL per signal."""

    url = "http://127.0.0.1:9090"

    def describe(self, namespace: str, service: str, signal: str) -> str:
        return f'{signal}{{namespace="{namespace}",name="{service}"}}'


def _body(probes_spec: Any, version: str, **kw: Any) -> dict[str, Any]:
    probes = steady_state_probes(probes_spec, kw.pop("inventory", None), prometheus=FakePrometheus(), **kw)
    return render(probes_spec, run_id="ab12cd34", service_account="litmus-admin", cleanup="retain",
                  litmus_version=version, probes=probes).body()  # type: ignore[arg-type]


@pytest.mark.parametrize(("version", "schema", "timeout"), [("3.x", V3, "5s"), ("2.14", V2, 5)])
def test_probes_validate_against_the_crd_of_each_litmus_version(version: str, schema: Any, timeout: object) -> None:
    s = spec(abort_threshold=AbortThreshold(service="web", error_rate_pct=5, latency_p95_ms=800))
    b = _body(s, version)
    assert validate_custom_object(b, schema) == []
    probes = b["spec"]["experiments"][0]["spec"]["probe"]
    assert [(p["name"], p["type"], p["mode"]) for p in probes] == [
        ("web-error-rate-pct", "promProbe", "Continuous"), ("web-latency-p95-ms", "promProbe", "Continuous")]
    assert probes[0]["runProperties"]["probeTimeout"] == timeout
    assert probes[0]["promProbe/inputs"] == {
        "endpoint": "http://127.0.0.1:9090", "query": 'error_rate_pct{namespace="shop",name="web"}',
        "comparator": {"criteria": "<=", "value": "5"}}  # abort when > 5: steady while <= 5


def test_a_probe_the_crd_refuses_is_caught_by_the_schema() -> None:
    b = _body(spec(), "3.x")
    b["spec"]["experiments"][0]["spec"]["probe"][0]["mode"] = "Sometimes"
    assert validate_custom_object(b, V3) != []


def test_criteria_negate_the_abort_condition_and_a_hit_service_is_checked_at_the_edges() -> None:
    threshold = AbortThreshold(service="web", error_rate_pct=5,
                               conditions=[AbortCondition(signal="latency_p95_ms", op=">=", value=900, service="api"),
                                           AbortCondition(signal="error_rate_pct", value=50)])  # "*": no probe
    s = spec(abort_threshold=threshold,
             hypothesis=Hypothesis(statement="web errors rise", affected_services=["web"], recovery_s=10))
    probes = steady_state_probes(s, None, prometheus=FakePrometheus(), endpoint="http://prometheus.monitoring:9090")
    assert [(p.name, p.mode, p.prom.comparator.criteria if p.prom else None) for p in probes] == [
        ("web-error-rate-pct", "Edge", "<="), ("api-latency-p95-ms", "Continuous", "<")]
    assert {p.prom.endpoint for p in probes if p.prom} == {"http://prometheus.monitoring:9090"}


def test_the_edge_service_gets_an_http_probe_and_no_prometheus_means_no_prom_probe() -> None:
    edge = target("web").model_copy(update={"entry": True})
    inv = inventory(edge, target("api")).model_copy(update={"services": [
        KubeService(name="web-svc", namespace="shop", selector={"name": "web"}, ports=[8079, 80])]})
    s = spec(target_selector=spec().target_selector.model_copy(update={"namespace": edge.namespace}))
    probes = steady_state_probes(s, inv, prometheus=None)
    assert [(p.type, p.mode) for p in probes] == [("httpProbe", "Continuous")]
    assert probes[0].http is not None
    assert probes[0].http.url == "http://web-svc.shop.svc.cluster.local:80/"


def test_without_a_threshold_or_an_edge_there_is_no_probe() -> None:
    assert steady_state_probes(catalogue_delete().model_copy(update={"abort_threshold": None}), None,
                               prometheus=FakePrometheus()) == []
    assert "probe" not in render(spec(), run_id="r1", service_account="sa", cleanup="retain").body()[
        "spec"]["experiments"][0]["spec"]  # type: ignore[index]


def test_the_report_says_what_the_verdict_means() -> None:
    from agent.models import EngineStatus
    from agent.models.run import ProbeOutcome
    from agent.report.render import render as report
    from tests.unit.test_report import record

    bare = report(record(verdict="Pass"))
    assert "Pass (Litmus checked nothing about steady state: the engine carried no probe)" in bare
    assert "None: Litmus checked nothing about steady state." in bare
    failed = ProbeOutcome(name="web-error-rate-pct", type="promProbe", mode="Continuous", verdict="Failed",
                          description="Actual value: 12. Expected value: lesser than or equal to 5")
    status = EngineStatus(engine_state="stop", engine_status="completed", phase="Completed_With_Probe_Failure",
                          verdict="Fail", probe_success_pct="0", probes=[failed])
    text = report(record(verdict="Fail", litmus=status))
    assert "| Litmus verdict | Fail, 0% of probes passed |" in text
    assert "Fail: steady state broke — web-error-rate-pct failed" in text
    assert ("- **web-error-rate-pct** (promProbe, Continuous): **Failed**: Actual value: 12. "
            "Expected value: lesser than or equal to 5") in text
