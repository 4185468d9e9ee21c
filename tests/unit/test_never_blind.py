"""Never blind, as pure rules: what a run watches, what counts as missing, a vanished signal is
never "recovered", readiness from the API fills what Prometheus lacks, and the label presets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from agent.config import Prometheus, Settings
from agent.models import (
    AbortCondition,
    AbortThreshold,
    ExpectedSignal,
    Hypothesis,
    RunEvent,
    Sample,
    Signals,
    Target,
    Workload,
)
from agent.report.recovery import measure, signal_lines
from agent.run.band import band_of
from agent.run.monitor import deviations, recovered
from agent.run.watch import blind_text, missing, watched, with_readiness
from tests.factories import T0, spec

CALM = Signals(error_rate_pct=0.4, latency_p95_ms=80, cpu_millicores=20, memory_mib=100, ready_replicas=1, replicas=1)
GONE = CALM.model_copy(update={"error_rate_pct": None, "latency_p95_ms": None})  # the series vanished


def at(s: float) -> Sample:
    return Sample(tick=round(s), at=T0 + timedelta(seconds=s), services={"web": CALM, "api": CALM})


def watching() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    s = spec(abort_threshold=AbortThreshold(service="web", error_rate_pct=5, conditions=[
        AbortCondition(service="*", signal="latency_p95_ms", value=900)]),
        hypothesis=Hypothesis(statement="api errors", affected_services=["api"], recovery_s=10,
                              expected=[ExpectedSignal(service="api", signal="error_rate_pct", peak=100)]))
    return watched(s, hypothesis=True), watched(s, hypothesis=False)


def test_the_run_watches_its_abort_conditions_and_before_chaos_the_hypothesis_predictions() -> None:
    before, during = watching()
    assert before == [("web", "error_rate_pct"), ("*", "latency_p95_ms"), ("api", "error_rate_pct")]
    assert during == before[:2]


def test_a_watched_signal_without_a_value_is_missing_and_named_with_its_query() -> None:
    pairs, _ = watching()
    assert missing(at(0), pairs) == []
    blind = at(0).model_copy(update={"services": {"web": GONE, "api": CALM}})
    assert missing(blind, pairs) == [("web", "error_rate_pct")]  # "*" p95: api still has one
    nowhere = at(0).model_copy(update={"services": {"web": GONE}})
    gaps = missing(nowhere, pairs)
    assert gaps == [("web", "error_rate_pct"), ("*", "latency_p95_ms"), ("api", "error_rate_pct")]
    text = blind_text(gaps, lambda svc, sig: f"Q({svc},{sig})")
    assert text.split("; ") == ["web error rate has no value (query: Q(web,error_rate_pct))",
                                "every service p95 has no value (query: Q(<any>,latency_p95_ms))",
                                "api error rate has no value (query: Q(api,error_rate_pct))"]


def test_a_vanished_signal_is_off_its_band_and_never_recovered() -> None:
    band = band_of([at(-2), at(0)])
    vanished = at(5).model_copy(update={"services": {"web": GONE, "api": CALM}})
    assert band.off(vanished, "web") == ["error_rate_pct", "latency_p95_ms"]
    assert band.deviations(vanished) == ["web"] and not band.recovered(vanished)
    assert band.off(at(5).model_copy(update={"services": {"api": CALM}}), "web")  # not in the read at all
    unknown = at(5).model_copy(update={"services": {"web": CALM.model_copy(update={"ready_replicas": None})}})
    assert band.off(unknown, "web") == []  # readiness unknown (the API did not answer) is not "vanished"
    # the fixed rules (no band) agree
    assert deviations(vanished, at(0)) == ["web"] and not recovered(vanished, at(0)) and recovered(at(5), at(0))


def test_recovery_is_not_measured_on_a_signal_that_vanished_and_stayed_gone() -> None:
    samples = [at(s) for s in (-2, 0)] + [at(s).model_copy(update={"services": {"web": GONE, "api": CALM}})
                                           for s in (2, 4, 6)]
    events = [RunEvent(at=T0, kind="applied"), RunEvent(at=T0 + timedelta(seconds=4), kind="completed")]
    rec = measure(spec(), events, None, samples)
    assert rec.affected == ["web"] and rec.back_at is None and rec.observed_s is None
    lines = signal_lines(rec, lambda t: f"T+{(t - T0).total_seconds():.0f}s")
    assert lines[0].startswith("web error rate: off from T+2s (no value: its series vanished")
    assert lines[0].endswith("still off at the last sample")


def test_readiness_comes_from_the_workloads_where_the_metrics_have_none() -> None:
    workload = Workload(kind="Deployment", name="api", namespace="shop", replicas=2, ready_replicas=1)
    targets = [Target(name="api", namespace="shop", type="go", tier="business", criticality="medium",
                      selector={"name": "api"},
                      workload=workload),
               Target(name="web", namespace="shop", type="node", tier="edge", criticality="high",
                      selector={"name": "web"})]
    read = {"api": Signals(cpu_millicores=5), "web": Signals(cpu_millicores=7)}
    out = with_readiness(read, targets, [workload])
    assert (out["api"].ready_replicas, out["api"].replicas) == (1, 2)
    assert out["web"] == read["web"]  # no workload known: still unknown
    measured = {"api": Signals(ready_replicas=2, replicas=2)}
    assert with_readiness(measured, targets, [workload]) == measured  # the metrics' own value is kept


def test_presets_set_the_labels_and_a_written_label_wins() -> None:
    assert (Prometheus().namespace_label, Prometheus().service_label) == ("kubernetes_namespace", "name")
    kp = Prometheus(preset="kube-prometheus")
    assert (kp.namespace_label, kp.service_label) == ("namespace", "service")
    assert Prometheus(preset="helm", service_label="app").service_label == "app"
    with pytest.raises(ValidationError, match="manifests-monitoring', 'kube-prometheus' or 'helm'"):
        Prometheus(preset="operator")  # type: ignore[arg-type]


def test_the_service_label_of_the_metrics_no_longer_selects_pods() -> None:
    settings = Settings.model_validate({"k8s": {"monitoring": {"prometheus": {"preset": "kube-prometheus"}},
                                                "target_services": [{"name": "carts", "namespace": "sock-shop",
                                                                     "type": "java", "tier": "business"}]}})
    assert settings.k8s.target_services[0].pod_selector(settings.k8s.pod_label) == {"name": "carts"}
