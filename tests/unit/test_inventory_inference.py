"""What discovery infers without stack.yaml: calls from env/args/ConfigMaps, stores and entry points
from images, ports and Services, who fails for users with whom, and the stack.yaml init drafts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from agent.config import load_settings
from agent.design.planner import PlannerDesigner
from agent.inventory.calls import infer_calls, references
from agent.inventory.graph import entry_points, reach
from agent.inventory.infer import criticality, infer
from agent.inventory.stackfile import draft, render
from agent.models import Container, Dependency, Inventory, KubeService, Workload
from agent.models.inventory import ConfigFile, EnvVar
from tests.factories import inventory, target


def workload(name: str, *, image: str = "app:1", env: dict[str, str] | None = None, args: list[str] | None = None,
             kind: str = "Deployment", namespace: str = "shop", config: list[ConfigFile] | None = None) -> Workload:
    return Workload(kind=kind, name=name, namespace=namespace, pod_labels={"app": name}, replicas=1, ready_replicas=1,  # type: ignore[arg-type]
                    containers=[Container(name=name, image=image, args=args or [],
                                          env=[EnvVar(name=k, value=v) for k, v in (env or {}).items()])],
                    config=config or [])


def service(name: str, port: int = 80, *, namespace: str = "shop", type: str = "ClusterIP") -> KubeService:
    return KubeService(name=name, namespace=namespace, selector={"app": name}, ports=[port], type=type)


def calls(*ws: Workload, services: list[KubeService] | None = None, stores: dict[str, str | None] | None = None) -> dict[tuple[str, str], Dependency]:
    names = {(w.namespace, w.name): w.name for w in ws}
    svcs = services if services is not None else [service(w.name, namespace=w.namespace) for w in ws]
    return {(d.source, d.target): d for d in infer_calls(list(ws), svcs, names, stores or {})}


@pytest.mark.parametrize(("env", "protocol"), [
    ({"DB": "jdbc:mysql://db:3306/shop"}, "mysql"),
    ({"MONGO": "mongodb://user:secret@db:27017/users?x=1"}, "mongodb"),
    ({"CACHE_URL": "redis://db"}, "redis"),
    ({"anything": "db:6379"}, "redis"),
    ({"DB_HOST": "db"}, "http"),
    ({"DB_ADDR": "db.shop.svc.cluster.local:80"}, "http"),
    ({"UPSTREAMS": "x:1, db.shop:80"}, "http"),
])
def test_an_address_in_env_is_a_call_with_its_protocol(env: dict[str, str], protocol: str) -> None:
    found = calls(workload("api", env=env), workload("db"))
    assert list(found) == [("api", "db")] and found[("api", "db")].protocol == protocol
    assert found[("api", "db")].evidence.startswith(f"env {next(iter(env))}=")


@pytest.mark.parametrize("env", [
    {"DATABASE": "db"},  # a bare word in a variable that is not named like an address
    {"DB_HOST": "db.elsewhere.svc.cluster.local"},  # another namespace, not discovered
    {"DB_HOST": "example.com"},
    {"DB_ADDR": ""},  # what a Secret reference leaves: never read
])
def test_what_is_not_a_call(env: dict[str, str]) -> None:
    assert calls(workload("api", env=env), workload("db")) == {}


def test_args_and_mounted_config_files_name_calls_too() -> None:
    conf = ConfigFile(config_map="api-conf", key="app.yaml", text="queue:\n  url: amqp://mq:5672\n")
    found = calls(workload("api", args=["/app", "--db=http://db:80/x"], config=[conf]), workload("db"),
                  workload("mq"), stores={"mq": "rabbitmq"})
    assert found[("api", "db")].evidence == "args --db=http://db:80/x"
    assert found[("api", "mq")].evidence == "configMap api-conf key app.yaml: url: amqp://mq:5672"
    assert not found[("api", "mq")].sync  # a queue: the caller does not wait


def test_a_service_calling_itself_is_no_call_and_the_first_evidence_wins() -> None:
    found = calls(workload("api", env={"SELF_URL": "http://api", "A_HOST": "db", "B_URL": "http://db"}), workload("db"))
    assert list(found) == [("api", "db")] and found[("api", "db")].evidence == "env A_HOST=db"
    assert [r.host for r in references(workload("x", env={"L": "http://a:1 and b:22"}))] == ["a", "b"]


def test_stores_entries_and_runtimes_are_inferred_with_their_source() -> None:
    rabbit = Workload(kind="Deployment", name="mq", namespace="shop", pod_labels={"app": "mq"}, replicas=1, ready_replicas=1,
                      containers=[Container(name="exp", image="kbudde/rabbitmq-exporter"),
                                  Container(name="mq", image="rabbitmq:3.6.8-management")])
    mq = infer(rabbit, [])
    assert (mq.store, mq.tier, mq.evidence[0].source) == ("rabbitmq", "queue", "image rabbitmq:3.6.8-management")
    by_port = infer(workload("user-db", image="weaveworksdemos/user-db"), [service("user-db", 27017)])
    assert (by_port.store, by_port.evidence[0].source) == ("mongodb", "Service user-db port 27017")
    sts = infer(workload("ledger", kind="StatefulSet"), [])
    assert sts.store == "stateful" and sts.tier == "data"
    web = infer(workload("web", env={"JAVA_OPTS": "-Xmx1g"}), [service("web", type="NodePort")])
    assert web.entry and web.tier == "edge" and web.type == "java"
    assert [e.source for e in web.evidence if e.fact == "entry"] == ["Service web type NodePort"]


def test_criticality_follows_the_graph() -> None:
    assert criticality(entry=True, on_user_path=True, has_calls=True, any_entry=True)[0] == "high"
    assert criticality(entry=False, on_user_path=True, has_calls=True, any_entry=True)[0] == "high"
    assert criticality(entry=False, on_user_path=False, has_calls=True, any_entry=True)[0] == "medium"
    assert criticality(entry=False, on_user_path=False, has_calls=False, any_entry=True)[0] == "low"
    assert criticality(entry=True, on_user_path=True, has_calls=True, any_entry=False)[0] == "medium"


def test_behind_a_service_is_what_users_reach_only_through_it() -> None:
    # web -> a -> c, web -> b -> c, a -> d; worker -async-> q: c has two ways in, d one.
    inv = inventory(*(target(n, tier="edge" if n == "web" else "business") for n in ("web", "a", "b", "c", "d", "worker", "q")),
                    deps=[("web", "a"), ("web", "b"), ("a", "c"), ("b", "c"), ("a", "d")], async_deps=[("worker", "q")])
    r = reach(inv)
    assert entry_points(inv) == ["web"]
    assert set(r["web"].behind) == {"a", "b", "c", "d"} and r["web"].upstream == ()
    assert r["a"].behind == ("d",) and r["a"].upstream == ("web",)
    assert r["c"].behind == () and set(r["c"].upstream) == {"a", "b", "web"}
    assert r["q"].affected == ()  # only called asynchronously: nothing fails with it


def test_without_an_edge_services_nobody_calls_are_the_entries() -> None:
    inv = inventory(target("a"), target("b"), deps=[("a", "b")])
    assert entry_points(inv) == ["a"] and reach(inv)["a"].behind == ("b",)


def test_an_empty_inventory_gets_no_advice_instead_of_a_crash() -> None:
    empty = Inventory(cluster="x", discovered_at=datetime.now(UTC), targets=[], workloads=[], services=[], pods=[],
                      dependencies=[])
    assert PlannerDesigner().rank(empty, 3) == []


def test_a_store_that_loses_its_data_outranks_a_short_outage_and_says_why() -> None:
    inv = inventory(target("web", tier="edge", readiness_delay=5), target("db", tier="data", store="mongodb"),
                    deps=[("web", "db")])
    first = PlannerDesigner().rank(inv, 1)[0].spec
    assert first.title == "db pod delete"
    assert first.rationale.startswith("score 1800 = criticality high (3) x reach 2 x likelihood 1 x 300 s")
    assert "without a persistent volume" in first.rationale
    assert first.hypothesis and "starts empty" in first.hypothesis.statement


def test_init_drafts_from_discovery_and_keeps_what_the_file_says(tmp_path: Path) -> None:
    web = target("web", tier="edge", readiness_delay=5).model_copy(update={"configured": False})
    inv = inventory(web, target("api", replicas=2), deps=[("web", "api")])
    first = draft(inv, ["shop"])
    assert first.added == ["web", "api"] and not first.policy_kept
    (tmp_path / "stack.yaml").write_text(render(first, at=datetime.now(UTC)))
    assert [t.name for t in load_settings(tmp_path / "stack.yaml").k8s.target_services] == ["web", "api"]
    raw = yaml.safe_load((tmp_path / "stack.yaml").read_text())
    raw["k8s"]["target_services"][1]["criticality"] = "low"
    raw["k8s"]["target_services"].append({"name": "gone", "namespace": "shop", "type": "go", "tier": "business"})
    raw["policy"]["actions"] = ["pod-delete"]
    again = draft(inv, ["shop"], raw)
    assert again.added == [] and again.dropped == ["gone"] and again.policy_kept
    (tmp_path / "stack.yaml").write_text(render(again, at=datetime.now(UTC)))
    settings = load_settings(tmp_path / "stack.yaml")
    assert {t.name: t.criticality for t in settings.k8s.target_services} == {"web": "high", "api": "low"}
    assert [a.value for a in settings.policy.actions] == ["pod-delete"]
