"""Deployments, ReplicaSets, StatefulSets and DaemonSets: seeding them with pods, and their status at t.

Controller status (replicas, readyReplicas, availableReplicas, conditions) is computed from the
pods at the time asked, like the controllers would have reported it; zero counts are omitted,
as the API server omits them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Unpack, cast

from twin.owners import controlled_pods, owner_reference, workload_pods
from twin.pod_status import is_ready
from twin.pods import new_pod
from twin.shapes import (
    ControllerStatus,
    DaemonSetStatus,
    DeploymentStatus,
    ReplicaCounts,
    ReplicaSetStatus,
    StatefulSetStatus,
)
from twin.state import (
    DEPLOY_KEY,
    DS_KEY,
    NODE_KEY,
    RS_KEY,
    STS_KEY,
    KObj,
    State,
    json_copy,
    okey,
    rfc3339,
    stable_suffix,
)


def stamp(state: State, obj: KObj, t: float) -> KObj:
    """Give a new object the server-set metadata: uid, resourceVersion, timestamp, generation."""
    meta = obj.setdefault("metadata", {})
    meta["uid"] = state.new_uid()
    meta["resourceVersion"] = state.bump()
    meta["creationTimestamp"] = rfc3339(t)
    meta.setdefault("generation", 1)
    return obj


def replicaset_name(seed: int, deployment: KObj) -> str:
    """`<deployment>-<10 char template hash>`, stable for a seed and deployment."""
    meta = deployment["metadata"]
    return f"{meta['name']}-{stable_suffix(seed, okey(meta['namespace'], meta['name']), 10)}"


def seed_deployment(state: State, deployment: KObj, t: float) -> None:
    """Store a Deployment with its ReplicaSet and `replicas` running pods, created at t."""
    namespace = deployment["metadata"]["namespace"]
    stamp(state, deployment, t)
    state.bucket(DEPLOY_KEY)[okey(namespace, deployment["metadata"]["name"])] = deployment
    rs_name = replicaset_name(state.seed, deployment)
    pod_hash = rs_name.rsplit("-", 1)[1]
    template = copy.deepcopy(deployment["spec"]["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pod_hash
    selector = copy.deepcopy(deployment["spec"].get("selector") or {})
    selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
    replicas = int(deployment["spec"].get("replicas", 1))
    rs = stamp(state, {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": rs_name, "namespace": namespace,
                     "labels": dict(template["metadata"]["labels"]),
                     "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas),
                                     "deployment.kubernetes.io/max-replicas": str(replicas + 1),
                                     "deployment.kubernetes.io/revision": "1"},
                     "ownerReferences": [owner_reference(deployment)]},
        "spec": {"replicas": replicas, "selector": selector, "template": template},
    }, t)
    state.bucket(RS_KEY)[okey(namespace, rs_name)] = rs
    start_s = state.topology.service(deployment["metadata"]["name"]).start_s
    for _ in range(replicas):
        new_pod(state, owner=rs, template=template, name=f"{rs_name}-{state.suffix(5, 'pod')}",
                t=t, start_s=start_s)


def _revision(state: State, sts: KObj) -> str:
    """The StatefulSet's controller revision name (stable per seed)."""
    meta = sts["metadata"]
    return f"{meta['name']}-{stable_suffix(state.seed, okey(meta['namespace'], meta['name']), 10)}"


def seed_statefulset(state: State, sts: KObj, t: float) -> None:
    """Store a StatefulSet with pods `<name>-0..n-1`, created at t."""
    namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
    stamp(state, sts, t)
    state.bucket(STS_KEY)[okey(namespace, name)] = sts
    revision = _revision(state, sts)
    start_s = state.topology.service(name).start_s
    for index in range(int(sts["spec"].get("replicas", 1))):
        pod_name = f"{name}-{index}"
        new_pod(state, owner=sts, template=sts["spec"]["template"], name=pod_name, t=t,
                start_s=start_s, extra_labels={"controller-revision-hash": revision,
                                               "statefulset.kubernetes.io/pod-name": pod_name})


def seed_daemonset(state: State, ds: KObj, t: float) -> None:
    """Store a DaemonSet with one pod on each node, created at t."""
    namespace, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
    stamp(state, ds, t)
    state.bucket(DS_KEY)[okey(namespace, name)] = ds
    start_s = state.topology.service(name).start_s
    for node in sorted(state.bucket(NODE_KEY)):
        pod = new_pod(state, owner=ds, template=ds["spec"]["template"],
                      name=f"{name}-{state.suffix(5, 'pod')}", t=t, start_s=start_s)
        pod["spec"]["nodeName"] = node.removeprefix("/")


def _counts(state: State, pods: list[KObj], t: float) -> tuple[int, int]:
    keys = [okey(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]
    return len(pods), sum(is_ready(state.pods[k], t) for k in keys if k in state.pods)


def _nonzero(**counts: Unpack[ReplicaCounts]) -> ReplicaCounts:
    """The counts that are not zero (the API server omits zero counts)."""
    return cast(ReplicaCounts, {k: v for k, v in counts.items() if v})  # a subset of `counts`


def _max_unavailable(deployment: KObj, replicas: int) -> int:
    rolling = ((deployment["spec"].get("strategy") or {}).get("rollingUpdate") or {})
    value = rolling.get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return int(replicas * int(value[:-1]) / 100)
    return int(value)


def _deployment_status(state: State, obj: KObj, t: float) -> DeploymentStatus:
    meta = obj["metadata"]
    total, ready = _counts(state, workload_pods(state, meta["namespace"], "Deployment",
                                                meta["name"]), t)
    desired = int(obj["spec"].get("replicas", 1))
    available = ready >= desired - _max_unavailable(obj, desired)
    stamp_time = meta["creationTimestamp"]
    return {
        "observedGeneration": meta.get("generation", 1),
        **_nonzero(replicas=total, updatedReplicas=total, readyReplicas=ready,
                   availableReplicas=ready, unavailableReplicas=max(0, desired - ready)),
        "conditions": [
            {"type": "Available", "status": "True" if available else "False",
             "reason": "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if available
             else "Deployment does not have minimum availability.",
             "lastUpdateTime": rfc3339(t), "lastTransitionTime": rfc3339(t)},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": f'ReplicaSet "{replicaset_name(state.seed, obj)}" has successfully '
                        "progressed.", "lastUpdateTime": stamp_time,
             "lastTransitionTime": stamp_time},
        ],
    }


def _replicaset_status(state: State, obj: KObj, t: float) -> ReplicaSetStatus:
    meta = obj["metadata"]
    pods = controlled_pods(state, meta["namespace"], meta["uid"])
    total, ready = _counts(state, pods, t)
    return {"replicas": total, **_nonzero(fullyLabeledReplicas=total, readyReplicas=ready,
                                          availableReplicas=ready),
            "observedGeneration": meta.get("generation", 1)}


def _statefulset_status(state: State, obj: KObj, t: float) -> StatefulSetStatus:
    meta = obj["metadata"]
    total, ready = _counts(state, workload_pods(state, meta["namespace"], "StatefulSet",
                                                meta["name"]), t)
    revision = _revision(state, obj)
    return {"observedGeneration": meta.get("generation", 1), "replicas": total,
            **_nonzero(readyReplicas=ready, currentReplicas=total, updatedReplicas=total,
                       availableReplicas=ready),
            "currentRevision": revision, "updateRevision": revision, "collisionCount": 0}


def _daemonset_status(state: State, obj: KObj, t: float) -> DaemonSetStatus:
    meta = obj["metadata"]
    total, ready = _counts(state, workload_pods(state, meta["namespace"], "DaemonSet", meta["name"]), t)
    return {"observedGeneration": meta.get("generation", 1), "desiredNumberScheduled": total,
            "currentNumberScheduled": total, "numberReady": ready, "numberAvailable": ready,
            "numberMisscheduled": 0, "updatedNumberScheduled": total}


STATUS_RENDERERS: dict[str, Callable[[State, KObj, float], ControllerStatus]] = {
    "Deployment": _deployment_status,
    "ReplicaSet": _replicaset_status,
    "StatefulSet": _statefulset_status,
    "DaemonSet": _daemonset_status,
}


def render_workload(state: State, obj: KObj, t: float) -> KObj:
    """A controller object as served at t, status computed from its pods."""
    out: KObj = json_copy(obj)
    out["status"] = STATUS_RENDERERS[obj["kind"]](state, obj, t)
    return out
