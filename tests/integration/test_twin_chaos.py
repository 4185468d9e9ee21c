"""The emulated Litmus operator and the signal model: faults change pods and SLO signals the
way they would on a real Sock Shop, over virtual time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from twin import DEFAULT_MANIFESTS

NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")
TWIN_START = 1_800_000_000.0  # as in conftest: every test twin starts here
CATALOGUE_NOT_READY_S = 2 + 180  # Go process start + readinessProbe.initialDelaySeconds


def _status(twin, name: str) -> dict:
    return twin.get("chaosengines", name)["status"]


def _result(twin, engine: str, experiment: str) -> dict:
    return twin.get("chaosresults", f"{engine}-{experiment}")


def _ready(pod) -> bool:
    return {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"


def _advance_to(twin, seconds_after_start: float) -> None:
    twin.advance(TWIN_START + seconds_after_start - twin.now())


def test_pod_delete_on_catalogue(twin, make_engine) -> None:
    before = twin.signals()
    original = twin.pods("name=catalogue")[0].metadata.name
    twin.create_engine(make_engine("cat-delete", "pod-delete", "name=catalogue", env={
        "TOTAL_CHAOS_DURATION": "30", "CHAOS_INTERVAL": "10", "FORCE": "false"}))
    engine = twin.get("chaosengines", "cat-delete")
    assert engine["status"]["engineStatus"] == "initialized"
    assert engine["metadata"]["finalizers"] == ["chaosengine.litmuschaos.io/finalizer"]
    assert engine["status"]["experiments"][0]["runner"] == "cat-delete-runner"
    running = _result(twin, "cat-delete", "pod-delete")
    # ChaosResultSpec.InstanceID is `json:"instance,omitempty"` (chaos-operator 3.18.0 chaosresult_types.go)
    assert running["spec"] == {"engine": "cat-delete", "experiment": "pod-delete"}
    assert running["metadata"]["labels"]["chaosUID"] == engine["metadata"]["uid"]
    assert running["status"]["experimentStatus"] == {
        "phase": "Running", "verdict": "Awaited", "probeSuccessPercentage": "Awaited"}

    _advance_to(twin, 1)
    [pod] = twin.pods("name=catalogue")
    assert pod.metadata.name != original and pod.metadata.name.startswith("catalogue-")
    assert not _ready(pod) and pod.status.container_statuses[0].restart_count == 0
    assert pod.metadata.owner_references[0].kind == "ReplicaSet"
    during = twin.signals()
    assert during["catalogue"]["error_rate_pct"] > 99 and during["catalogue"]["ready_replicas"] == 0
    # front-end sends ~22 % of its requests to catalogue: a partial, weighted rise
    assert 15 < during["front-end"]["error_rate_pct"] < 30
    assert during["carts"]["error_rate_pct"] < 1
    assert during["carts"]["latency_p95_ms"] == pytest.approx(before["carts"]["latency_p95_ms"],
                                                              rel=0.1)
    assert twin.apps.read_namespaced_deployment("catalogue", NS).status.ready_replicas is None

    _advance_to(twin, 30)  # completion
    engine = twin.get("chaosengines", "cat-delete")
    assert engine["status"]["engineStatus"] == "completed"
    assert engine["spec"]["engineState"] == "stop"
    assert engine["status"]["experiments"][0]["status"] == "Completed"
    assert engine["status"]["experiments"][0]["verdict"] == "Pass"
    result = _result(twin, "cat-delete", "pod-delete")["status"]
    assert result["experimentStatus"] == {"phase": "Completed", "verdict": "Pass",
                                          "probeSuccessPercentage": "100"}
    assert result["history"]["passedRuns"] == 1
    assert result["history"]["targets"] == [
        {"name": "catalogue", "kind": "deployment", "chaosStatus": "reverted"}]

    # the last kill was at t0+20: NotReady for 180 s + start, recovery outlives the experiment
    _advance_to(twin, 20 + CATALOGUE_NOT_READY_S - 1)
    assert not _ready(twin.pods("name=catalogue")[0])
    assert twin.signals()["catalogue"]["error_rate_pct"] > 99
    _advance_to(twin, 20 + CATALOGUE_NOT_READY_S + 1)
    assert _ready(twin.pods("name=catalogue")[0])
    after = twin.signals()
    assert after["catalogue"]["error_rate_pct"] < 1 and after["front-end"]["error_rate_pct"] < 1
    events = twin.events("cat-delete")
    assert sum("deleted; replaced by" in e for e in events) == 3
    assert any("ready and serving" in e for e in events)


def test_stop_mid_run_reverts_the_fault(twin, make_engine) -> None:
    baseline = twin.signals()["carts"]["latency_p95_ms"]
    twin.create_engine(make_engine("carts-slow", "pod-network-latency", "name=carts",
                                   env={"TOTAL_CHAOS_DURATION": "120"}))
    twin.advance(10)
    assert twin.signals()["carts"]["latency_p95_ms"] > 2000
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "carts-slow",
                                               {"spec": {"engineState": "stop"}})
    status = _status(twin, "carts-slow")
    assert status["engineStatus"] == "stopped"
    assert status["experiments"][0]["status"] == "Forcefully Aborted"
    assert status["experiments"][0]["verdict"] == "Stopped"
    result = _result(twin, "carts-slow", "pod-network-latency")["status"]
    assert (result["experimentStatus"]["phase"], result["experimentStatus"]["verdict"]) == (
        "Stopped", "Stopped")
    assert result["history"]["stoppedRuns"] == 1 and result["history"]["passedRuns"] == 0
    twin.advance(1)
    assert twin.signals()["carts"]["latency_p95_ms"] == pytest.approx(baseline, rel=0.1)
    twin.advance(200)  # nothing left scheduled: it stays stopped
    assert _status(twin, "carts-slow")["engineStatus"] == "stopped"


def test_network_latency_on_carts_propagates_to_callers(twin, make_engine) -> None:
    before = twin.signals()
    twin.create_engine(make_engine("carts-latency", "pod-network-latency", "name=carts",
                                   env={"NETWORK_LATENCY": "2000", "TOTAL_CHAOS_DURATION": "60"}))
    twin.advance(5)
    during = twin.signals()
    assert during["carts"]["latency_p95_ms"] > before["carts"]["latency_p95_ms"] + 1800
    assert during["orders"]["latency_p95_ms"] > before["orders"]["latency_p95_ms"] + 1800
    assert during["front-end"]["latency_p95_ms"] > before["front-end"]["latency_p95_ms"] + 400
    assert during["catalogue"]["latency_p95_ms"] == pytest.approx(
        before["catalogue"]["latency_p95_ms"], rel=0.1)
    assert during["orders"]["error_rate_pct"] < 1  # 2 s is inside orders' 5 s timeout
    twin.advance(60)
    assert _status(twin, "carts-latency")["engineStatus"] == "completed"
    assert twin.signals()["carts"]["latency_p95_ms"] < 100


def test_latency_beyond_the_orders_timeout_becomes_errors(twin, make_engine) -> None:
    twin.create_engine(make_engine("very-slow", "pod-network-latency", "name=payment",
                                   env={"NETWORK_LATENCY": "8000"}))
    twin.advance(1)
    signals = twin.signals()
    assert signals["orders"]["error_rate_pct"] > 90
    assert signals["payment"]["error_rate_pct"] < 1
    assert 5 < signals["front-end"]["error_rate_pct"] < 20  # orders is ~11 % of front-end


def test_java_service_is_ready_at_once_but_fails_until_started(twin, make_engine) -> None:
    name = twin.pods("name=orders")[0].metadata.name
    twin.create_engine(make_engine("orders-kill", "container-kill", "name=orders", env={
        "TOTAL_CHAOS_DURATION": "20", "CHAOS_INTERVAL": "10"}))
    twin.advance(5)
    [pod] = twin.pods("name=orders")
    assert pod.metadata.name == name and _ready(pod)  # no readiness probe
    assert pod.status.container_statuses[0].restart_count == 1
    assert pod.status.container_statuses[0].last_state.terminated.exit_code == 137
    signals = twin.signals()
    assert signals["orders"]["error_rate_pct"] > 99 and signals["orders"]["ready_replicas"] == 1
    assert 5 < signals["front-end"]["error_rate_pct"] < 20
    _advance_to(twin, 10 + 40 + 1)  # second kill at +10, Spring Boot needs ~40 s
    assert twin.pods("name=orders")[0].status.container_statuses[0].restart_count == 2
    assert twin.signals()["orders"]["error_rate_pct"] < 1


def test_memory_hog_above_the_limit_is_an_oom_kill(twin, make_engine) -> None:
    twin.create_engine(make_engine("carts-mem", "pod-memory-hog", "name=carts",
                                   env={"MEMORY_CONSUMPTION": "500"}))
    twin.advance(2)
    status = twin.pods("name=carts")[0].status.container_statuses[0]
    assert status.restart_count == 1 and status.last_state.terminated.reason == "OOMKilled"
    assert twin.signals()["carts"]["restarts"] == 1


def test_memory_hog_below_the_limit_only_raises_memory(twin, make_engine) -> None:
    before = twin.signals()["carts"]["memory_mib"]
    twin.create_engine(make_engine("carts-mem-small", "pod-memory-hog", "name=carts",
                                   env={"MEMORY_CONSUMPTION": "100"}))
    twin.advance(2)
    signals = twin.signals()["carts"]
    assert signals["memory_mib"] > before + 80 and signals["restarts"] == 0
    assert signals["error_rate_pct"] < 1


def test_cpu_hog_is_capped_at_the_limit_and_slows_the_pod(twin, make_engine) -> None:
    before = twin.signals()["carts"]
    twin.create_engine(make_engine("carts-cpu", "pod-cpu-hog", "name=carts",
                                   env={"CPU_CORES": "1", "CPU_LOAD": "100"}))
    twin.advance(2)
    during = twin.signals()["carts"]
    assert 280 < during["cpu_millicores"] <= 310  # limit 300m (+ a few % noise)
    assert during["latency_p95_ms"] > 2.5 * before["latency_p95_ms"]


def test_missing_experiment_and_missing_targets_are_errors(twin, make_engine) -> None:
    twin.create_engine(make_engine("no-exp", "pod-deletion", "name=carts"))
    # no runner without its ChaosExperiment (chaos-operator 3.18.0 chaosengine_controller.go:171-175):
    # held initialized, no experiments[] and no ChaosResult (test_twin_litmus_lifecycle.py)
    assert _status(twin, "no-exp") == {"engineStatus": "initialized"}
    # Litmus's own Sock Shop engines say statefulset; upstream DBs are Deployments
    twin.create_engine(make_engine("no-pods", "pod-delete", "name=carts-db",
                                   appkind="statefulset"))
    failed = _result(twin, "no-pods", "pod-delete")["status"]
    assert failed["experimentStatus"]["errorOutput"]["reason"] == "no target pods found"
    # an Error verdict is counted in no history counter (litmus-go 3.18.0 updateResultAttributes)
    assert (failed["history"]["failedRuns"], failed["history"]["passedRuns"]) == (0, 0)


def test_async_edges_do_not_propagate(twin, make_engine) -> None:
    twin.create_engine(make_engine("mq", "pod-delete", "name=rabbitmq"))
    twin.advance(1)
    signals = twin.signals()
    assert signals["rabbitmq"]["error_rate_pct"] > 99
    assert signals["shipping"]["error_rate_pct"] < 1
    assert signals["orders"]["error_rate_pct"] < 1


def test_deleting_a_running_engine_stops_it(twin, make_engine) -> None:
    twin.create_engine(make_engine("doomed", "pod-network-loss", "name=user"))
    twin.advance(5)
    assert twin.signals()["user"]["error_rate_pct"] > 99
    twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "doomed")
    result = _result(twin, "doomed", "pod-network-loss")["status"]
    assert result["experimentStatus"]["verdict"] == "Stopped"
    assert twin.signals()["user"]["error_rate_pct"] < 1


def test_rerun_after_completion_accumulates_history(twin, make_engine) -> None:
    twin.create_engine(make_engine("again", "pod-cpu-hog", "name=user",
                                   env={"TOTAL_CHAOS_DURATION": "10"}))
    twin.advance(11)
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "again",
                                               {"spec": {"engineState": "active"}})
    assert _status(twin, "again")["engineStatus"] == "initialized"
    twin.advance(11)
    history = _result(twin, "again", "pod-cpu-hog")["status"]["history"]
    assert history["passedRuns"] == 2


def _scaled_manifest(tmp_path: Path, replicas: dict[str, int]) -> Path:
    docs = [d for d in yaml.safe_load_all(DEFAULT_MANIFESTS[0].read_text()) if d]
    for doc in docs:
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] in replicas:
            doc["spec"]["replicas"] = replicas[doc["metadata"]["name"]]
    path = tmp_path / "scaled.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_two_replicas_mean_partial_impact(tmp_path: Path, make_engine, twin_at) -> None:
    manifest = _scaled_manifest(tmp_path, {"catalogue": 2, "carts": 2})
    with twin_at(tmp_path / "scaled.json", [manifest]) as twin:
        assert len(twin.pods("name=catalogue")) == 2
        twin.create_engine(make_engine("cat", "pod-delete", "name=catalogue"))
        twin.create_engine(make_engine("carts", "pod-delete", "name=carts"))
        twin.advance(1)
        signals = twin.signals()
        # catalogue's readiness probe keeps traffic on the healthy replica
        assert signals["catalogue"]["ready_replicas"] == 1
        assert signals["catalogue"]["error_rate_pct"] < 1
        # carts has no probe: the restarting replica takes half the traffic and fails it
        assert signals["carts"]["ready_replicas"] == 2
        assert 40 < signals["carts"]["error_rate_pct"] < 60
        twin.create_engine(make_engine("both", "pod-network-loss", "name=catalogue",
                                       env={"PODS_AFFECTED_PERC": "100"}))
        targets = _result(twin, "both", "pod-network-loss")["status"]["history"]["targets"]
        assert targets == [{"name": "catalogue", "kind": "deployment", "chaosStatus": "injected"}]
        injected = next(e for e in twin.events("both") if e.startswith("chaos injected"))
        assert all(p.metadata.name in injected for p in twin.pods("name=catalogue"))
        assert twin.signals()["catalogue"]["error_rate_pct"] > 99


OTHER_APP = """
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: shop2}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop2, labels: {app: web}}
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
        - name: web
          image: example/web:1.0
          env: [{name: DB_URL, value: "postgres://db:5432/app"}]
- apiVersion: apps/v1
  kind: StatefulSet
  metadata: {name: db, namespace: shop2, labels: {app: db}}
  spec:
    replicas: 2
    serviceName: db
    selector: {matchLabels: {app: db}}
    template:
      metadata: {labels: {app: db}}
      spec:
        containers: [{name: db, image: postgres:16}]
- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop2},
   spec: {selector: {app: web}, ports: [{port: 80}]}}
- {apiVersion: v1, kind: Service, metadata: {name: db, namespace: shop2},
   spec: {selector: {app: db}, ports: [{port: 5432}]}}
"""


def test_other_manifests_get_derived_defaults(tmp_path: Path, make_engine, twin_at) -> None:
    manifest = tmp_path / "other.yaml"
    manifest.write_text(OTHER_APP)
    with twin_at(tmp_path / "other.json", [manifest]) as twin:
        sts = twin.apps.read_namespaced_stateful_set("db", "shop2")
        assert sts.status.replicas == sts.status.ready_replicas == 2
        pods = twin.core.list_namespaced_pod("shop2", label_selector="app=db").items
        assert sorted(p.metadata.name for p in pods) == ["db-0", "db-1"]
        assert pods[0].metadata.owner_references[0].kind == "StatefulSet"
        experiments = twin.custom.list_namespaced_custom_object(*LITMUS, "shop2",
                                                                "chaosexperiments")["items"]
        assert len(experiments) == 11
        body = make_engine("db-kill", "pod-delete", "app=db", appkind="statefulset",
                           env={"PODS_AFFECTED_PERC": "100"})
        body["metadata"]["namespace"] = body["spec"]["appinfo"]["appns"] = "shop2"
        old_uids = {p.metadata.uid for p in pods}
        twin.create_engine(body, namespace="shop2")
        twin.advance(1)
        pods = twin.core.list_namespaced_pod("shop2", label_selector="app=db").items
        assert sorted(p.metadata.name for p in pods) == ["db-0", "db-1"]  # StatefulSet names
        assert not old_uids & {p.metadata.uid for p in pods}
        signals = twin.signals("shop2")
        assert signals["db"]["error_rate_pct"] > 99  # default start 5 s, no probe
        assert signals["web"]["error_rate_pct"] > 99  # edge derived from DB_URL
        _advance_to(twin, 10 + 5 + 1)  # last kill at +10 (15 s run, 5 s interval), 5 s start
        assert twin.signals("shop2")["web"]["error_rate_pct"] < 1
