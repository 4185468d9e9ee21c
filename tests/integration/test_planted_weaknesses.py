"""The planner on twins with one planted weakness each: the experiment exposing it ranks first.

Each twin is seeded from generated manifests (the same path as `--manifests`), discovered through
the real kubernetes client, and ranked by the offline planner with every fault it may propose.
Every other workload is hardened (2 replicas, a readiness probe): a single-replica edge is a
weakness of its own, reaching every user, so the planted one must be the only one.
"""

from __future__ import annotations

import io
from pathlib import Path

import yaml
from rich.console import Console

from agent.config import load_settings
from agent.design.planner import PlannerDesigner
from agent.inventory.discovery import discover
from agent.models import Fault
from agent.wiring import ClusterBinding, open_deps


def deployment(name: str, *, replicas: int = 1, probe: bool = True, memory: str = "1Gi", image: str = "app:1") -> dict:  # type: ignore[type-arg]
    container: dict = {  # type: ignore[type-arg]
        "name": name, "image": image, "ports": [{"containerPort": 80}],
        "resources": {"limits": {"cpu": "1000m", "memory": memory}, "requests": {"cpu": "100m", "memory": "100Mi"}},
    }
    if probe:
        container["readinessProbe"] = {"httpGet": {"path": "/health", "port": 80}, "initialDelaySeconds": 5}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": {"name": name}},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"name": name}},
            "template": {"metadata": {"labels": {"name": name}}, "spec": {"containers": [container]}},
        },
    }


def service(name: str) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": "shop", "labels": {"name": name}},
        "spec": {"selector": {"name": name}, "ports": [{"port": 80}]},
    }


def ranked(tmp_path: Path, workloads: list[dict], targets: list[dict], edges: list[tuple[str, str]]) -> list[str]:  # type: ignore[type-arg]
    """Seed a twin with the workloads, describe them in a stack.yaml, return ranked titles."""
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]
    docs += [d for w in workloads for d in (w, service(w["metadata"]["name"]))]
    (tmp_path / "app.yaml").write_text(yaml.safe_dump_all(docs))
    stack = {
        "k8s": {
            "namespaces": ["shop"],
            "target_services": [{"namespace": "shop", "criticality": "high", **t} for t in targets],
            "dependencies": [{"source": a, "target": b} for a, b in edges],
        },
        "policy": {"namespaces": ["shop"], "actions": [f.value for f in Fault if f not in (Fault.DISK_FILL, Fault.NODE_DRAIN)]},
    }
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(stack))
    settings = load_settings(tmp_path / "stack.yaml")
    binding = ClusterBinding(twin=True, manifests=[str(tmp_path / "app.yaml")])
    with open_deps(settings, binding, console=Console(file=io.StringIO()), realtime=False) as deps:
        inv = discover(deps)
    assert all(t.workload is not None for t in inv.targets), "every target was discovered"
    return [c.spec.title for c in PlannerDesigner(actions=settings.policy.actions).rank(inv, 5)]


def test_single_replica_database_next_to_a_replicated_one(tmp_path: Path) -> None:
    titles = ranked(
        tmp_path,
        [deployment("web", replicas=2), deployment("orders-api", replicas=2), deployment("users-api", replicas=2),
         deployment("orders-db", replicas=2, image="mongo:4.4"), deployment("users-db", replicas=1, image="mongo:4.4")],
        [{"name": "web", "type": "nodejs", "tier": "edge"},
         {"name": "orders-api", "type": "go", "tier": "business"},
         {"name": "users-api", "type": "go", "tier": "business"},
         {"name": "orders-db", "type": "mongodb", "tier": "data", "store": "mongodb"},
         {"name": "users-db", "type": "mongodb", "tier": "data", "store": "mongodb"}],
        [("web", "orders-api"), ("web", "users-api"), ("orders-api", "orders-db"), ("users-api", "users-db")],
    )
    # Names are chosen so the weak one sorts last: a tie would not pass by alphabetical luck.
    assert titles[0] == "users-db pod delete"
    assert "orders-db pod delete" not in titles[:2]


def test_service_without_readiness_probe(tmp_path: Path) -> None:
    titles = ranked(
        tmp_path,
        [deployment("web", replicas=2), deployment("carts", replicas=2), deployment("catalogue", replicas=2, probe=False)],
        [{"name": "web", "type": "nodejs", "tier": "edge"},
         {"name": "carts", "type": "java", "tier": "business"},
         {"name": "catalogue", "type": "java", "tier": "business"}],  # both Java: only the probe differs
        [("web", "carts"), ("web", "catalogue")],
    )
    assert titles[0] == "catalogue pod delete"


def test_memory_limit_below_the_hog(tmp_path: Path) -> None:
    titles = ranked(
        tmp_path,
        [deployment("web", replicas=2), deployment("payment", replicas=2, memory="1Gi"),
         deployment("shipping", replicas=2, memory="256Mi")],
        [{"name": "web", "type": "nodejs", "tier": "edge"},
         {"name": "payment", "type": "go", "tier": "business"},
         {"name": "shipping", "type": "go", "tier": "business"}],
        [("web", "payment"), ("web", "shipping")],
    )
    assert titles[0] == "shipping memory hog (500 MB)"
