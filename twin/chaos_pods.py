"""The pods Litmus makes for a run, all labelled ``chaosUID=<engine uid>`` (what a cleanup check lists).

- the chaos-runner pod ``<engine>-runner`` (chaos-operator ``getChaosRunnerLabels``: ``app``,
  ``chaosUID``, ``app.kubernetes.io/component: chaos-runner``), owned by the engine, made Pending when
  the engine starts, Running once started (``twin.litmus_launch`` has the timing);
- the experiment job's pod (``run.experiment_pod``; the ChaosExperiment's labels, ``job-name``,
  ``chaosUID``), made Pending by the running runner, Running when litmus-go starts;
- litmus-go's helper pods, one per node of the target pods, for the faults that act from inside the
  target's network or process namespaces (every pod-level fault but pod-delete): made at the
  injection, deleted when the chaos is reverted.

At the end: with ``jobCleanUpPolicy: retain`` the runner and experiment pods stay as Succeeded (for
their logs), with ``delete`` they are deleted; an abort (``engineState: stop``) deletes them all,
as the operator's ``reconcileForDelete`` does. Their status is stored (they have no ``PodRuntime``,
so the signal model and the controllers never count them).

A *broken* engine (the annotation ``twin/broken-engine: "true"`` on the ChaosEngine, or
``State.broken_engines`` for every engine: ``POST /twin/v1/litmus/broken``) goes through the motions
and reports Running and then Pass, but injects nothing and makes no helper pods.
"""

from __future__ import annotations

import random
import uuid

from twin.state import NODE_KEY, POD_KEY, FaultRun, KObj, State, okey, rfc3339, stable_suffix

BROKEN_ANNOTATION = "twin/broken-engine"
IMAGE = "litmuschaos.docker.scarf.sh/litmuschaos/go-runner:3.18.0"
NO_HELPER = frozenset({"pod-delete", "node-drain"})  # litmus-go acts through the API server for these


def broken(state: State, engine: KObj) -> bool:
    """Whether this engine should only pretend (see the module docstring)."""
    flag = ((engine.get("metadata") or {}).get("annotations") or {}).get(BROKEN_ANNOTATION, "")
    return state.broken_engines or str(flag).lower() == "true"


def _pod(state: State, run: FaultRun, name: str, labels: dict[str, str], t: float, *,
         node: str, owner: KObj | None = None, phase: str = "Running") -> None:
    # uids and names from the seed and the engine, not the state's generator: the pods Litmus makes
    # must not shift the names the seeded cluster gives its own pods later.
    uid = str(uuid.UUID(int=random.Random(f"{state.seed}/chaos-pod/{run.engine_uid}/{name}").getrandbits(128), version=4))
    meta: KObj = {"name": name, "namespace": run.namespace, "uid": uid,
                  "resourceVersion": state.bump(), "creationTimestamp": rfc3339(t),
                  "labels": {**labels, "chaosUID": run.engine_uid, "app.kubernetes.io/part-of": "litmus"}}
    if owner is not None:
        om = owner["metadata"]
        meta["ownerReferences"] = [{"apiVersion": owner.get("apiVersion", "litmuschaos.io/v1alpha1"),
                                    "kind": "ChaosEngine", "name": om["name"], "uid": om["uid"],
                                    "controller": True, "blockOwnerDeletion": True}]
    container = name.rsplit("-", 1)[0] if name.endswith("-runner") else run.experiment
    state.bucket(POD_KEY)[okey(run.namespace, name)] = {
        "apiVersion": "v1", "kind": "Pod", "metadata": meta,
        "spec": {"containers": [{"name": container, "image": IMAGE}], "restartPolicy": "Never",
                 "nodeName": node, "serviceAccountName": "litmus-admin"},
        "status": _status(phase, t),
    }


def _status(phase: str, t: float) -> KObj:
    running = phase == "Running"
    if phase == "Pending":  # scheduled, its container not started yet
        return {"phase": phase, "conditions": [{"type": "PodScheduled", "status": "True",
                                                "lastTransitionTime": rfc3339(t)}]}
    return {"phase": phase, "startTime": rfc3339(t),
            "conditions": [{"type": "Ready", "status": "True" if running else "False",
                            "lastTransitionTime": rfc3339(t)}]}


def _node(state: State, run: FaultRun) -> str:
    # off a node-drain's target (upstream advises node affinity for its pods there)
    return min((n["metadata"]["name"] for n in state.bucket(NODE_KEY).values() if n["metadata"]["name"] != run.node),
               default="")


def start(state: State, engine: KObj, run: FaultRun, t: float) -> None:
    """The runner pod of a run whose engine the operator reconciles at t: Pending."""
    _pod(state, run, f"{run.engine}-runner", {"app": run.engine, "app.kubernetes.io/component": "chaos-runner"},
         t, node=_node(state, run), owner=engine, phase="Pending")


def job(state: State, run: FaultRun, t: float) -> None:
    """The experiment Job's pod, created by the runner at t: Pending."""
    _pod(state, run, run.experiment_pod, {"name": run.experiment, "job-name": run.experiment_pod.rsplit("-", 1)[0],
                                          "app.kubernetes.io/component": "experiment-job"}, t, node=_node(state, run),
         phase="Pending")


def running(state: State, run: FaultRun, name: str, t: float) -> None:
    """A pod of the run whose container started at t (nothing when it is gone)."""
    pod = state.bucket(POD_KEY).get(okey(run.namespace, name))
    if pod is not None:
        pod["status"] = _status("Running", t)
        pod["metadata"]["resourceVersion"] = state.bump()


def helpers(state: State, run: FaultRun, t: float) -> None:
    """litmus-go's helper pods at the injection: one per node of the target pods."""
    if run.fault in NO_HELPER or run.broken:
        return
    pods = state.bucket(POD_KEY)
    nodes = sorted({(pods.get(okey(x.namespace, x.pod)) or {}).get("spec", {}).get("nodeName", "")
                    for x in run.targets} - {""})
    for node in nodes:
        name = f"{run.experiment}-helper-{stable_suffix(state.seed, run.engine_uid + node + str(t), 5)}"
        _pod(state, run, name, {"app": name, "name": name, "app.kubernetes.io/component": "experiment-helper"},
             t, node=node)


def _mine(state: State, run: FaultRun) -> list[tuple[str, KObj]]:
    return [(k, p) for k, p in state.bucket(POD_KEY).items()
            if (p["metadata"].get("labels") or {}).get("chaosUID") == run.engine_uid]


def end_helpers(state: State, run: FaultRun) -> None:
    """Delete the helper pods once the chaos is reverted."""
    for key, pod in _mine(state, run):
        if pod["metadata"]["labels"].get("app.kubernetes.io/component") == "experiment-helper":
            state.bucket(POD_KEY).pop(key, None)
            state.bump()


def finish(state: State, engine: KObj | None, run: FaultRun, t: float, *, aborted: bool) -> None:
    """The run ended at t: its pods kept as Succeeded (retain) or deleted (delete, or an abort)."""
    keep = not aborted and ((engine or {}).get("spec") or {}).get("jobCleanUpPolicy", "retain") == "retain"
    for key, pod in _mine(state, run):
        helper = pod["metadata"]["labels"].get("app.kubernetes.io/component") == "experiment-helper"
        if keep and not helper:
            pod["status"] = _status("Succeeded", t)
            pod["metadata"]["resourceVersion"] = state.bump()
        else:
            state.bucket(POD_KEY).pop(key, None)
            state.bump()


def remove_all(state: State, engine_uid: str) -> None:
    """Delete every pod labelled ``chaosUID=<engine_uid>`` (the operator's forceRemoveChaosResources)."""
    pods = state.bucket(POD_KEY)
    for key in [k for k, p in pods.items() if (p["metadata"].get("labels") or {}).get("chaosUID") == engine_uid]:
        pods.pop(key)
        state.bump()
