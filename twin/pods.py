"""Pods and their controllers: creation, replacement, restarts, and status at a virtual time.

A pod's status is never stored; it is rendered from its `PodRuntime` at the time asked, so
readiness follows from the clock alone: a container started at s is Ready at
s + process start + readinessProbe.initialDelaySeconds, or at once when it has no readiness
probe (while its process, e.g. Spring Boot, is still starting and failing requests).
"""

from __future__ import annotations

import copy
import hashlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from twin.state import (
    KObj,
    PodRuntime,
    State,
    Termination,
    json_copy,
    rfc3339,
    stable_suffix,
)

POD_KEY = "core/v1/pods"
NODE_KEY = "core/v1/nodes"
RS_KEY = "apps/v1/replicasets"
DEPLOY_KEY = "apps/v1/deployments"
STS_KEY = "apps/v1/statefulsets"


def okey(namespace: str, name: str) -> str:
    """How objects are keyed in the state: 'namespace/name' ('' namespace if cluster-scoped)."""
    return f"{namespace}/{name}"


def owner_reference(owner: KObj) -> dict[str, Any]:
    """A controller ownerReference pointing at `owner`."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: KObj) -> dict[str, Any] | None:
    """The controller ownerReference of an object, if any."""
    refs = obj["metadata"].get("ownerReferences") or []
    return next((r for r in refs if r.get("controller")), None)


def top_owner(state: State, pod: KObj) -> tuple[str, str] | None:
    """(kind, name) of the workload owning a pod: a ReplicaSet resolves to its Deployment."""
    ref = controller_of(pod)
    if ref is None:
        return None
    if ref["kind"] == "ReplicaSet":
        rs = state.bucket(RS_KEY).get(okey(pod["metadata"]["namespace"], ref["name"]))
        parent = controller_of(rs) if rs else None
        return (parent["kind"], parent["name"]) if parent else ("ReplicaSet", ref["name"])
    return ref["kind"], ref["name"]


@dataclass
class OwnerIndex:
    """Pods grouped by owner, valid while the pod and ReplicaSet objects stay the same ones."""

    state: weakref.ref[State]
    pods: tuple[KObj, ...]
    replicasets: tuple[KObj, ...]
    by_workload: dict[tuple[str, str, str], list[KObj]] = field(default_factory=dict)
    by_controller: dict[tuple[str, str], list[KObj]] = field(default_factory=dict)


_INDEXES: dict[int, OwnerIndex] = {}  # id(state) -> index; a few states at most per process
_INDEX_LOCK = threading.Lock()
_PINNED: ContextVar[OwnerIndex | None] = ContextVar("twin_pinned_owner_index", default=None)


@contextmanager
def pinned_owner_index(state: State) -> Iterator[None]:
    """Check the owner index once for a read-only stretch (rendering a page of controllers)
    instead of once per controller; nothing may add or remove pods inside the block."""
    token = _PINNED.set(owner_index(state))
    try:
        yield
    finally:
        _PINNED.reset(token)


def owner_index(state: State) -> OwnerIndex:
    """Pods by (namespace, kind, name) of their top owner and by (namespace, controller uid).

    Rendering a controller's status needs its pods; scanning every pod for each of 2,000
    Deployments is quadratic, so the grouping is built once and reused for as long as the pod
    and ReplicaSet buckets hold the very same objects (writes replace objects, never edit their
    ownership in place; identity comparison makes the check O(pods), with no deep compare)."""
    pinned = _PINNED.get()
    if pinned is not None and pinned.state() is state:
        return pinned
    pods = tuple(state.bucket(POD_KEY).values())
    replicasets = tuple(state.bucket(RS_KEY).values())
    with _INDEX_LOCK:
        cached = _INDEXES.get(id(state))
    if (cached is not None and cached.state() is state and len(cached.pods) == len(pods)
            and len(cached.replicasets) == len(replicasets)
            and all(a is b for a, b in zip(cached.pods, pods, strict=True))
            and all(a is b for a, b in zip(cached.replicasets, replicasets, strict=True))):
        return cached
    index = OwnerIndex(weakref.ref(state), pods, replicasets)
    for pod in pods:
        namespace = pod["metadata"]["namespace"]
        owner = top_owner(state, pod)
        if owner is not None:
            index.by_workload.setdefault((namespace, *owner), []).append(pod)
        ref = controller_of(pod)
        if ref is not None and ref.get("uid") is not None:
            index.by_controller.setdefault((namespace, ref["uid"]), []).append(pod)
    for group in index.by_workload.values():
        group.sort(key=lambda p: p["metadata"]["name"])
    with _INDEX_LOCK:
        for key in [k for k, v in _INDEXES.items() if v.state() is None]:
            del _INDEXES[key]
        _INDEXES[id(state)] = index
    return index


def workload_pods(state: State, namespace: str, kind: str, name: str) -> list[KObj]:
    """The pods of a Deployment or StatefulSet, sorted by name."""
    return list(owner_index(state).by_workload.get((namespace, kind, name), []))


def controlled_pods(state: State, namespace: str, controller_uid: str) -> list[KObj]:
    """The pods whose controller ownerReference has this uid (a ReplicaSet's pods)."""
    return list(owner_index(state).by_controller.get((namespace, controller_uid), []))


def _readiness_delay(pod_spec: dict[str, Any]) -> float | None:
    """Longest readiness initialDelaySeconds over containers; None if no container has a probe."""
    delays = [float((c.get("readinessProbe") or {}).get("initialDelaySeconds", 0))
              for c in pod_spec.get("containers") or [] if c.get("readinessProbe")]
    return max(delays) if delays else None


def start_runtime(pod_spec: dict[str, Any], t: float, start_s: float,
                  previous: PodRuntime | None = None) -> PodRuntime:
    """Runtime of containers (re)started at t whose process needs start_s to serve."""
    delay = _readiness_delay(pod_spec)
    ready_at = t if delay is None else t + start_s + delay
    return PodRuntime(started_at=t, process_ready_at=t + start_s, ready_at=ready_at,
                      restarts=dict(previous.restarts) if previous else {},
                      last_termination=previous.last_termination if previous else None)


def pick_node(state: State, *, avoid: str = "") -> str:
    """A schedulable node for a new pod, chosen with the seeded generator."""
    nodes = sorted(n["metadata"]["name"] for n in state.bucket(NODE_KEY).values()
                   if not (n.get("spec") or {}).get("unschedulable"))
    choices = [n for n in nodes if n != avoid] or nodes
    return state.rng("node").choice(choices) if choices else ""


def _container_defaults(container: dict[str, Any]) -> None:
    """Fields the API server defaults on a pod's containers."""
    image = container.get("image", "")
    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")


def new_pod(state: State, *, owner: KObj, template: dict[str, Any], name: str, t: float,
            start_s: float, extra_labels: dict[str, str] | None = None,
            avoid_node: str = "") -> KObj:
    """Create and store a pod of `owner` from its pod template at virtual time t."""
    namespace = owner["metadata"]["namespace"]
    meta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec["nodeName"] = pick_node(state, avoid=avoid_node)
    for container in spec.get("containers") or []:
        _container_defaults(container)
    for key, default in (("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"),
                         ("schedulerName", "default-scheduler"), ("serviceAccountName", "default"),
                         ("terminationGracePeriodSeconds", 30)):
        spec.setdefault(key, default)
    metadata: dict[str, Any] = {
        "name": name, "namespace": namespace,
        "labels": {**(meta.get("labels") or {}), **(extra_labels or {})},
        "uid": state.new_uid(), "resourceVersion": state.bump(),
        "creationTimestamp": rfc3339(t), "ownerReferences": [owner_reference(owner)],
    }
    if owner["kind"] == "ReplicaSet":
        metadata["generateName"] = f"{owner['metadata']['name']}-"
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    state.bucket(POD_KEY)[okey(namespace, name)] = pod
    state.pods[okey(namespace, name)] = start_runtime(spec, t, start_s)
    return pod


def replace_pod(state: State, pod: KObj, t: float, start_s: float) -> KObj:
    """Delete a pod and let its controller recreate it at t (a StatefulSet keeps the name)."""
    namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    state.bucket(POD_KEY).pop(okey(namespace, name), None)
    state.pods.pop(okey(namespace, name), None)
    ref = controller_of(pod)
    owner_key = RS_KEY if ref and ref["kind"] == "ReplicaSet" else STS_KEY
    owner = state.bucket(owner_key).get(okey(namespace, ref["name"])) if ref else None
    if owner is None:
        return pod
    labels = pod["metadata"].get("labels") or {}
    extra = {k: v for k, v in labels.items()
             if k not in ((owner["spec"]["template"].get("metadata") or {}).get("labels") or {})}
    new_name = name if owner["kind"] == "StatefulSet" else (
        f"{owner['metadata']['name']}-{state.suffix(5, 'pod')}")
    return new_pod(state, owner=owner, template=owner["spec"]["template"], name=new_name, t=t,
                   start_s=start_s, extra_labels=extra)


def restart_container(state: State, pod: KObj, t: float, *, start_s: float, reason: str,
                      exit_code: int, container: str = "") -> None:
    """Kill a container in place at t: same pod, restartCount + 1, ready again after start."""
    key = okey(pod["metadata"]["namespace"], pod["metadata"]["name"])
    previous = state.pods[key]
    name = container or pod["spec"]["containers"][0]["name"]
    runtime = start_runtime(pod["spec"], t, start_s, previous)
    runtime.restarts[name] = runtime.restarts.get(name, 0) + 1
    runtime.last_termination = Termination(reason=reason, exit_code=exit_code,
                                           started_at=previous.started_at, finished_at=t)
    state.pods[key] = runtime
    pod["metadata"]["resourceVersion"] = state.bump()


def is_ready(runtime: PodRuntime, t: float) -> bool:
    """Ready condition at t (the Service routes traffic to the pod)."""
    return t >= runtime.ready_at


def is_serving(runtime: PodRuntime, t: float) -> bool:
    """Ready and its process has started: requests routed to it succeed."""
    return is_ready(runtime, t) and t >= runtime.process_ready_at


def _digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _container_status(container: dict[str, Any], pod: KObj, runtime: PodRuntime,
                      t: float) -> dict[str, Any]:
    name, image = container["name"], container.get("image", "")
    status: dict[str, Any] = {
        "name": name, "ready": is_ready(runtime, t), "started": True,
        "restartCount": runtime.restarts.get(name, 0), "image": image,
        "imageID": f"docker.io/{image.split(':')[0]}@sha256:{_digest(image)}",
        "containerID": f"containerd://{_digest(pod['metadata']['uid'] + name)}",
        "state": {"running": {"startedAt": rfc3339(runtime.started_at)}}, "lastState": {},
    }
    last = runtime.last_termination
    if last and runtime.restarts.get(name):
        status["lastState"] = {"terminated": {
            "exitCode": last.exit_code, "reason": last.reason,
            "startedAt": rfc3339(last.started_at), "finishedAt": rfc3339(last.finished_at)}}
    return status


def _qos_class(spec: dict[str, Any]) -> str:
    resources = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(r.get("limits") and r.get("limits") == r.get("requests", r.get("limits"))
                     for r in resources)
    return "Guaranteed" if guaranteed else "Burstable"


def render_pod(state: State, pod: KObj, t: float) -> KObj:
    """The pod as served at virtual time t, with its status computed from the runtime."""
    out: KObj = json_copy(pod)
    runtime = state.pods.get(okey(pod["metadata"]["namespace"], pod["metadata"]["name"]))
    if runtime is None:
        return out
    ready = is_ready(runtime, t)
    created = pod["metadata"]["creationTimestamp"]
    since = rfc3339(runtime.ready_at if ready else runtime.started_at)
    ready_status = "True" if ready else "False"
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    not_ready = {} if ready else {"reason": "ContainersNotReady",
                                  "message": f"containers with unready status: [{' '.join(names)}]"}
    node = state.bucket(NODE_KEY).get(okey("", pod["spec"].get("nodeName", ""))) or {}
    host_ip = next((a["address"] for a in (node.get("status") or {}).get("addresses", [])
                    if a["type"] == "InternalIP"), "")
    cidr = ((node.get("spec") or {}).get("podCIDR") or "10.244.0.0/24").split(".")
    host = 2 + int(_digest(pod["metadata"]["uid"], 4), 16) % 250
    pod_ip = f"{cidr[0]}.{cidr[1]}.{cidr[2]}.{host}"
    out["status"] = {
        "phase": "Running",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": created},
            {"type": "Ready", "status": ready_status, "lastProbeTime": None,
             "lastTransitionTime": since, **not_ready},
            {"type": "ContainersReady", "status": ready_status, "lastProbeTime": None,
             "lastTransitionTime": since, **not_ready},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
             "lastTransitionTime": created},
        ],
        "hostIP": host_ip, "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": created,
        "containerStatuses": [_container_status(c, pod, runtime, t)
                              for c in pod["spec"].get("containers") or []],
        "qosClass": _qos_class(pod["spec"]),
    }
    return out


def replicaset_name(seed: int, deployment: KObj) -> str:
    """`<deployment>-<10 char template hash>`, stable for a seed and deployment."""
    meta = deployment["metadata"]
    return f"{meta['name']}-{stable_suffix(seed, okey(meta['namespace'], meta['name']), 10)}"
