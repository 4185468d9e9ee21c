"""The twin emulates what the agent's effect and cleanup checks read, through the real client:
new pod uids and creation times after a pod-delete, restart counts after a container-kill, the
runner, experiment and helper pods Litmus makes (``chaosUID=<engine uid>``), cAdvisor usage under
a CPU hog, and a broken engine that reports Pass but injects nothing."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from tests.integration.conftest import NS, Twin


def chaos_pods(twin: Twin, uid: str) -> dict[str, tuple[str, str]]:
    """name -> (component, phase) of the pods labelled chaosUID=uid."""
    return {p.metadata.name: (p.metadata.labels.get("app.kubernetes.io/component", ""), p.status.phase)
            for p in twin.pods(f"chaosUID={uid}")}


def start(twin: Twin, make_engine: Callable[..., dict[str, Any]], name: str, experiment: str, applabel: str,
          **env: str) -> str:
    created = twin.create_engine(make_engine(name, experiment, applabel, env={"TOTAL_CHAOS_DURATION": "30", **env}))
    assert created is not None
    return str(created["metadata"]["uid"])


def test_a_network_fault_runs_helper_pods_on_the_target_nodes_while_injected(
        twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    uid = start(twin, make_engine, "lat", "pod-network-latency", "name=carts")
    twin.advance(1)
    pods = chaos_pods(twin, uid)
    assert pods["lat-runner"] == ("chaos-runner", "Running")
    helpers = [n for n, (role, phase) in pods.items() if role == "experiment-helper" and phase == "Running"]
    [carts] = twin.pods("name=carts")
    [helper] = helpers  # one per node of the target pods
    assert twin.core.read_namespaced_pod(helper, NS).spec.node_name == carts.spec.node_name
    twin.advance(40)  # reverted and completed
    pods = chaos_pods(twin, uid)
    assert not [n for n, (role, _) in pods.items() if role == "experiment-helper"]  # removed at the revert
    assert pods["lat-runner"] == ("chaos-runner", "Succeeded")  # jobCleanUpPolicy: retain keeps it for its logs


def test_an_abort_deletes_every_chaos_pod(twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    uid = start(twin, make_engine, "lossy", "pod-network-loss", "name=carts")
    twin.advance(1)
    assert len(chaos_pods(twin, uid)) == 3  # runner, experiment, one helper
    twin.custom.patch_namespaced_custom_object("litmuschaos.io", "v1alpha1", NS, "chaosengines", "lossy",
                                               {"spec": {"engineState": "stop"}})
    twin.advance(1)
    assert chaos_pods(twin, uid) == {}


def test_pod_delete_gives_new_uids_and_container_kill_a_higher_restart_count(
        twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    [before] = twin.pods("name=catalogue")
    start(twin, make_engine, "del", "pod-delete", "name=catalogue", CHAOS_INTERVAL="30")
    twin.advance(2)
    [after] = twin.pods("name=catalogue")
    assert after.metadata.uid != before.metadata.uid
    assert after.metadata.creation_timestamp > before.metadata.creation_timestamp
    [user] = twin.pods("name=user")
    restarts = user.status.container_statuses[0].restart_count
    start(twin, make_engine, "kill", "container-kill", "name=user", CHAOS_INTERVAL="30")
    twin.advance(2)
    [again] = twin.pods("name=user")
    assert again.metadata.uid == user.metadata.uid
    assert again.status.container_statuses[0].restart_count == restarts + 1


def _cpu_seconds(twin: Twin, pod: str) -> float:
    with urllib.request.urlopen(f"{twin.url}/metrics/cadvisor", timeout=10) as r:
        text = r.read().decode()
    values = [float(m.group(1)) for m in re.finditer(
        rf'container_cpu_usage_seconds_total{{[^}}]*pod="{re.escape(pod)}"[^}}]*}} (\S+)', text)]
    assert values, f"no cAdvisor CPU series for {pod}"
    return sum(values)


def test_a_cpu_hog_raises_the_targets_cadvisor_usage(twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    [carts] = twin.pods("name=carts")
    name = carts.metadata.name
    t0 = _cpu_seconds(twin, name)
    twin.advance(20)
    idle = (_cpu_seconds(twin, name) - t0) / 20
    start(twin, make_engine, "hog", "pod-cpu-hog", "name=carts", CPU_CORES="1", CPU_LOAD="100")
    t1 = _cpu_seconds(twin, name)
    twin.advance(20)
    hogged = (_cpu_seconds(twin, name) - t1) / 20
    assert hogged > idle + 0.2, (idle, hogged)  # cores: the hog's load shows in the usage counter


def test_a_broken_engine_reports_pass_and_injects_nothing(twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    [before] = twin.pods("name=catalogue")
    body = make_engine("fake", "pod-delete", "name=catalogue", env={"TOTAL_CHAOS_DURATION": "30", "CHAOS_INTERVAL": "10"})
    body["metadata"]["annotations"] = {"twin/broken-engine": "true"}
    created = twin.create_engine(body)
    assert created is not None
    twin.advance(1)
    assert twin.get("chaosengines", "fake")["status"]["engineStatus"] == "initialized"
    twin.advance(40)
    assert twin.get("chaosengines", "fake")["status"]["engineStatus"] == "completed"
    assert twin.get("chaosresults", "fake-pod-delete")["status"]["experimentStatus"]["verdict"] == "Pass"
    [after] = twin.pods("name=catalogue")
    assert after.metadata.uid == before.metadata.uid  # nothing was deleted
    assert [p for p in twin.pods(f"chaosUID={created['metadata']['uid']}")
            if p.metadata.labels.get("app.kubernetes.io/component") == "experiment-helper"] == []


def test_every_engine_is_broken_when_the_twin_is_told_so(twin: Twin, make_engine: Callable[..., dict[str, Any]]) -> None:
    request = urllib.request.Request(f"{twin.url}/twin/v1/litmus/broken", data=b'{"broken": true}',
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    bad = urllib.request.Request(f"{twin.url}/twin/v1/litmus/broken", data=b'{"broken": "yes"}',
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad, timeout=10)
    assert refused.value.code == 400 and "broken" in refused.value.read().decode()
    [before] = twin.pods("name=user")
    start(twin, make_engine, "k", "container-kill", "name=user", CHAOS_INTERVAL="30")
    twin.advance(2)
    [after] = twin.pods("name=user")
    assert after.status.container_statuses[0].restart_count == before.status.container_statuses[0].restart_count
