"""``doctor`` as on a real cluster: the kubeconfig path to the API (the twin), and the metrics from a
real Prometheus scraping it with Sock Shop's own series. The queries the monitor uses must
return series for every target; Sock Shop's data stores export no request metrics, which is a
warning (abort conditions on them cannot fire), not a refusal. Prometheus down is a failure with
its fix."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from rich.console import Console

from agent.config import load_settings
from agent.deploy.doctor import DoctorReport, examine
from agent.wire.doctor import open_doctor
from agent.wiring import ClusterBinding
from tests.integration.prometheus_fixture import free_port, poll_until, run_prometheus, scrape_config
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
NS = "sock-shop"
STORES = ("carts-db", "catalogue-db", "orders-db", "rabbitmq", "session-db", "user-db")
TARGETS = (*STORES, "front-end", "catalogue", "carts", "orders", "payment", "shipping", "queue-master", "user")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A kubeconfig for the twin, and a Prometheus URL scraping it."""
    root = tmp_path_factory.mktemp("doctor")
    with TwinServer(root / "twin.json", speed=30.0) as twin:
        kubeconfig = root / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "twin",
            "clusters": [{"name": "twin", "cluster": {"server": twin.url}}],
            "users": [{"name": "me", "user": {}}],
            "contexts": [{"name": "twin", "context": {"cluster": "twin", "user": "me"}}]}))
        services = client.CoreV1Api(client.ApiClient(client.Configuration(host=twin.url))).list_namespaced_service(NS).items
        annotated = [(NS, str(s.metadata.name)) for s in services
                     if (s.metadata.annotations or {}).get("prometheus.io/scrape") == "true"]
        config = scrape_config(twin.url.removeprefix("http://"), annotated, interval="500ms")
        with run_prometheus(root / "prometheus", config, targets=len(annotated) + 1) as prom:
            yield kubeconfig, prom.url


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": promql}),
                                timeout=5) as answer:
        result: list[dict[str, Any]] = json.loads(answer.read())["data"]["result"]
    return result


def doctor(tmp_path: Path, kubeconfig: Path, prometheus: str) -> DoctorReport:
    stack = yaml.safe_load((ROOT / "stack.yaml").read_text())
    stack["k8s"]["kubeconfig"] = str(kubeconfig)
    stack["k8s"]["monitoring"]["prometheus"].update(url=prometheus, window="2s", timeout_s=2)
    stack["paths"] = {"state_dir": str(tmp_path / "state"), "experiments": str(tmp_path / "e"),
                      "reports": str(tmp_path / "r")}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(stack))
    settings = load_settings(tmp_path / "stack.yaml")
    with open_doctor(settings, ClusterBinding(twin=False), console=Console(file=None)) as (deps, probe):
        return examine(deps, probe, twin=False)


def test_prometheus_with_series_for_every_target_lets_a_run_start(tmp_path: Path, cluster: tuple[Path, str]) -> None:
    kubeconfig, prometheus = cluster

    def window_full() -> bool:  # every target scraped for longer than the queries' 2 s rate() window
        found = query(prometheus, "min(count_over_time(up[3s]))")
        return bool(found) and float(found[0]["value"][1]) >= 6

    poll_until(window_full, timeout_s=30, what="Prometheus' window filled")
    report = doctor(tmp_path, kubeconfig, prometheus)
    status = {c.name: c.status for c in report.checks}
    assert report.ready and not report.twin, report.checks
    assert status["api"] == status["litmus-crds"] == status["pods"] == "ok"
    metrics = next(c for c in report.checks if c.name == f"metrics:{NS}")
    assert metrics.status == "ok" and metrics.title.endswith(f"from {prometheus}"), metrics.detail
    # exactly the targets Prometheus holds no request series of (the data stores, queue-master and
    # rabbitmq export none), asked of Prometheus itself: expected by design, so not a warning
    series = query(prometheus, f'count by (name) (request_duration_seconds_count{{kubernetes_namespace="{NS}"}})')
    measured = {s["metric"]["name"] for s in series}
    assert set(STORES).isdisjoint(measured) and measured
    silent = metrics.detail.split("none, by design, for ")[1].split(": ")[0]
    assert set(silent.split(", ")) == set(TARGETS) - measured, metrics.detail


def test_prometheus_down_fails_with_its_fix(tmp_path: Path, cluster: tuple[Path, str]) -> None:
    kubeconfig, _ = cluster
    report = doctor(tmp_path, kubeconfig, f"http://127.0.0.1:{free_port()}")
    metrics = next(c for c in report.checks if c.name == f"metrics:{NS}")
    assert not report.ready and metrics.status == "fail"
    assert "Prometheus at http://127.0.0.1:" in metrics.detail
    assert metrics.fix.startswith("set k8s.monitoring.prometheus.url to a Prometheus that scrapes the namespace")
