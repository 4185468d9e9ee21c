"""What the Litmus operator and litmus-go write: ChaosEngine status and ChaosResult objects.

Shapes follow chaos-operator / chaos-runner / litmus-go 3.18 (FACTS.md section 4): engine
`engineStatus` initialized | completed | stopped with one `experiments[]` entry per run;
ChaosResult `<engine>-<experiment>` whose `history` counters accumulate across runs. The end of a
run follows litmus-go's `updateResultAttributes`: a failed probe turns any ending into phase
`Completed_With_Probe_Failure` / verdict `Fail` (counted in failedRuns); an `Error` verdict is
counted in no history counter; `probeSuccessPercentage` is "100" on Pass, passed*100/probes on
Fail or Stopped (with probes), else "0"; probes still Awaited end `N/A`.
"""

from __future__ import annotations

from twin.litmus_shapes import (
    ChaosEngineStatus,
    ChaosStatus,
    EngineStatus,
    ExperimentStatus,
    HistoryTarget,
    ProbeStatus,
)
from twin.probes import NOT_EVALUATED, declared
from twin.state import FaultRun, KObj, State, okey, rfc3339
from twin.workloads import stamp

ENGINE_KEY = "litmuschaos.io/v1alpha1/chaosengines"
RESULT_KEY = "litmuschaos.io/v1alpha1/chaosresults"
EXPERIMENT_KEY = "litmuschaos.io/v1alpha1/chaosexperiments"
FINALIZER = "chaosengine.litmuschaos.io/finalizer"


def touch(state: State, obj: KObj, *, generation: bool = True) -> None:
    """Record a write: new resourceVersion; generation too (the CRDs have no status subresource,
    so the API server bumps it for any non-metadata change)."""
    obj["metadata"]["resourceVersion"] = state.bump()
    if generation:
        obj["metadata"]["generation"] = int(obj["metadata"].get("generation", 1)) + 1


def engine_of(state: State, run: FaultRun) -> KObj | None:
    """The ChaosEngine a run belongs to, if it still exists (and is the same object)."""
    engine = state.bucket(ENGINE_KEY).get(okey(run.namespace, run.engine))
    return engine if engine and engine["metadata"].get("uid") == run.engine_uid else None


def set_finalizer(engine: KObj, present: bool) -> None:
    """Add or remove the operator's finalizer."""
    finalizers = [f for f in engine["metadata"].get("finalizers") or [] if f != FINALIZER]
    if present:
        finalizers.append(FINALIZER)
    if finalizers:
        engine["metadata"]["finalizers"] = finalizers
    else:
        engine["metadata"].pop("finalizers", None)


def init_finalizer(engine: KObj) -> None:
    """initEngine: the finalizer is added only to an engine with no finalizers at all (chaos-operator
    3.18.0 chaosengine_controller.go:538-541); a restart first drops the stale one (:516-518)."""
    set_finalizer(engine, not [f for f in engine["metadata"].get("finalizers") or [] if f != FINALIZER])


def write_engine_status(state: State, engine: KObj, run: FaultRun, *, engine_status: EngineStatus,
                        status: str, verdict: str, t: float, pod: str | None = None) -> None:
    """Set the engine's status for the run (one experiments[] entry, Litmus's wording); ``pod``:
    experimentPod when it is not the run's pod ("Yet to be launched", "N/A")."""
    engine_status_object: ChaosEngineStatus = {
        "engineStatus": engine_status,
        "experiments": [{
            "name": run.experiment, "runner": f"{run.engine}-runner",
            "experimentPod": run.experiment_pod if pod is None else pod, "status": status, "verdict": verdict,
            "lastUpdateTime": rfc3339(t),
        }],
    }
    engine["status"] = engine_status_object
    if engine_status != "initialized":
        engine.setdefault("spec", {})["engineState"] = "stop"
    if engine_status == "stopped":
        # Only reconcileForDelete removes it (chaos-operator 3.18.0 chaosengine_controller.go:352-354);
        # a completed engine keeps it while its pods may be retained (:512-514, updateEngineForComplete :690-704).
        set_finalizer(engine, False)
    touch(state, engine)


def _history_targets(run: FaultRun, chaos_status: ChaosStatus) -> list[HistoryTarget]:
    seen: dict[tuple[str, str], HistoryTarget] = {}
    for target in run.targets:
        seen.setdefault((target.kind, target.workload), {
            "name": target.workload, "kind": target.kind, "chaosStatus": chaos_status})
    return list(seen.values())


def start_result(state: State, run: FaultRun, experiment: KObj | None) -> None:
    """Create (or reset, keeping history) the ChaosResult: phase Running, verdict Awaited."""
    bucket = state.bucket(RESULT_KEY)
    key = okey(run.namespace, run.result)
    labels = dict(((experiment or {}).get("spec") or {}).get("definition", {}).get("labels") or {})
    labels["chaosUID"] = run.engine_uid
    result = bucket.get(key)
    if result is None:
        result = stamp(state, {
            "apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosResult",
            "metadata": {"name": run.result, "namespace": run.namespace, "labels": labels},
            "spec": {"engine": run.engine, "experiment": run.experiment},  # instance: omitempty
            "status": {"history": {"passedRuns": 0, "failedRuns": 0, "stoppedRuns": 0,
                                   "targets": []}},
        }, run.started_at)
        bucket[key] = result
    else:
        result["metadata"]["labels"] = {**(result["metadata"].get("labels") or {}), **labels}
        touch(state, result)
    status = result.setdefault("status", {})
    awaited: ExperimentStatus = {"phase": "Running", "verdict": "Awaited",
                                 "probeSuccessPercentage": "Awaited"}
    status["experimentStatus"] = awaited
    status["probeStatuses"] = _probe_statuses(state, run, ended=False)
    history = status.setdefault("history", {})
    for counter in ("passedRuns", "failedRuns", "stoppedRuns"):
        history.setdefault(counter, 0)
    history["targets"] = _history_targets(run, "targeted")


def _probe_statuses(state: State, run: FaultRun, *, ended: bool) -> list[ProbeStatus]:
    """One entry per declared probe: its recorded verdict, else Awaited (N/A once ended)."""
    out: list[ProbeStatus] = []
    for p in declared(engine_of(state, run)):
        verdict, description = run.probes.get(str(p.get("name", "")), ("Awaited", ""))
        if ended and verdict == "Awaited":
            verdict, description = "N/A", NOT_EVALUATED
        entry: ProbeStatus = {"name": str(p.get("name", "")), "type": str(p.get("type", "")),
                              "mode": str(p.get("mode", "")), "status": {"verdict": verdict}}
        if description:
            entry["status"]["description"] = description
        out.append(entry)
    return out


def mark_targets(state: State, run: FaultRun, chaos_status: ChaosStatus) -> None:
    """Update history.targets[].chaosStatus (targeted -> injected -> reverted)."""
    result = state.bucket(RESULT_KEY).get(okey(run.namespace, run.result))
    if result is not None:
        result["status"]["history"]["targets"] = _history_targets(run, chaos_status)
        touch(state, result)


def final_verdict(state: State, run: FaultRun, *, phase: str, verdict: str) -> tuple[str, str, str]:
    """(phase, verdict, probeSuccessPercentage) at the end, as litmus-go derives them."""
    probes = declared(engine_of(state, run))
    passed = sum(1 for p in probes if run.probes.get(str(p.get("name", "")), ("",))[0] == "Passed")
    if any(run.probes.get(str(p.get("name", "")), ("",))[0] == "Failed" for p in probes):
        phase, verdict = "Completed_With_Probe_Failure", "Fail"
    if verdict == "Pass":
        return phase, verdict, "100"
    share = str(passed * 100 // len(probes)) if probes and verdict in ("Fail", "Stopped") else "0"
    return phase, verdict, share


def finish_result(state: State, run: FaultRun, *, phase: str, verdict: str,
                  error: tuple[str, str] | None = None) -> str:
    """Write the final phase/verdict, count the run in history; returns the verdict written."""
    phase, verdict, share = final_verdict(state, run, phase=phase, verdict=verdict)
    result = state.bucket(RESULT_KEY).get(okey(run.namespace, run.result))
    if result is None:
        return verdict
    status = result["status"]
    experiment_status: ExperimentStatus = {"phase": phase, "verdict": verdict, "probeSuccessPercentage": share}
    if error:
        experiment_status["errorOutput"] = {"errorCode": error[0], "reason": error[1]}
    status["experimentStatus"] = experiment_status
    status["probeStatuses"] = _probe_statuses(state, run, ended=True)
    counter = {"Pass": "passedRuns", "Fail": "failedRuns", "Stopped": "stoppedRuns"}.get(verdict)
    if counter:  # an Error verdict is counted nowhere (litmus-go 3.18 updateResultAttributes)
        status["history"][counter] = int(status["history"].get(counter, 0)) + 1
    status["history"]["targets"] = _history_targets(run, "reverted")
    touch(state, result)
    return verdict
