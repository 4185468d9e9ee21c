"""The twin's Litmus operator against upstream's source: when the ChaosEngine finalizer comes and
goes, and what an engine naming a ChaosExperiment that is not installed gets.

Each test names the upstream lines it pins (chaos-operator tag 3.18.0 = af8244e5,
``controllers/chaosengine_controller.go``). Driven through the official kubernetes client.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from kubernetes.client.exceptions import ApiException

NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")
FINALIZER = "chaosengine.litmuschaos.io/finalizer"
QUICK = {"TOTAL_CHAOS_DURATION": "20", "CHAOS_INTERVAL": "10"}


def _engine(twin: Any, name: str) -> dict[str, Any]:
    found: dict[str, Any] = twin.get("chaosengines", name)
    return found


def _chaos_pods(twin: Any, engine: dict[str, Any]) -> list[str]:
    return sorted(p.metadata.name for p in twin.pods(f"chaosUID={engine['metadata']['uid']}"))


def test_a_completed_engine_keeps_the_finalizer_until_it_is_deleted(twin, make_engine) -> None:
    twin.create_engine(make_engine("keep", "pod-delete", "name=carts", env=QUICK))
    # initEngine adds it with engineStatus initialized (:534-549)
    assert _engine(twin, "keep")["metadata"]["finalizers"] == [FINALIZER]
    twin.advance(25)
    done = _engine(twin, "keep")
    assert (done["status"]["engineStatus"], done["spec"]["engineState"]) == ("completed", "stop")
    # updateEngineForComplete (:690-704) and reconcileForComplete (:470-482) leave it; :512-514 says it
    # is retained in a completed engine "as chaos pods may be retained" (jobCleanUpPolicy)
    assert done["metadata"]["finalizers"] == [FINALIZER]
    assert len(_chaos_pods(twin, done)) == 2  # runner and experiment pod, retained
    twin.advance(600)
    assert _engine(twin, "keep")["metadata"]["finalizers"] == [FINALIZER]

    # deletion: reconcileForDelete (:100-103, :323-372) deletes every chaosUID pod, then the finalizer
    twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "keep")
    with pytest.raises(ApiException) as gone:
        _engine(twin, "keep")
    assert gone.value.status == 404
    assert _chaos_pods(twin, done) == []


def test_a_stopped_engine_loses_the_finalizer_and_a_restart_adds_it_again(twin, make_engine) -> None:
    twin.create_engine(make_engine("halt", "pod-delete", "name=carts", env={"TOTAL_CHAOS_DURATION": "120"}))
    twin.advance(5)
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "halt", {"spec": {"engineState": "stop"}})
    stopped = _engine(twin, "halt")
    # engineState stop while initialized -> reconcileForDelete (:123-126), which removes it (:352-354)
    assert stopped["status"]["engineStatus"] == "stopped"
    assert "finalizers" not in stopped["metadata"]
    assert _chaos_pods(twin, stopped) == []
    # active again after an abort: reconcileForRestartAfterAbort, then initEngine adds it (:538-541)
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "halt", {"spec": {"engineState": "active"}})
    again = _engine(twin, "halt")
    assert again["status"]["engineStatus"] == "initialized"
    assert again["metadata"]["finalizers"] == [FINALIZER]


def test_an_engine_with_a_finalizer_of_its_own_gets_none_from_the_operator(twin, make_engine) -> None:
    body = make_engine("owned", "pod-delete", "name=carts", env=QUICK)
    body["metadata"]["finalizers"] = ["example.com/keep"]
    twin.create_engine(body)
    engine = _engine(twin, "owned")
    # initEngine appends its finalizer only `if engine.Instance.ObjectMeta.Finalizers == nil` (:539)
    assert engine["status"]["engineStatus"] == "initialized"
    assert engine["metadata"]["finalizers"] == ["example.com/keep"]


def test_an_engine_naming_a_missing_experiment_launches_nothing_until_it_is_installed(twin, make_engine) -> None:
    twin.create_engine(make_engine("no-exp", "pod-deletion", "name=carts", env=QUICK))
    held = _engine(twin, "no-exp")
    # initEngine ran (:528-553): initialized, finalizer; newGoRunnerPodForCR cannot Get the
    # ChaosExperiment (:171-175), so no runner pod, no experiments[] status (the runner writes those:
    # chaos-runner InitialPatchEngine), no ChaosResult (litmus-go writes it); requeued with backoff
    assert held["status"] == {"engineStatus": "initialized"}
    assert held["spec"]["engineState"] == "active"
    assert held["metadata"]["finalizers"] == [FINALIZER]
    assert _chaos_pods(twin, held) == []
    with pytest.raises(ApiException) as missing:
        twin.get("chaosresults", "no-exp-pod-deletion")
    assert missing.value.status == 404
    version = held["metadata"]["resourceVersion"]
    twin.advance(600)  # it waits, and nothing is rewritten meanwhile
    assert _engine(twin, "no-exp")["metadata"]["resourceVersion"] == version
    assert twin.pods("name=carts")[0].status.container_statuses[0].restart_count == 0

    # installing the ChaosExperiment lets the next reconcile start the run
    experiment = copy.deepcopy(twin.get("chaosexperiments", "pod-delete"))
    experiment["metadata"] = {"name": "pod-deletion", "namespace": NS}
    twin.custom.create_namespaced_custom_object(*LITMUS, NS, "chaosexperiments", experiment)
    twin.advance(1)
    started = _engine(twin, "no-exp")
    assert started["status"]["experiments"][0]["status"] == "Running"
    assert len(_chaos_pods(twin, started)) == 2


def test_stopping_an_engine_that_never_launched_stops_it_and_drops_the_finalizer(twin, make_engine) -> None:
    twin.create_engine(make_engine("no-exp", "pod-deletion", "name=carts"))
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "no-exp", {"spec": {"engineState": "stop"}})
    stopped = _engine(twin, "no-exp")
    # reconcileForDelete: no pods to delete, no experiments to mark aborted (:673-681), stopped (:358)
    assert stopped["status"] == {"engineStatus": "stopped"}
    assert "finalizers" not in stopped["metadata"]


# --- before litmus-go starts: the operator's and the chaos-runner's writes, with their timing ---------
# With the upstream timeline on (runner pod 2 s, then experiment pod 2 s to start: twin.litmus_launch).
# chaos-runner tag 3.18.0 = 173b5ff6: bin/runner.go, pkg/utils/{initialPatchEngine,status,watchChaosContainer}.go.

def _realistic(twin: Any) -> None:
    assert twin._call("/twin/v1/litmus/launch", {"runner_s": 2, "job_s": 2}) == {"runner_s": 2.0, "job_s": 2.0}


def _phases(twin: Any, engine: dict[str, Any]) -> dict[str, str]:
    return {p.metadata.labels["app.kubernetes.io/component"]: p.status.phase
            for p in twin.pods(f"chaosUID={engine['metadata']['uid']}")}


def test_pre_launch_statuses_follow_the_runner_and_the_experiment_pod(twin, make_engine, twin_start) -> None:
    _realistic(twin)
    original = twin.pods("name=catalogue")[0].metadata.name
    twin.create_engine(make_engine("early", "pod-delete", "name=catalogue", env={"TOTAL_CHAOS_DURATION": "30"}))
    created = _engine(twin, "early")
    # t0: initEngine (:528-553) and the runner pod created (:589-604), not yet running; no experiments[]
    assert created["status"] == {"engineStatus": "initialized"}
    assert created["metadata"]["finalizers"] == [FINALIZER]
    assert _phases(twin, created) == {"chaos-runner": "Pending"}
    with pytest.raises(ApiException):
        twin.get("chaosresults", "early-pod-delete")

    twin.advance(2)  # the runner runs: InitialPatchEngine (initialPatchEngine.go:15-34, status.go:9-16)
    waiting = _engine(twin, "early")["status"]
    assert waiting == {"engineStatus": "initialized", "experiments": [{
        "name": "pod-delete", "runner": "early-runner", "experimentPod": "Yet to be launched",
        "status": "Waiting for Job Creation", "verdict": "N/A", "lastUpdateTime": "2027-01-15T08:00:02Z"}]}
    assert _phases(twin, created) == {"chaos-runner": "Running", "experiment-job": "Pending"}
    with pytest.raises(ApiException):
        twin.get("chaosresults", "early-pod-delete")
    assert twin.pods("name=catalogue")[0].metadata.name == original  # nothing injected yet

    twin.advance(2)  # the experiment pod runs: AwaitedExperimentStatus (watchChaosContainer.go:110-118)
    [entry] = _engine(twin, "early")["status"]["experiments"]
    assert (entry["status"], entry["verdict"], entry["lastUpdateTime"]) == ("Running", "Awaited", "2027-01-15T08:00:04Z")
    assert entry["experimentPod"].startswith("pod-delete-") and entry["experimentPod"] != "Yet to be launched"
    assert _phases(twin, created) == {"chaos-runner": "Running", "experiment-job": "Running"}
    result = twin.get("chaosresults", "early-pod-delete")
    assert result["status"]["experimentStatus"] == {"phase": "Running", "verdict": "Awaited",
                                                    "probeSuccessPercentage": "Awaited"}
    assert result["metadata"]["creationTimestamp"] == "2027-01-15T08:00:04Z"  # litmus-go writes it as it starts
    assert twin.pods("name=catalogue")[0].metadata.name != original  # RAMP_TIME 0: injected at its start
    twin.advance(30)
    assert _engine(twin, "early")["status"]["engineStatus"] == "completed"


def test_a_stop_while_waiting_aborts_the_waiting_entry_and_one_before_the_runner_none(twin, make_engine) -> None:
    _realistic(twin)
    twin.create_engine(make_engine("wait", "pod-delete", "name=carts"))
    twin.create_engine(make_engine("soon", "pod-delete", "name=carts"))
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "soon", {"spec": {"engineState": "stop"}})
    assert _engine(twin, "soon")["status"] == {"engineStatus": "stopped"}  # nothing the runner wrote to abort
    twin.advance(3)
    twin.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", "wait", {"spec": {"engineState": "stop"}})
    stopped = _engine(twin, "wait")
    # updateExperimentStatusesForStop (:673-681): Running or "Waiting for Job Creation" -> Forcefully Aborted
    assert stopped["status"]["engineStatus"] == "stopped"
    assert [(e["status"], e["verdict"]) for e in stopped["status"]["experiments"]] == [("Forcefully Aborted", "Stopped")]
    assert _chaos_pods(twin, stopped) == []
    with pytest.raises(ApiException):
        twin.get("chaosresults", "wait-pod-delete")  # litmus-go never started


def test_an_experiment_deleted_before_the_runner_starts_is_not_found_by_it(twin, make_engine) -> None:
    _realistic(twin)
    twin.create_engine(make_engine("race", "pod-network-loss", "name=carts"))
    twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosexperiments", "pod-network-loss")
    twin.advance(2)
    engine = _engine(twin, "race")
    # bin/runner.go:79-83 -> ExperimentNotFoundPatchEngine (expNotFoundPatch.go, status.go:40-47); the
    # runner exits, the operator completes the engine (updateEngineForComplete :690-704)
    assert engine["status"]["experiments"] == [{
        "name": "pod-network-loss", "runner": "race-runner", "experimentPod": "N/A",
        "status": "ChaosExperiment Not Found", "verdict": "Fail", "lastUpdateTime": "2027-01-15T08:00:02Z"}]
    assert (engine["status"]["engineStatus"], engine["spec"]["engineState"]) == ("completed", "stop")
    assert _phases(twin, engine) == {"chaos-runner": "Succeeded"}  # retained (jobCleanUpPolicy: retain)
    with pytest.raises(ApiException):
        twin.get("chaosresults", "race-pod-network-loss")


def test_a_bad_launch_setting_is_refused_and_changes_nothing(twin) -> None:
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as refused:
        twin._call("/twin/v1/litmus/launch", {"runner_s": -1, "job_s": 2})
    assert refused.value.code == 400
    assert "runner_s" in refused.value.read().decode()
    assert twin._call("/twin/v1/litmus/launch") == {"runner_s": 0.0, "job_s": 0.0}


def test_the_agent_reads_a_never_launched_engine_as_chaos_that_never_started(deps) -> None:
    from agent.run.monitor import overrun
    from tests.integration.conftest import connect, engine

    twin = connect(str(deps.cluster.server))  # type: ignore[attr-defined]
    twin.create_engine(engine("held", "pod-deletion", "name=carts"))
    status = deps.cluster.engine_status(NS, "held", "pod-deletion")  # the kubernetes adapter, over HTTP
    assert (status.engine_status, status.experiment_status, status.phase, status.finished) == (
        "initialized", None, None, False)
    note, reason = overrun(status, over=121, duration_s=60, engine=f"{NS}/held")
    assert note == reason and reason.startswith(f"the chaos never started: {NS}/held still initialized")
    assert "ChaosExperiment is found in its namespace" in reason
