"""Pods of the twin's controllers: creation, replacement and in-place container restarts.

A pod's status is never stored (see `pod_status`); what is stored next to the pod is its
`PodRuntime`, set here whenever its containers start: a container started at s is Ready at
s + process start + readinessProbe.initialDelaySeconds, or at once when it has no readiness
probe (while its process, e.g. Spring Boot, is still starting and failing requests).
"""

from __future__ import annotations

import copy

from twin.owners import controller_of, owner_reference
from twin.shapes import Container, ObjectMeta, PodSpec, PodTemplateSpec
from twin.state import (
    DS_KEY,
    NODE_KEY,
    POD_KEY,
    RS_KEY,
    STS_KEY,
    KObj,
    PodRuntime,
    State,
    Termination,
    okey,
    rfc3339,
)


def _readiness_delay(pod_spec: PodSpec) -> float | None:
    """Longest readiness initialDelaySeconds over containers; None if no container has a probe."""
    delays = [float((c.get("readinessProbe") or {}).get("initialDelaySeconds", 0))
              for c in pod_spec.get("containers") or [] if c.get("readinessProbe")]
    return max(delays) if delays else None


def start_runtime(pod_spec: PodSpec, t: float, start_s: float,
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


def _container_defaults(container: Container) -> None:
    """Fields the API server defaults on a pod's containers."""
    image = container.get("image", "")
    latest = ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")


def _pod_spec_defaults(spec: PodSpec) -> None:
    """Fields the API server defaults on a pod's spec."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("terminationGracePeriodSeconds", 30)


def new_pod(state: State, *, owner: KObj, template: PodTemplateSpec, name: str, t: float,
            start_s: float, extra_labels: dict[str, str] | None = None,
            avoid_node: str = "") -> KObj:
    """Create and store a pod of `owner` from its pod template at virtual time t."""
    namespace = owner["metadata"]["namespace"]
    meta = template.get("metadata") or {}
    spec = copy.deepcopy(template.get("spec") or {})
    spec["nodeName"] = pick_node(state, avoid=avoid_node)
    for container in spec.get("containers") or []:
        _container_defaults(container)
    _pod_spec_defaults(spec)
    metadata: ObjectMeta = {
        "name": name, "namespace": namespace,
        "labels": {**(meta.get("labels") or {}), **(extra_labels or {})},
        "uid": state.new_uid(), "resourceVersion": state.bump(),
        "creationTimestamp": rfc3339(t), "ownerReferences": [owner_reference(owner)],
    }
    if owner["kind"] == "ReplicaSet":
        metadata["generateName"] = f"{owner['metadata']['name']}-"
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])
    pod: KObj = {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}
    state.bucket(POD_KEY)[okey(namespace, name)] = pod
    state.pods[okey(namespace, name)] = start_runtime(spec, t, start_s)
    return pod


def replace_pod(state: State, pod: KObj, t: float, start_s: float) -> KObj:
    """Delete a pod and let its controller recreate it at t (a StatefulSet keeps the name)."""
    namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
    state.bucket(POD_KEY).pop(okey(namespace, name), None)
    state.pods.pop(okey(namespace, name), None)
    ref = controller_of(pod)
    owner_key = {"ReplicaSet": RS_KEY, "DaemonSet": DS_KEY}.get(ref["kind"] if ref else "", STS_KEY)
    owner = state.bucket(owner_key).get(okey(namespace, ref["name"])) if ref else None
    if owner is None:
        return pod
    labels = pod["metadata"].get("labels") or {}
    extra = {k: v for k, v in labels.items()
             if k not in ((owner["spec"]["template"].get("metadata") or {}).get("labels") or {})}
    new_name = name if owner["kind"] == "StatefulSet" else (  # a DaemonSet's pods: a new suffix too
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
