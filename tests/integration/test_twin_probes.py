"""Conformance of the twin's Litmus probes and ChaosResult with upstream, through the real client.

The expected objects are recorded from upstream source, not from the twin:
- chaos-operator 3.18.0 ``api/litmuschaos/v1alpha1/chaosresult_types.go``: field names, and
  ``instance`` / probe ``description`` being omitempty;
- litmus-go 3.18.0 ``pkg/types/types.go`` InitializeProbesInChaosResultDetails (probes start
  ``Awaited``, no description), ``pkg/result/chaosresult.go`` updateResultAttributes (a failed
  probe: phase ``Completed_With_Probe_Failure``, verdict ``Fail``, failedRuns + 1,
  probeSuccessPercentage = passed * 100 / probes, integer division; Stopped: stoppedRuns + 1),
  ``pkg/probe/probe.go`` SetProbeVerdictAfterFailure (``N/A``, "Either probe is not executed or
  not evaluated"), ``pkg/probe/comparator/integer.go`` (the "should be equal to" wording);
- chaos-runner 3.18.0 ``pkg/utils/status.go`` CompletedExperimentStatus: the engine's
  ``experiments[].verdict`` is the ChaosResult's verdict.
"""

from __future__ import annotations

from typing import Any

NS = "sock-shop"
FRONT_END = "http://front-end.sock-shop.svc.cluster.local:80/"
TWIN_START = 1_800_000_000.0


def _http(name: str, mode: str, url: str = FRONT_END) -> dict[str, Any]:
    return {"name": name, "type": "httpProbe", "mode": mode,
            "httpProbe/inputs": {"url": url, "method": {"get": {"criteria": "==", "responseCode": "200"}}},
            "runProperties": {"probeTimeout": "2s", "interval": "1s", "retry": 1}}


K8S_PROBE = {"name": "db-running", "type": "k8sProbe", "mode": "SOT",
             "k8sProbe/inputs": {"version": "v1", "resource": "pods", "namespace": NS,
                                 "labelSelector": "name=catalogue-db", "operation": "present"},
             "runProperties": {"probeTimeout": "1s", "interval": "1s"}}


def _with_probes(body: dict[str, Any], probes: list[dict[str, Any]]) -> dict[str, Any]:
    body["spec"]["experiments"][0]["spec"]["probe"] = probes
    return body


def _result(twin: Any, name: str) -> dict[str, Any]:
    status: dict[str, Any] = twin.get("chaosresults", f"{name}-pod-delete")["status"]
    return status


def test_a_failing_probe_fails_the_verdict_as_litmus_go_does(twin, make_engine) -> None:
    env = {"TOTAL_CHAOS_DURATION": "60", "CHAOS_INTERVAL": "60", "FORCE": "false"}
    probes = [_http("edge-up", "Continuous"), _http("edge-back", "EOT"), K8S_PROBE]
    twin.create_engine(_with_probes(make_engine("fe", "pod-delete", "name=front-end", env=env), probes))
    running = _result(twin, "fe")
    assert running["experimentStatus"] == {"phase": "Running", "verdict": "Awaited", "probeSuccessPercentage": "Awaited"}
    assert running["probeStatuses"] == [
        {"name": "edge-up", "type": "httpProbe", "mode": "Continuous", "status": {"verdict": "Awaited"}},
        {"name": "edge-back", "type": "httpProbe", "mode": "EOT", "status": {"verdict": "Awaited"}},
        {"name": "db-running", "type": "k8sProbe", "mode": "SOT", "status": {"verdict": "Awaited"}},
    ]
    twin.advance(120)
    done = _result(twin, "fe")
    # front-end has no Ready pod for ~30 s (readinessProbe initialDelaySeconds) after the delete,
    # and is back well before the end of the 60 s of chaos
    assert done["experimentStatus"] == {
        "phase": "Completed_With_Probe_Failure", "verdict": "Fail", "probeSuccessPercentage": "33"}
    assert done["probeStatuses"] == [
        {"name": "edge-up", "type": "httpProbe", "mode": "Continuous", "status": {
            "verdict": "Failed",
            "description": f'Get "{FRONT_END}": dial tcp front-end.sock-shop.svc.cluster.local:80: connect: '
                           "connection refused"}},
        {"name": "edge-back", "type": "httpProbe", "mode": "EOT", "status": {"verdict": "Passed"}},
        {"name": "db-running", "type": "k8sProbe", "mode": "SOT", "status": {
            "verdict": "N/A", "description": "Either probe is not executed or not evaluated"}},
    ]
    assert {k: done["history"][k] for k in ("passedRuns", "failedRuns", "stoppedRuns")} == {
        "passedRuns": 0, "failedRuns": 1, "stoppedRuns": 0}
    experiment = twin.get("chaosengines", "fe")["status"]["experiments"][0]
    assert (experiment["status"], experiment["verdict"]) == ("Completed", "Fail")


def test_probes_that_hold_give_pass_and_100(twin, make_engine) -> None:
    # "/" is served by front-end alone: deleting catalogue leaves it answering 200
    env = {"TOTAL_CHAOS_DURATION": "20", "CHAOS_INTERVAL": "20", "FORCE": "false"}
    probes = [_http("home", "Continuous"), _http("home-edge", "Edge")]
    twin.create_engine(_with_probes(make_engine("cat", "pod-delete", "name=catalogue", env=env), probes))
    twin.advance(60)
    done = _result(twin, "cat")
    assert done["experimentStatus"] == {"phase": "Completed", "verdict": "Pass", "probeSuccessPercentage": "100"}
    assert [p["status"] for p in done["probeStatuses"]] == [{"verdict": "Passed"}, {"verdict": "Passed"}]


def test_a_page_whose_backend_is_down_fails_with_500(twin, make_engine) -> None:
    env = {"TOTAL_CHAOS_DURATION": "20", "CHAOS_INTERVAL": "20", "FORCE": "false"}
    probes = [_http("catalogue-page", "OnChaos", url="http://front-end.sock-shop.svc.cluster.local:80/catalogue")]
    twin.create_engine(_with_probes(make_engine("cat", "pod-delete", "name=catalogue", env=env), probes))
    twin.advance(60)
    done = _result(twin, "cat")
    assert done["experimentStatus"]["probeSuccessPercentage"] == "0"
    assert done["probeStatuses"][0]["status"] == {
        "verdict": "Failed", "description": "Actual value: 500. Expected value: should be equal to 200"}


def test_an_abort_leaves_unfinished_probes_not_evaluated(twin, make_engine) -> None:
    env = {"TOTAL_CHAOS_DURATION": "60", "CHAOS_INTERVAL": "60", "FORCE": "false"}
    twin.create_engine(_with_probes(make_engine("cat", "pod-delete", "name=catalogue", env=env),
                                    [_http("home", "Continuous")]))
    twin.advance(10)
    twin.custom.patch_namespaced_custom_object("litmuschaos.io", "v1alpha1", NS, "chaosengines", "cat",
                                               {"spec": {"engineState": "stop"}})
    twin.advance(1)
    done = _result(twin, "cat")
    assert done["experimentStatus"] == {"phase": "Stopped", "verdict": "Stopped", "probeSuccessPercentage": "0"}
    assert done["probeStatuses"][0]["status"] == {
        "verdict": "N/A", "description": "Either probe is not executed or not evaluated"}
    assert done["history"]["stoppedRuns"] == 1


def test_a_probe_tried_several_times_fails_only_when_every_attempt_does(twin, make_engine) -> None:
    # litmus-go pkg/probe/probe.go getAttempts and httpprobe.go retry.Times(attempts).Wait(interval):
    # front-end is back ~30 s after its delete, so 60 attempts 1 s apart outlast the outage; 3 do not
    env = {"TOTAL_CHAOS_DURATION": "60", "CHAOS_INTERVAL": "60", "FORCE": "false"}
    patient, impatient = _http("edge-patient", "OnChaos"), _http("edge-up", "OnChaos")
    patient["runProperties"] = {"probeTimeout": "2s", "interval": "1s", "attempt": 60}
    impatient["runProperties"] = {"probeTimeout": "2s", "interval": "1s", "attempt": 3}
    twin.create_engine(_with_probes(make_engine("fe", "pod-delete", "name=front-end", env=env), [patient, impatient]))
    twin.advance(120)
    done = _result(twin, "fe")
    statuses = {p["name"]: p["status"] for p in done["probeStatuses"]}
    assert statuses["edge-patient"] == {"verdict": "Passed"}
    assert statuses["edge-up"]["verdict"] == "Failed" and "connection refused" in statuses["edge-up"]["description"]
    assert done["experimentStatus"]["probeSuccessPercentage"] == "50"
