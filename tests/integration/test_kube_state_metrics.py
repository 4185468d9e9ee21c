"""Replica readiness from kube-state-metrics, through a real Prometheus scraping the twin.

Sock Shop's upstream monitoring (microservices-demo ``deploy/kubernetes/manifests-monitoring``:
``13-kube-state-dep.yaml`` runs kube-state-metrics v2.1.0, ``04-prometheus-configmap.yaml`` scrapes
it with the static job ``kube-state-metrics``, no relabelling) is emulated by the twin's
``/metrics/kube-state-metrics``; ``k8s.monitoring.prometheus.kube_state_metrics: true`` makes
``PrometheusMetrics`` read ready/desired replicas from it, and the doctor say whether they return data.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from agent.adapters.prometheus import PrometheusMetrics
from agent.config import Prometheus, load_settings
from agent.deploy.doctor import Check, examine
from agent.errors import MetricsUnavailable
from agent.models import Target, Workload
from agent.run.watch import with_readiness
from agent.wire.doctor import open_doctor
from agent.wiring import ClusterBinding
from tests.integration.conftest import NS, Twin, connect, engine
from tests.integration.prometheus_fixture import RunningPrometheus, poll_until, run_prometheus, scrape_config
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
KSM_JOB = {"job_name": "kube-state-metrics", "metrics_path": "/metrics/kube-state-metrics"}
TARGETS = 14  # complete-demo.yaml's Deployments, data stores included


def _config(twin: Twin, *, kube_state: bool) -> str:
    """The fixture's scrape config (Sock Shop's services, cAdvisor), plus the kube-state-metrics job."""
    host = twin.url.removeprefix("http://")
    annotated = [(NS, str(s.metadata.name)) for s in twin.core.list_namespaced_service(NS).items
                 if (s.metadata.annotations or {}).get("prometheus.io/scrape") == "true"]
    config = yaml.safe_load(scrape_config(host, annotated, interval="250ms"))
    if kube_state:
        config["scrape_configs"].append({**KSM_JOB, "static_configs": [{"targets": [host]}]})
    return yaml.safe_dump(config, sort_keys=False)


def _jobs_up(prom: RunningPrometheus) -> set[str]:
    return {str(s["metric"]["job"]) for s in prom.query("up == 1")}  # type: ignore[index]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Twin, RunningPrometheus, Path]]:
    """A twin (clock moved only by the test), a Prometheus scraping it with kube-state-metrics, a kubeconfig."""
    root = tmp_path_factory.mktemp("ksm")
    with TwinServer(root / "twin.json", start_time=1_800_000_000.0) as server:
        twin = connect(server.url)
        kubeconfig = root / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "twin",
            "clusters": [{"name": "twin", "cluster": {"server": twin.url}}], "users": [{"name": "me", "user": {}}],
            "contexts": [{"name": "twin", "context": {"cluster": "twin", "user": "me"}}]}))
        with run_prometheus(root / "prometheus", _config(twin, kube_state=True), targets=2) as prom:
            poll_until(lambda: "kube-state-metrics" in _jobs_up(prom), timeout_s=30, what="kube-state-metrics scraped")
            yield twin, prom, kubeconfig


def _doctor(tmp_path: Path, kubeconfig: Path, prometheus: str) -> list[Check]:
    stack_yaml = yaml.safe_load((ROOT / "stack.yaml").read_text())
    stack_yaml["k8s"]["kubeconfig"] = str(kubeconfig)
    stack_yaml["k8s"]["monitoring"]["prometheus"].update(url=prometheus, window="2s", timeout_s=2,
                                                         kube_state_metrics=True)
    stack_yaml["paths"] = {"state_dir": str(tmp_path / "state"), "experiments": str(tmp_path / "e"),
                           "reports": str(tmp_path / "r")}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(stack_yaml))
    settings = load_settings(tmp_path / "stack.yaml")
    with open_doctor(settings, ClusterBinding(twin=False), console=Console(file=None)) as (deps, probe):
        return examine(deps, probe, twin=False).checks


def test_the_twin_exports_the_series_as_kube_state_metrics_2_1_0_names_them(stack) -> None:
    twin, _, _ = stack
    with urllib.request.urlopen(f"{twin.url}/metrics/kube-state-metrics", timeout=5) as answer:
        families = {f.name: f for f in text_string_to_metric_families(answer.read().decode())}
    # names, type and default labels: kube-state-metrics v2.1.0 internal/store/deployment.go:37,77,162 and
    # statefulset.go:36,91,136 (complete-demo.yaml has no StatefulSet: that family is declared, empty)
    assert set(families) == {"kube_deployment_spec_replicas", "kube_deployment_status_replicas_available",
                             "kube_statefulset_replicas", "kube_statefulset_status_replicas_ready"}
    assert {f.type for f in families.values()} == {"gauge"}
    carts = [s for s in families["kube_deployment_status_replicas_available"].samples
             if s.labels == {"namespace": NS, "deployment": "carts"}]
    assert [s.value for s in carts] == [1.0]
    assert len([s for s in families["kube_deployment_spec_replicas"].samples if s.labels["namespace"] == NS]) == TARGETS


def test_the_doctor_says_every_targets_readiness_series_return_data(tmp_path: Path, stack) -> None:
    _, prom, kubeconfig = stack
    [check] = [c for c in _doctor(tmp_path, kubeconfig, prom.url) if c.name == f"readiness:{NS}"]
    assert check.status == "ok", check
    assert check.detail.startswith("data for every target, as the API says:")
    assert check.detail.count(" 1/1") == TARGETS and "carts-db 1/1" in check.detail


def test_readiness_follows_a_pod_delete_through_prometheus(stack) -> None:
    twin, prom, _ = stack
    metrics = PrometheusMetrics(Prometheus(url=prom.url, window="2s", timeout_s=2, kube_state_metrics=True))
    before = metrics.read(NS, ["catalogue", "carts"])
    assert (before["catalogue"].ready_replicas, before["catalogue"].replicas) == (1, 1)
    assert isinstance(before["catalogue"].ready_replicas, int)

    twin.create_engine(engine("ksm-cat", "pod-delete", "name=catalogue", env={"TOTAL_CHAOS_DURATION": "60"}))
    twin.advance(1)
    assert twin.apps.read_namespaced_deployment("catalogue", NS).status.available_replicas is None  # 0: omitted
    query = f'kube_deployment_status_replicas_available{{namespace="{NS}",deployment="catalogue"}}'
    poll_until(lambda: prom.query(query) and prom.query(query)[0]["value"][1] == "0",  # type: ignore[index]
               timeout_s=10, what="a scrape after the delete")
    during = metrics.read(NS, ["catalogue", "carts"])
    assert (during["catalogue"].ready_replicas, during["catalogue"].replicas) == (0, 1)
    assert (during["carts"].ready_replicas, during["carts"].replicas) == (1, 1)

    # not configured: Prometheus is not asked for readiness, and it stays the API's business
    plain = PrometheusMetrics(Prometheus(url=prom.url, window="2s", timeout_s=2)).read(NS, ["catalogue"])
    assert plain["catalogue"].ready_replicas is None and plain["catalogue"].replicas is None


def test_a_target_without_series_falls_back_to_the_kubernetes_api(stack) -> None:
    _, prom, _ = stack
    metrics = PrometheusMetrics(Prometheus(url=prom.url, window="2s", timeout_s=2, kube_state_metrics=True))
    read = metrics.read(NS, ["carts", "basket"])  # no workload is named basket: no series
    assert (read["basket"].ready_replicas, read["basket"].replicas) == (None, None)
    assert 'deployment="basket"' in metrics.describe(NS, "basket", "ready_replicas")
    workload = Workload(kind="Deployment", name="basket-v2", namespace=NS, replicas=3, ready_replicas=2)
    target = Target(name="basket", namespace=NS, type="java", tier="business", criticality="medium",
                    selector={"name": "basket"}, workload=workload)
    filled = with_readiness(read, [target], [workload])
    assert (filled["basket"].ready_replicas, filled["basket"].replicas) == (2, 3)


def _answers(url: str) -> bool:
    """Whether Prometheus has scraped enough for a rate over the doctor's window (two scrapes, not one)."""
    try:
        PrometheusMetrics(Prometheus(url=url, window="2s", timeout_s=2)).read(NS, ["front-end"])
    except MetricsUnavailable:
        return False
    return True


def test_without_kube_state_metrics_scraped_the_doctor_warns_with_the_fix(tmp_path: Path, stack) -> None:
    twin, _, kubeconfig = stack
    with run_prometheus(tmp_path / "bare", _config(twin, kube_state=False), targets=2) as bare:
        # under load the doctor could ask after one scrape, when no rate has two samples yet (seen in CI)
        poll_until(lambda: _answers(bare.url), timeout_s=30, what="the services' signals from the bare Prometheus")
        [check] = [c for c in _doctor(tmp_path, kubeconfig, bare.url) if c.name == f"readiness:{NS}"]
    assert check.status == "warn"
    assert check.detail.startswith("no series for ") and check.detail.count(",") == TARGETS - 1
    assert check.fix.startswith("their readiness comes from the Kubernetes API; Prometheus must scrape kube-state-metrics")
    assert 'kube_deployment_status_replicas_available{namespace="sock-shop",deployment="' in check.fix
