"""A pod's status at a virtual time: Ready, serving, and the status object a client reads.

A pod's status is never stored; it is rendered from its `PodRuntime` at the time asked (the
times it holds are set when its containers start: see `pods.start_runtime`), so readiness,
restarts and the last termination follow from the clock alone.
"""

from __future__ import annotations

import hashlib

from twin.shapes import (
    ConditionReason,
    ConditionStatus,
    Container,
    ContainerStatus,
    PodSpec,
    PodStatus,
    QOSClass,
)
from twin.state import NODE_KEY, KObj, PodRuntime, State, json_copy, okey, rfc3339


def is_ready(runtime: PodRuntime, t: float) -> bool:
    """Ready condition at t (the Service routes traffic to the pod)."""
    return t >= runtime.ready_at


def is_serving(runtime: PodRuntime, t: float) -> bool:
    """Ready and its process has started: requests routed to it succeed."""
    return is_ready(runtime, t) and t >= runtime.process_ready_at


def _digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _container_status(container: Container, pod: KObj, runtime: PodRuntime,
                      t: float) -> ContainerStatus:
    name, image = container["name"], container.get("image", "")
    status: ContainerStatus = {
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


def _qos_class(spec: PodSpec) -> QOSClass:
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
    ready_status: ConditionStatus = "True" if ready else "False"
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    not_ready: ConditionReason = {} if ready else {
        "reason": "ContainersNotReady",
        "message": f"containers with unready status: [{' '.join(names)}]"}
    node = state.bucket(NODE_KEY).get(okey("", pod["spec"].get("nodeName", ""))) or {}
    host_ip = next((a["address"] for a in (node.get("status") or {}).get("addresses", [])
                    if a["type"] == "InternalIP"), "")
    cidr = ((node.get("spec") or {}).get("podCIDR") or "10.244.0.0/24").split(".")
    host = 2 + int(_digest(pod["metadata"]["uid"], 4), 16) % 250
    pod_ip = f"{cidr[0]}.{cidr[1]}.{cidr[2]}.{host}"
    status: PodStatus = {
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
    out["status"] = status
    return out
