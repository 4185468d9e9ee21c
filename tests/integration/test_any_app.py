"""Advice on an app nobody configured: namespace-only discovery, inferred calls and user-facing
ranking, through the twin and the real kubernetes client.

The boutique fixture (tests/data/boutique, ours) shows its calls only in ``*_ADDR`` env vars; the
"odds" manifests below put them everywhere else discovery looks (a ConfigMap loaded as env, a
mounted ConfigMap file, command-line args, JDBC and AMQP URLs), next to a DaemonSet, an Ingress, a
StatefulSet on a volume claim, a Secret reference and two Deployments sharing a label.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from agent.config import load_settings
from agent.design.planner import PlannerDesigner
from agent.design.policy import violations
from agent.inventory.discovery import discover
from agent.models import Fault, Inventory
from agent.wiring import ClusterBinding, open_deps
from tests.integration.conftest import Twin

ROOT = Path(__file__).resolve().parents[2]
BOUTIQUE = ROOT / "tests/data/boutique/boutique.yaml"
POD_FAULTS = [f.value for f in Fault if f not in (Fault.DISK_FILL, Fault.NODE_DRAIN)]


def _deployment(name: str, labels: dict[str, str], *, selector: dict[str, str] | None = None, image: str = "app:1",
                env: list[dict[str, Any]] | None = None, **pod: Any) -> dict[str, Any]:
    container = {"name": name, "image": image, "env": env or [], "readinessProbe": {"tcpSocket": {"port": 80}},
                 **pod.pop("container", {})}
    return {"apiVersion": "apps/v1", "kind": pod.pop("kind", "Deployment"),
            "metadata": {"name": name, "namespace": "odds", "labels": labels},
            "spec": {"replicas": 2, "selector": {"matchLabels": selector or labels}, **pod.pop("spec", {}),
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": [container], **pod}}}}


def _service(name: str, port: int, app: str | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "odds"},
            "spec": {"selector": {"app": app or name}, "ports": [{"port": port}]}}


ODDS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "odds"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-env", "namespace": "odds"},
     "data": {"ORDERS_SERVICE_HOST": "orders", "GREETING": "hello orders"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-files", "namespace": "odds"},
     "data": {"app.properties": "title=Odds\npayments.host=payments.odds.svc.cluster.local:9000\n"}},
    _deployment("web", {"app": "web", "tier": "front"}, selector={"app": "web"},
                volumes=[{"name": "files", "configMap": {"name": "web-files"}}],
                container={"envFrom": [{"configMapRef": {"name": "web-env"}}], "args": ["--catalogue=http://catalogue:8080"]}),
    _deployment("worker", {"app": "web", "role": "worker"}, env=[{"name": "QUEUE_HOST", "value": "queue"}]),
    _deployment("orders", {"app": "orders"}, env=[
        {"name": "DB_URL", "value": "jdbc:mysql://orders-db:3306/orders"},
        {"name": "EVENTS", "value": "amqp://guest:guest@queue:5672/"},
        {"name": "MYSQL_DATABASE", "value": "orders"},  # names a Service, but is not an address
        {"name": "PAYMENTS_ADDR", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},  # never read
    ]),
    _deployment("payments", {"app": "payments"}),
    _deployment("catalogue", {"app": "catalogue"}),
    _deployment("orders-db", {"app": "orders-db"}, image="mysql:8.0", kind="StatefulSet",
                spec={"serviceName": "orders-db", "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}),
    _deployment("queue", {"app": "queue"}, image="rabbitmq:3.13"),
    _deployment("log-agent", {"app": "log-agent"}, image="fluent/fluent-bit:3", kind="DaemonSet"),
    _service("web", 80), _service("orders", 8080), _service("payments", 9000), _service("catalogue", 8080),
    _service("orders-db", 3306), _service("queue", 5672),
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "shop", "namespace": "odds"},
     "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
                                             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
]


def discovered(tmp_path: Path, manifests: Path, namespace: str, stack: dict[str, Any] | None = None) -> Inventory:
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(stack or {
        "k8s": {"namespaces": [namespace]}, "policy": {"namespaces": [namespace], "actions": POD_FAULTS}}))
    settings = load_settings(tmp_path / "stack.yaml")
    binding = ClusterBinding(twin=True, manifests=[str(manifests)])
    with open_deps(settings, binding, console=Console(file=io.StringIO()), realtime=False) as deps:
        return discover(deps)


@pytest.fixture
def odds(tmp_path: Path) -> Path:
    path = tmp_path / "odds.yaml"
    path.write_text(yaml.safe_dump_all(ODDS))
    return path


def test_a_namespace_alone_gives_every_workload_with_checkable_facts(tmp_path: Path) -> None:
    inv = discovered(tmp_path, BOUTIQUE, "boutique")
    assert len(inv.targets) == 11 and all(t.workload and len(t.pods) == 1 for t in inv.targets)
    front, redis = inv.target("frontend"), inv.target("redis-cart")
    assert front and front.entry and front.tier == "edge" and front.criticality == "high"
    assert any(e.fact == "entry" and e.source == "Service frontend-external type LoadBalancer" for e in front.evidence)
    assert redis and redis.tier == "data" and redis.store == "redis"
    assert any(e.source == "image redis:alpine" for e in redis.evidence)
    assert {t.name: t.selector for t in inv.targets}["cartservice"] == {"app": "cartservice"}  # its own, not name=<svc>
    assert not [t for t in inv.targets if t.entry and t.name != "frontend"]


def test_boutique_calls_come_from_its_addr_variables(tmp_path: Path) -> None:
    inv = discovered(tmp_path, BOUTIQUE, "boutique")
    edges = {(d.source, d.target): d for d in inv.dependencies}
    assert len(edges) == 15
    cart = edges[("checkoutservice", "cartservice")]
    assert cart.evidence == "env CART_SERVICE_ADDR=cartservice:7070" and cart.protocol == "grpc" and cart.sync
    assert edges[("cartservice", "redis-cart")].protocol == "redis"
    assert set(inv.callers("productcatalogservice")) == {"checkoutservice", "frontend", "recommendationservice"}


def test_the_planner_advises_on_an_unconfigured_app_within_the_policy(tmp_path: Path) -> None:
    inv = discovered(tmp_path, BOUTIQUE, "boutique")
    settings = load_settings(tmp_path / "stack.yaml")
    cands = PlannerDesigner(actions=settings.policy.actions).rank(inv, 5)
    assert len(cands) == 5
    for c in cands:
        assert violations(c.spec, inv, settings.policy) == []
    first = cands[0].spec
    # Upstream boutique: every service single-replica; redis-cart keeps carts on an emptyDir.
    assert first.title == "redis-cart pod delete"
    assert first.rationale.startswith("score ") and " x reach 4 x likelihood 1 x 300 s" in first.rationale
    assert first.hypothesis and "users see errors at frontend" in first.hypothesis.statement


def test_calls_hide_in_configmaps_args_and_urls_and_each_says_where(tmp_path: Path, odds: Path) -> None:
    inv = discovered(tmp_path, odds, "odds")
    edges = {(d.source, d.target): d for d in inv.dependencies}
    assert edges[("web", "orders")].evidence == "env ORDERS_SERVICE_HOST=orders (from configMap web-env)"
    assert edges[("web", "catalogue")].evidence == "args --catalogue=http://catalogue:8080"
    assert edges[("web", "payments")].evidence.startswith("configMap web-files key app.properties: payments.host=")
    assert edges[("orders", "orders-db")].protocol == "mysql" and edges[("orders", "orders-db")].sync
    queue = edges[("orders", "queue")]
    assert queue.protocol == "amqp" and not queue.sync  # handing work to a queue propagates nothing
    assert not edges[("worker", "queue")].sync and edges[("worker", "queue")].evidence == "env QUEUE_HOST=queue"
    assert ("orders", "payments") not in edges  # the Secret was never read
    assert len(edges) == 6  # MYSQL_DATABASE=orders and GREETING=hello orders are no calls


def test_daemonsets_ingresses_statefulsets_and_shared_labels(tmp_path: Path, odds: Path) -> None:
    inv = discovered(tmp_path, odds, "odds")
    agent = inv.target("log-agent")
    assert agent and agent.workload and agent.workload.kind == "DaemonSet" and len(agent.pods) == 3  # one per node
    web = inv.target("web")
    assert web and web.entry and any(e.source == "Ingress shop routes to Service web" for e in web.evidence)
    assert web.selector == {"app": "web", "tier": "front"}  # app=web alone also picks the worker's pods
    db = inv.target("orders-db")
    assert db and db.store == "mysql" and db.workload and db.workload.persistent and db.tier == "data"
    queue = inv.target("queue")
    assert queue and queue.tier == "queue"
    cands = PlannerDesigner().rank(inv, 30)
    assert "log-agent" not in {c.spec.target_selector.service for c in cands}  # a spec cannot target a DaemonSet
    settings = load_settings(tmp_path / "stack.yaml")
    assert all(violations(c.spec, inv, settings.policy) == [] for c in cands)


def test_stack_yaml_adds_and_overrides_facts(tmp_path: Path, odds: Path) -> None:
    inv = discovered(tmp_path, odds, "odds", {
        "k8s": {"namespaces": ["odds"],
                "target_services": [{"name": "payments", "namespace": "odds", "type": "go", "tier": "business",
                                     "criticality": "low", "selector": {"app": "payments"}}],
                "dependencies": [{"source": "payments", "target": "orders-db", "protocol": "mysql"},
                                 {"source": "orders", "target": "queue", "protocol": "amqp", "sync": True}]},
        "policy": {"namespaces": ["odds"]}})
    payments = inv.target("payments")
    assert payments and payments.configured and payments.criticality == "low" and payments.type == "go"
    edges = {(d.source, d.target): d for d in inv.dependencies}
    assert edges[("payments", "orders-db")].evidence == "stack.yaml k8s.dependencies"
    assert edges[("orders", "queue")].sync  # written in stack.yaml: overrides the inferred async call
    assert len(inv.targets) == 8  # the configured one, and every other workload discovered


def test_a_probe_less_single_front_end_ranks_first_as_it_reaches_every_user(
        tmp_path: Path, twin_at: Callable[..., AbstractContextManager[Twin]]) -> None:
    docs = [d for d in yaml.safe_load_all((ROOT / "twin/data/complete-demo.yaml").read_text()) if d]
    for d in docs:
        if d["kind"] == "Deployment":
            d["spec"]["replicas"] = 2
            for c in d["spec"]["template"]["spec"]["containers"]:
                c.setdefault("readinessProbe", {"tcpSocket": {"port": 80}, "initialDelaySeconds": 5})
                c.setdefault("resources", {}).setdefault("limits", {})["memory"] = "1Gi"
                if d["metadata"]["name"] == "front-end":
                    c.pop("readinessProbe")
            if d["metadata"]["name"] == "front-end":
                d["spec"]["replicas"] = 1
            elif d["metadata"]["name"].endswith("-db") or d["metadata"]["name"] == "rabbitmq":
                d["spec"]["template"]["spec"].setdefault("volumes", []).append(
                    {"name": "data", "persistentVolumeClaim": {"claimName": "data"}})
    (tmp_path / "shop.yaml").write_text(yaml.safe_dump_all(docs))
    stack = yaml.safe_load((ROOT / "stack.yaml").read_text())
    inv = discovered(tmp_path, tmp_path / "shop.yaml", "sock-shop", {"k8s": stack["k8s"], "policy": stack["policy"]})
    first = PlannerDesigner().rank(inv, 3)[0].spec
    assert first.title == "front-end pod delete"
    assert "users reach front-end directly: a fault there reaches every user" in first.rationale
    assert "11 service(s) are reachable only through it" in first.rationale
    assert first.hypothesis and "every request users send to front-end fails" in first.hypothesis.statement


@pytest.fixture
def harness() -> Iterator[Any]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("advice_eval", ROOT / "bench/advice_eval.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["advice_eval"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules["advice_eval"]


def test_the_harness_finds_one_planted_weakness_of_each_kind_on_both_apps(harness: Any) -> None:
    results, seconds = harness.evaluate(per_kind=1)
    assert {(r.scenario.app.name, r.scenario.kind) for r in results} == {
        (app, kind) for app in ("sock-shop", "boutique") for kind in (*harness.KINDS, *harness.CONTROLS)}
    missed = [(r.scenario.kind, r.scenario.service, r.ranked[:1]) for r in results if not r.scenario.control and not r.hit(1)]
    assert missed == []
    rows = {row["group"]: row for row in harness.table(results)}
    assert rows["all"]["hit@1"] == 1.0 and rows["app boutique"]["scenarios"] == 5
