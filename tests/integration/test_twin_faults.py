"""Every Litmus fault on the Sock Shop twin, driven through the real kubernetes client: what the
fault does to pods and nodes, what callers see along the dependency graph, and the ChaosEngine /
ChaosResult verdicts the operator writes (Pass at the end, Stopped on abort with the fault
reverted, Error where litmus-go errors). Time passes only by advancing the virtual clock.

Expected figures follow the twin's topology (data/topology.yaml): front-end sends 22 % of its
requests to catalogue, 22 % to user, 33 % to carts, 11 % to orders; orders calls user, carts,
payment and shipping on every request; shipping -> rabbitmq is asynchronous.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from twin import DEFAULT_MANIFESTS

NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")
CATALOGUE_NOT_READY_S = 2 + 180  # Go start + readinessProbe.initialDelaySeconds (upstream)


def _at(twin: Any, start: float, seconds: float) -> None:
    """Advance the virtual clock to `seconds` after `start`."""
    twin.advance(start + seconds - twin.now())


def _ready(pod: Any) -> bool:
    return {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"


def _pod(twin: Any, service: str) -> Any:
    [pod] = twin.pods(f"name={service}")
    return pod


def _pod_named(twin: Any, name: str) -> Any:
    return twin.core.read_namespaced_pod(name, NS)


def _engine_status(twin: Any, name: str) -> dict[str, Any]:
    status: dict[str, Any] = twin.get("chaosengines", name)["status"]
    return status


def _result(twin: Any, engine: str, experiment: str) -> dict[str, Any]:
    status: dict[str, Any] = twin.get("chaosresults", f"{engine}-{experiment}")["status"]
    return status


def _stop(twin: Any, engine: str) -> None:
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", engine,
                                               {"spec": {"engineState": "stop"}})


def _node(twin: Any, name: str) -> Any:
    return twin.core.read_node(name)


def _injected(twin: Any, engine: str) -> str:
    return next(e for e in twin.events(engine) if e.startswith("chaos injected"))


def _assert_passed(twin: Any, engine: str, experiment: str) -> None:
    body = twin.get("chaosengines", engine)
    assert body["status"]["engineStatus"] == "completed"
    assert body["spec"]["engineState"] == "stop"
    # kept after completion (chaos-operator 3.18.0 chaosengine_controller.go:512-514)
    assert body["metadata"]["finalizers"] == ["chaosengine.litmuschaos.io/finalizer"]
    entry = body["status"]["experiments"][0]
    assert (entry["status"], entry["verdict"]) == ("Completed", "Pass")
    result = _result(twin, engine, experiment)
    assert result["experimentStatus"] == {"phase": "Completed", "verdict": "Pass",
                                          "probeSuccessPercentage": "100"}
    assert result["history"]["passedRuns"] == 1 and result["history"]["failedRuns"] == 0
    assert result["history"]["targets"]
    assert all(t["chaosStatus"] == "reverted" for t in result["history"]["targets"])


def _assert_stopped(twin: Any, engine: str, experiment: str) -> None:
    status = _engine_status(twin, engine)
    assert status["engineStatus"] == "stopped"
    assert (status["experiments"][0]["status"], status["experiments"][0]["verdict"]) == (
        "Forcefully Aborted", "Stopped")
    result = _result(twin, engine, experiment)
    assert (result["experimentStatus"]["phase"], result["experimentStatus"]["verdict"]) == (
        "Stopped", "Stopped")
    assert result["history"]["stoppedRuns"] == 1 and result["history"]["passedRuns"] == 0


def _assert_error(twin: Any, engine: str, experiment: str, code: str) -> str:
    status = _engine_status(twin, engine)
    assert status["engineStatus"] == "completed"
    assert (status["experiments"][0]["status"], status["experiments"][0]["verdict"]) == (
        "Completed", "Error")
    result = _result(twin, engine, experiment)
    outcome = result["experimentStatus"]
    assert (outcome["phase"], outcome["verdict"]) == ("Error", "Error")
    assert outcome["errorOutput"]["errorCode"] == code
    # an Error verdict is counted in no history counter (litmus-go 3.18.0 updateResultAttributes)
    assert result["history"]["failedRuns"] == 0 and result["history"]["stoppedRuns"] == 0
    reason: str = outcome["errorOutput"]["reason"]
    return reason


def _manifest(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """Upstream complete-demo.yaml with `edit` applied to each Deployment."""
    docs = [d for d in yaml.safe_load_all(DEFAULT_MANIFESTS[0].read_text()) if d]
    for doc in docs:
        if doc["kind"] == "Deployment":
            edit(doc)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def _replicas(counts: dict[str, int]) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        if doc["metadata"]["name"] in counts:
            doc["spec"]["replicas"] = counts[doc["metadata"]["name"]]
    return edit


# container-kill --------------------------------------------------------------------------------


def test_container_kill_restarts_in_place_behind_the_readiness_probe(twin, make_engine) -> None:
    start = twin.now()
    before = _pod(twin, "catalogue")
    twin.create_engine(make_engine("cat-kill", "container-kill", "name=catalogue", env={
        "TOTAL_CHAOS_DURATION": "10", "CHAOS_INTERVAL": "10"}))
    _at(twin, start, 1)
    pod = _pod(twin, "catalogue")
    assert (pod.metadata.name, pod.metadata.uid, pod.spec.node_name) == (
        before.metadata.name, before.metadata.uid, before.spec.node_name)
    container = pod.status.container_statuses[0]
    assert container.restart_count == 1 and not container.ready and not _ready(pod)
    assert (container.last_state.terminated.exit_code,
            container.last_state.terminated.reason) == (137, "Error")
    during = twin.signals()
    assert during["catalogue"]["ready_replicas"] == 0 and during["catalogue"]["restarts"] == 1
    assert during["catalogue"]["error_rate_pct"] > 99
    assert 20 < during["front-end"]["error_rate_pct"] < 25  # 22 % of its requests
    assert during["carts"]["error_rate_pct"] < 1

    _at(twin, start, 11)
    _assert_passed(twin, "cat-kill", "container-kill")
    _at(twin, start, CATALOGUE_NOT_READY_S - 1)  # still inside start + readiness delay
    assert not _ready(_pod(twin, "catalogue"))
    assert twin.signals()["catalogue"]["error_rate_pct"] > 99
    _at(twin, start, CATALOGUE_NOT_READY_S + 1)
    pod = _pod(twin, "catalogue")
    assert _ready(pod) and pod.status.container_statuses[0].restart_count == 1
    after = twin.signals()
    assert after["catalogue"]["error_rate_pct"] < 1 and after["front-end"]["error_rate_pct"] < 1


def test_container_kill_repeats_each_interval_until_stopped(twin, make_engine) -> None:
    start = twin.now()
    name = _pod(twin, "carts").metadata.name
    twin.create_engine(make_engine("carts-kill", "container-kill", "name=carts", env={
        "TOTAL_CHAOS_DURATION": "60", "CHAOS_INTERVAL": "10", "SIGNAL": "SIGTERM"}))
    _at(twin, start, 1)
    container = _pod(twin, "carts").status.container_statuses[0]
    assert container.restart_count == 1
    assert container.last_state.terminated.exit_code == 143  # 128 + SIGTERM
    _at(twin, start, 21)
    pod = _pod(twin, "carts")
    assert pod.metadata.name == name and pod.status.container_statuses[0].restart_count == 3
    assert _ready(pod)  # carts has no readiness probe: Ready while Spring Boot starts
    assert twin.signals()["carts"]["error_rate_pct"] > 99

    _at(twin, start, 25)
    _stop(twin, "carts-kill")
    _assert_stopped(twin, "carts-kill", "container-kill")
    _at(twin, start, 20 + 40 + 1)  # the last kill at +20, Spring Boot needs 40 s
    assert _pod(twin, "carts").status.container_statuses[0].restart_count == 3
    assert twin.signals()["carts"]["error_rate_pct"] < 1


# network loss, corruption, duplication ---------------------------------------------------------


@pytest.mark.parametrize("fault, variable", [
    ("pod-network-loss", "NETWORK_PACKET_LOSS_PERCENTAGE"),
    ("pod-network-corruption", "NETWORK_PACKET_CORRUPTION_PERCENTAGE"),
])
def test_packet_loss_fails_that_share_of_requests(twin, make_engine, fault, variable) -> None:
    start = twin.now()
    twin.create_engine(make_engine("cat-net", fault, "name=catalogue", env={
        variable: "40", "TOTAL_CHAOS_DURATION": "30"}))
    _at(twin, start, 5)
    during = twin.signals()
    assert 39 < during["catalogue"]["error_rate_pct"] < 41
    assert during["catalogue"]["ready_replicas"] == 1
    # front-end: 1 - (1 - 0.2 %) * (1 - 0.22 * 40 %) = 9.0 %
    assert 8.5 < during["front-end"]["error_rate_pct"] < 9.5
    assert during["catalogue-db"]["error_rate_pct"] < 1  # no propagation against the calls
    assert during["carts"]["error_rate_pct"] < 1 and during["orders"]["error_rate_pct"] < 1
    _at(twin, start, 31)
    _assert_passed(twin, "cat-net", fault)
    after = twin.signals()
    assert after["catalogue"]["error_rate_pct"] < 1 and after["front-end"]["error_rate_pct"] < 1


def test_loss_on_a_database_reaches_every_synchronous_caller(twin, make_engine) -> None:
    twin.create_engine(make_engine("userdb-loss", "pod-network-loss", "name=user-db",
                                   appkind="deployment"))
    twin.advance(5)
    signals = twin.signals()
    assert signals["user-db"]["error_rate_pct"] > 99
    assert signals["user"]["error_rate_pct"] > 99
    assert signals["orders"]["error_rate_pct"] > 99  # every order reads the customer
    # front-end: 1 - 0.998 * (1 - 0.22) * (1 - 0.11) = 30.7 %
    assert 29.5 < signals["front-end"]["error_rate_pct"] < 32
    for bystander in ("catalogue", "carts", "payment", "shipping", "rabbitmq"):
        assert signals[bystander]["error_rate_pct"] < 1, bystander


def test_loss_does_not_cross_asynchronous_edges(twin, make_engine) -> None:
    twin.create_engine(make_engine("mq-loss", "pod-network-loss", "name=rabbitmq"))
    twin.advance(5)
    signals = twin.signals()
    assert signals["rabbitmq"]["error_rate_pct"] > 99
    for caller in ("shipping", "queue-master", "orders", "front-end"):
        assert signals[caller]["error_rate_pct"] < 1, caller


def test_loss_scoped_by_destination_hosts(twin, make_engine) -> None:
    start = twin.now()
    twin.create_engine(make_engine("to-db", "pod-network-loss", "name=carts", env={
        "DESTINATION_HOSTS": "carts-db", "TOTAL_CHAOS_DURATION": "10"}))
    _at(twin, start, 5)
    signals = twin.signals()
    assert signals["carts"]["error_rate_pct"] > 99 and signals["carts-db"]["error_rate_pct"] < 1
    assert signals["orders"]["error_rate_pct"] > 99
    # front-end: 1 - 0.998 * (1 - 0.33) * (1 - 0.11) = 40.5 %
    assert 39 < signals["front-end"]["error_rate_pct"] < 42
    _at(twin, start, 11)
    _assert_passed(twin, "to-db", "pod-network-loss")
    twin.create_engine(make_engine("elsewhere", "pod-network-loss", "name=carts", env={
        "DESTINATION_HOSTS": "orders-db.sock-shop.svc.cluster.local"}))
    twin.advance(5)
    assert twin.signals()["carts"]["error_rate_pct"] < 1  # carts never calls orders-db


def test_duplication_is_nearly_harmless(twin, make_engine) -> None:
    start = twin.now()
    before = twin.signals()
    twin.create_engine(make_engine("dup", "pod-network-duplication", "name=carts", env={
        "NETWORK_PACKET_DUPLICATION_PERCENTAGE": "100", "TOTAL_CHAOS_DURATION": "30"}))
    _at(twin, start, 5)
    during = twin.signals()
    assert during["carts"]["error_rate_pct"] < 1 and during["front-end"]["error_rate_pct"] < 1
    assert during["orders"]["error_rate_pct"] < 1
    rise = during["carts"]["latency_p95_ms"] - before["carts"]["latency_p95_ms"]
    assert -2 < rise < 6  # a few ms at most, nothing like a 2 s netem delay
    assert during["carts"]["ready_replicas"] == 1 and during["carts"]["restarts"] == 0
    _at(twin, start, 31)
    _assert_passed(twin, "dup", "pod-network-duplication")


# DNS errors ------------------------------------------------------------------------------------


def test_dns_error_fails_the_targets_outgoing_calls(twin, make_engine) -> None:
    start = twin.now()
    twin.create_engine(make_engine("orders-dns", "pod-dns-error", "name=orders", env={
        "TOTAL_CHAOS_DURATION": "30"}))
    _at(twin, start, 5)
    signals = twin.signals()
    assert signals["orders"]["error_rate_pct"] > 99
    assert 10.5 < signals["front-end"]["error_rate_pct"] < 12  # 0.2 % + 11 % of orders
    for callee in ("user", "carts", "payment", "shipping", "orders-db"):
        assert signals[callee]["error_rate_pct"] < 1, callee  # they still resolve and serve
    _at(twin, start, 31)
    _assert_passed(twin, "orders-dns", "pod-dns-error")
    assert twin.signals()["orders"]["error_rate_pct"] < 1


@pytest.mark.parametrize("hostnames, scheme, low, high", [
    ('["catalogue"]', "exact", 21.5, 23.5),  # only front-end -> catalogue fails: 0.2 + 22 %
    ('["catalogue.sock-shop.svc.cluster.local"]', "exact", 21.5, 23.5),
    ('["cat"]', "exact", 0, 1),  # no host is called exactly "cat"
    ('["cat"]', "substring", 21.5, 23.5),
    ("", "exact", 99, 100.1),  # every lookup fails, session-db on every request
])
def test_dns_error_target_hostnames(twin, make_engine, hostnames, scheme, low, high) -> None:
    twin.create_engine(make_engine("fe-dns", "pod-dns-error", "name=front-end", env={
        "TARGET_HOSTNAMES": hostnames, "MATCH_SCHEME": scheme}))
    twin.advance(5)
    signals = twin.signals()
    assert low <= signals["front-end"]["error_rate_pct"] < high
    assert signals["catalogue"]["error_rate_pct"] < 1


# disk-fill -------------------------------------------------------------------------------------


def test_disk_fill_without_an_ephemeral_storage_limit_is_an_error(twin, make_engine) -> None:
    before = _pod(twin, "catalogue-db")
    twin.create_engine(make_engine("db-fill", "disk-fill", "name=catalogue-db", env={
        "FILL_PERCENTAGE": "100", "TOTAL_CHAOS_DURATION": "30"}))
    twin.advance(1)
    reason = _assert_error(twin, "db-fill", "disk-fill", "HELPER_ERROR")
    assert reason == ("either provide ephemeral storage limit inside target container or "
                      "define EPHEMERAL_STORAGE_MEBIBYTES ENV")
    assert _pod(twin, "catalogue-db").metadata.uid == before.metadata.uid
    assert twin.signals()["catalogue"]["error_rate_pct"] < 1
    twin.advance(60)
    assert _engine_status(twin, "db-fill")["engineStatus"] == "completed"


def _storage_limit(doc: dict[str, Any]) -> None:
    if doc["metadata"]["name"] == "catalogue":
        container = doc["spec"]["template"]["spec"]["containers"][0]
        container.setdefault("resources", {}).setdefault("limits", {})["ephemeral-storage"] = "1Gi"


def test_disk_fill_past_the_limit_evicts_and_reschedules(tmp_path, make_engine, twin_at) -> None:
    with twin_at(tmp_path / "limited.json", [_manifest(tmp_path, _storage_limit)]) as twin:
        start = twin.now()
        before = _pod(twin, "catalogue")
        twin.create_engine(make_engine("cat-fill", "disk-fill", "name=catalogue", env={
            "FILL_PERCENTAGE": "100", "TOTAL_CHAOS_DURATION": "30"}))
        _at(twin, start, 1)
        pod = _pod(twin, "catalogue")
        assert pod.metadata.name != before.metadata.name
        assert pod.metadata.name.startswith("catalogue-") and pod.spec.node_name
        assert not _ready(pod) and pod.status.container_statuses[0].restart_count == 0
        signals = twin.signals()
        assert signals["catalogue"]["ready_replicas"] == 0
        assert signals["catalogue"]["error_rate_pct"] > 99
        assert 20 < signals["front-end"]["error_rate_pct"] < 25
        assert any(f"{before.metadata.name} evicted" in e for e in twin.events("cat-fill"))
        _at(twin, start, 31)
        _assert_passed(twin, "cat-fill", "disk-fill")
        _at(twin, start, CATALOGUE_NOT_READY_S - 1)
        assert not _ready(_pod(twin, "catalogue"))
        _at(twin, start, CATALOGUE_NOT_READY_S + 1)
        assert _ready(_pod(twin, "catalogue"))
        assert twin.signals()["front-end"]["error_rate_pct"] < 1

        name = _pod(twin, "catalogue").metadata.name  # below the limit: no eviction
        twin.create_engine(make_engine("cat-fill-80", "disk-fill", "name=catalogue", env={
            "FILL_PERCENTAGE": "80", "TOTAL_CHAOS_DURATION": "30"}))
        twin.advance(5)
        assert _pod(twin, "catalogue").metadata.name == name
        assert twin.signals()["catalogue"]["error_rate_pct"] < 1
        _stop(twin, "cat-fill-80")
        _assert_stopped(twin, "cat-fill-80", "disk-fill")


# node-drain ------------------------------------------------------------------------------------


def _pods_on(twin: Any, node: str) -> dict[str, str]:
    """Sock Shop pods on a node: pod name -> its `name` label (the service)."""
    return {p.metadata.name: p.metadata.labels["name"]
            for p in twin.core.list_namespaced_pod(NS).items if p.spec.node_name == node}


def test_node_drain_evicts_reschedules_and_uncordons(twin, make_engine) -> None:
    start = twin.now()
    node = _pod(twin, "catalogue").spec.node_name
    drained = _pods_on(twin, node)
    elsewhere = sorted({p.metadata.labels["name"] for p in twin.core.list_namespaced_pod(NS).items
                        if p.spec.node_name != node})
    body = make_engine("drain", "node-drain", "name=carts", env={
        "TARGET_NODE": node, "TOTAL_CHAOS_DURATION": "60"})
    twin.create_engine(body)
    _at(twin, start, 1)
    assert _node(twin, node).spec.unschedulable is True
    assert _pods_on(twin, node) == {}
    for old, service in drained.items():
        [pod] = twin.pods(f"name={service}")
        assert pod.metadata.name != old and pod.spec.node_name not in (node, None)
    signals = twin.signals()
    assert signals["catalogue"]["ready_replicas"] == 0
    assert signals["catalogue"]["error_rate_pct"] > 99
    for service in elsewhere:
        assert signals[service]["ready_replicas"] == 1, service
    assert sum("evicted from" in e for e in twin.events("drain")) == len(drained)
    assert _engine_status(twin, "drain")["engineStatus"] == "initialized"

    _at(twin, start, 70)
    assert not _node(twin, node).spec.unschedulable
    _assert_passed(twin, "drain", "node-drain")
    assert _result(twin, "drain", "node-drain")["history"]["targets"] == [
        {"name": node, "kind": "node", "chaosStatus": "reverted"}]
    assert _pods_on(twin, node) == {}  # nothing moves back after uncordon
    _at(twin, start, CATALOGUE_NOT_READY_S + 1)
    assert _ready(_pod(twin, "catalogue"))
    assert all(s["error_rate_pct"] < 1 for s in twin.signals().values())


def test_node_drain_waits_for_the_application_before_counting_duration(twin, make_engine) -> None:
    start = twin.now()
    node = _pod(twin, "front-end").spec.node_name
    twin.create_engine(make_engine("fe-drain", "node-drain", "name=front-end", env={
        "TARGET_NODE": node, "TOTAL_CHAOS_DURATION": "60"}))
    _at(twin, start, 20)
    assert twin.signals()["front-end"]["error_rate_pct"] > 99
    # front-end is Ready 5 + 30 s after its new start; litmus-go polls every 2 s (36 s) and
    # checks pod phase once more (38 s), then returns after its last 2 s wait (40 s)
    _at(twin, start, 36)
    assert _ready(_pod(twin, "front-end"))
    _at(twin, start, 40 + 60 - 1)
    assert _node(twin, node).spec.unschedulable is True
    assert _engine_status(twin, "fe-drain")["engineStatus"] == "initialized"
    _at(twin, start, 40 + 60 + 1)
    assert not _node(twin, node).spec.unschedulable
    _assert_passed(twin, "fe-drain", "node-drain")


def test_node_drain_errors_when_the_application_is_not_ready_in_time(twin, make_engine) -> None:
    start = twin.now()
    node = _pod(twin, "catalogue").spec.node_name
    twin.create_engine(make_engine("cat-drain", "node-drain", "name=catalogue", env={
        "TARGET_NODE": node, "TOTAL_CHAOS_DURATION": "30"}))
    # catalogue needs 182 s to be Ready again; STATUS_CHECK_TIMEOUT is 180 s
    _at(twin, start, 179)
    assert _engine_status(twin, "cat-drain")["engineStatus"] == "initialized"
    assert _node(twin, node).spec.unschedulable is True
    _at(twin, start, 181)
    reason = _assert_error(twin, "cat-drain", "node-drain", "STATUS_CHECKS_ERROR")
    assert reason == "container is not in running state"
    assert not _node(twin, node).spec.unschedulable  # litmus-go uncordons before failing


def test_node_drain_stopped_mid_run_uncordons(twin, make_engine) -> None:
    node = _pod(twin, "carts").spec.node_name
    twin.create_engine(make_engine("drain-stop", "node-drain", "name=carts", env={
        "NODE_LABEL": f"kubernetes.io/hostname={node}", "TOTAL_CHAOS_DURATION": "120"}))
    twin.advance(10)
    assert _node(twin, node).spec.unschedulable is True
    moved = _pod(twin, "carts").spec.node_name
    assert moved != node
    _stop(twin, "drain-stop")
    _assert_stopped(twin, "drain-stop", "node-drain")
    assert not _node(twin, node).spec.unschedulable
    twin.advance(200)
    assert _pod(twin, "carts").spec.node_name == moved and not _pods_on(twin, node)
    assert _engine_status(twin, "drain-stop")["engineStatus"] == "stopped"


def test_node_drain_of_an_unknown_node_is_an_error(twin, make_engine) -> None:
    before = {p.metadata.uid for p in twin.core.list_namespaced_pod(NS).items}
    twin.create_engine(make_engine("nowhere", "node-drain", "name=carts", env={
        "TARGET_NODE": "no-such-node"}))
    twin.advance(1)
    reason = _assert_error(twin, "nowhere", "node-drain", "CHAOS_INJECT_ERROR")
    assert 'nodes "no-such-node" not found' in reason
    app = {p.metadata.uid for p in twin.core.list_namespaced_pod(NS).items if "chaosUID" not in (p.metadata.labels or {})}
    assert app == before  # only Litmus's own runner and experiment pods are new
    assert not any(n.spec.unschedulable for n in twin.core.list_node().items)


# PODS_AFFECTED_PERC and TARGET_PODS ------------------------------------------------------------


def test_pods_affected_perc_picks_that_share_of_the_replicas(tmp_path, make_engine,
                                                             twin_at) -> None:
    manifest = _manifest(tmp_path, _replicas({"catalogue": 4, "carts": 3}))
    cases = [("catalogue", "", 1), ("catalogue", "10", 1), ("catalogue", "25", 1),
             ("catalogue", "50", 2), ("catalogue", "75", 3), ("catalogue", "100", 4),
             ("catalogue", "150", 4), ("carts", "50", 1), ("carts", "67", 2),
             ("carts", "100", 3)]
    with twin_at(tmp_path / "replicas.json", [manifest]) as twin:
        for index, (service, percent, count) in enumerate(cases):
            name = f"perc-{index}"
            twin.create_engine(make_engine(name, "pod-network-loss", f"name={service}", env={
                "PODS_AFFECTED_PERC": percent, "TOTAL_CHAOS_DURATION": "5"}))
            twin.advance(1)
            injected = _injected(twin, name)
            pods = [p.metadata.name for p in twin.pods(f"name={service}")]
            assert sum(p in injected for p in pods) == count, (service, percent)
            replicas = len(pods)
            error = twin.signals()[service]["error_rate_pct"]
            assert error == pytest.approx(100 * count / replicas, abs=1), (service, percent)
            twin.advance(5)
            _assert_passed(twin, name, "pod-network-loss")


def test_half_the_replicas_deleted_keeps_serving_behind_readiness(tmp_path, make_engine,
                                                                  twin_at) -> None:
    with twin_at(tmp_path / "four.json", [_manifest(tmp_path, _replicas({"catalogue": 4}))]) as twin:
        before = {p.metadata.name for p in twin.pods("name=catalogue")}
        twin.create_engine(make_engine("half", "pod-delete", "name=catalogue", env={
            "PODS_AFFECTED_PERC": "50", "TOTAL_CHAOS_DURATION": "5", "CHAOS_INTERVAL": "5"}))
        twin.advance(1)
        pods = twin.pods("name=catalogue")
        assert len(pods) == 4 and len(before & {p.metadata.name for p in pods}) == 2
        assert sum(_ready(p) for p in pods) == 2
        signals = twin.signals()
        assert signals["catalogue"]["ready_replicas"] == 2
        assert signals["catalogue"]["error_rate_pct"] < 1
        assert signals["front-end"]["error_rate_pct"] < 1
        assert twin.apps.read_namespaced_deployment("catalogue", NS).status.ready_replicas == 2


def test_target_pods_and_node_label_narrow_the_targets(tmp_path, make_engine, twin_at) -> None:
    with twin_at(tmp_path / "named.json", [_manifest(tmp_path, _replicas({"catalogue": 4}))]) as twin:
        names = sorted(p.metadata.name for p in twin.pods("name=catalogue"))
        twin.create_engine(make_engine("named", "pod-network-loss", "name=catalogue", env={
            "TARGET_PODS": f"{names[0]}, {names[2]}"}))
        twin.advance(1)
        injected = _injected(twin, "named")
        assert names[0] in injected and names[2] in injected
        assert names[1] not in injected and names[3] not in injected
        assert twin.signals()["catalogue"]["error_rate_pct"] == pytest.approx(50, abs=1)
        twin.create_engine(make_engine("ghost", "pod-network-loss", "name=catalogue", env={
            "TARGET_PODS": "catalogue-ghost"}))
        twin.advance(1)
        reason = _assert_error(twin, "ghost", "pod-network-loss", "TARGET_SELECTION_ERROR")
        assert reason == "pod doesn't exist set by TARGET_PODS ENV"

        node = _pod_named(twin, names[1]).spec.node_name
        on_node = {p.metadata.name for p in twin.pods("name=catalogue") if p.spec.node_name == node}
        twin.create_engine(make_engine("on-node", "pod-network-loss", "name=catalogue", env={
            "NODE_LABEL": f"kubernetes.io/hostname={node}", "PODS_AFFECTED_PERC": "100"}))
        twin.advance(1)
        injected = _injected(twin, "on-node")
        assert {n for n in names if n in injected} == on_node
        twin.create_engine(make_engine("no-node", "pod-network-loss", "name=catalogue", env={
            "NODE_LABEL": "kubernetes.io/hostname=no-such-node"}))
        twin.advance(1)
        reason = _assert_error(twin, "no-node", "pod-network-loss", "TARGET_SELECTION_ERROR")
        assert reason == "no nodes found with matching labels"


# every fault: Pass at the end, Stopped and reverted on abort -----------------------------------


ALL_FAULTS = [
    ("pod-delete", "carts", {"CHAOS_INTERVAL": "5"}),
    ("container-kill", "carts", {"CHAOS_INTERVAL": "5"}),
    ("pod-cpu-hog", "carts", {}),
    ("pod-memory-hog", "carts", {"MEMORY_CONSUMPTION": "100"}),
    ("pod-network-latency", "carts", {}),
    ("pod-network-loss", "carts", {}),
    ("pod-network-corruption", "carts", {}),
    ("pod-network-duplication", "carts", {}),
    ("pod-dns-error", "orders", {}),
    ("disk-fill", "carts", {"EPHEMERAL_STORAGE_MEBIBYTES": "100"}),
    ("node-drain", "carts", {}),  # drains the node of a carts pod
]


@pytest.mark.parametrize("fault, service, env", ALL_FAULTS, ids=[f[0] for f in ALL_FAULTS])
def test_every_fault_passes_and_the_shop_recovers(twin, make_engine, fault, service, env) -> None:
    start = twin.now()
    node = _pod(twin, service).spec.node_name
    twin.create_engine(make_engine("every", fault, f"name={service}", env={
        **env, "TOTAL_CHAOS_DURATION": "20"}))
    _at(twin, start, 1)
    assert _engine_status(twin, "every")["engineStatus"] == "initialized"
    assert _result(twin, "every", fault)["experimentStatus"]["verdict"] == "Awaited"
    _at(twin, start, 30)
    _assert_passed(twin, "every", fault)
    kind, name = ("node", node) if fault == "node-drain" else ("deployment", service)
    assert _result(twin, "every", fault)["history"]["targets"] == [
        {"name": name, "kind": kind, "chaosStatus": "reverted"}]
    _at(twin, start, 300)  # long after every restart and readiness delay
    signals = twin.signals()
    assert all(s["error_rate_pct"] < 1 for s in signals.values())
    assert all(s["ready_replicas"] == s["replicas"] for s in signals.values())
    assert not any(n.spec.unschedulable for n in twin.core.list_node().items)


def _error(service: str) -> Callable[[dict[str, Any]], float]:
    return lambda signals: float(signals[service]["error_rate_pct"])


def _latency(service: str) -> Callable[[dict[str, Any]], float]:
    return lambda signals: float(signals[service]["latency_p95_ms"])


def _memory(service: str) -> Callable[[dict[str, Any]], float]:
    return lambda signals: float(signals[service]["memory_mib"])


EFFECT_FAULTS = [
    ("pod-network-latency", "carts", {}, _latency("carts"), 1500),
    ("pod-network-loss", "carts", {"NETWORK_PACKET_LOSS_PERCENTAGE": "60"}, _error("carts"), 50),
    ("pod-network-corruption", "user", {}, _error("front-end"), 20),
    ("pod-dns-error", "orders", {}, _error("orders"), 90),
    ("pod-cpu-hog", "carts", {}, _latency("carts"), 40),
    ("pod-memory-hog", "carts", {"MEMORY_CONSUMPTION": "100"}, _memory("carts"), 80),
    ("pod-network-duplication", "carts", {}, _error("carts"), -1),  # nothing to see
]


@pytest.mark.parametrize("fault, service, env, metric, rise", EFFECT_FAULTS,
                         ids=[f[0] for f in EFFECT_FAULTS])
def test_stop_mid_run_reverts_the_fault(twin, make_engine, fault, service, env, metric,
                                        rise) -> None:
    baseline = metric(twin.signals())
    twin.create_engine(make_engine("aborted", fault, f"name={service}", env={
        **env, "TOTAL_CHAOS_DURATION": "120"}))
    twin.advance(10)
    assert metric(twin.signals()) > baseline + rise
    _stop(twin, "aborted")
    _assert_stopped(twin, "aborted", fault)
    assert _result(twin, "aborted", fault)["history"]["targets"] == [
        {"name": service, "kind": "deployment", "chaosStatus": "reverted"}]
    twin.advance(1)
    assert metric(twin.signals()) == pytest.approx(baseline, rel=0.1, abs=0.5)
    assert _pod(twin, service).status.container_statuses[0].restart_count == 0
    twin.advance(200)
    assert _engine_status(twin, "aborted")["engineStatus"] == "stopped"
