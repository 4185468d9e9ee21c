"""cAdvisor's container series, as kubelet serves them at /metrics/cadvisor (k8s >= 1.18).

Two series families per container and per pod cgroup (`container=""`), labelled `container, id,
image, name, namespace, pod`: `container_cpu_usage_seconds_total` (counter) and
`container_memory_working_set_bytes` (gauge). As on a node, and unlike an application's /metrics:

- every sample carries its timestamp (epoch ms): kubelet stamps what cAdvisor collected, so
  Prometheus (before 2.48's `track_timestamps_staleness`) writes no staleness marker when a
  series disappears (prometheus-operator/kube-prometheus#695, kubernetes/kubernetes#102938);
- a container that restarts is a new cgroup (new `id` and `name`), whose CPU counter starts at 0;
  a replaced pod's containers are new series under the new `pod` name;
- a container found gone (killed, or its pod deleted) keeps being exposed with its last value and
  last timestamp for LOOKBACK_S of virtual time (Prometheus' default lookback), so `sum()` over a
  service's containers counts the old one and the new one together, as upstream does.

A pod's usage (the model's, split evenly over the service's pods) is split over its containers:
each sidecar (rabbitmq's kbudde/rabbitmq-exporter) takes SIDECAR_SHARE, the first container the
rest, so the pod cgroup still sums to the model's value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from twin.state import ContainerSeries, KObj, State

CPU = ("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.")
MEMORY = ("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
LOOKBACK_S = 300.0  # Prometheus' default query lookback (--query.lookback-delta)
SIDECAR_SHARE = 0.1  # of a pod's CPU and memory, per container after the first


@dataclass(frozen=True)
class PodUsage:
    """One pod's use over the last integration step: CPU seconds and working set now."""

    pod: KObj
    cpu_seconds: float
    memory_bytes: float


def _cgroup(pod: KObj, container: str, restarts: int) -> str:
    uid = pod["metadata"]["uid"]
    if not container:
        return f"/kubepods/burstable/pod{uid}"
    digest = hashlib.sha256(f"{uid}/{container}/{restarts}".encode()).hexdigest()
    return f"/kubepods/burstable/pod{uid}/{digest}"


def _shares(pod: KObj) -> list[tuple[str, str, float]]:
    """(container, image, share of the pod's use) per container; the pod cgroup ('', '', 1)."""
    containers = pod["spec"].get("containers") or []
    first = 1.0 - SIDECAR_SHARE * max(0, len(containers) - 1)
    return [(c.get("name", ""), c.get("image", ""), first if i == 0 else SIDECAR_SHARE)
            for i, c in enumerate(containers)] + [("", "", 1.0)]


def advance(state: State, namespace: str, usage: list[PodUsage], *, wall_ms: int) -> bool:
    """Add a step's usage to the live series of `namespace`'s pods, mark series whose container
    is gone as ended (at `wall_ms`), and drop those ended LOOKBACK_S ago; True if anything changed."""
    live: set[str] = set()
    changed = False
    for use in usage:
        meta = use.pod["metadata"]
        runtime = state.pods.get(f"{namespace}/{meta['name']}")
        restarts = runtime.restarts if runtime else {}
        for container, image, share in _shares(use.pod):
            key = _cgroup(use.pod, container, restarts.get(container, 0))
            live.add(key)
            series = state.containers.get(key)
            if series is None:
                series = state.containers[key] = ContainerSeries(
                    namespace=namespace, pod=meta["name"], container=container, image=image)
                changed = True
            if use.cpu_seconds or series.memory_bytes != use.memory_bytes * share:
                series.cpu_seconds += use.cpu_seconds * share
                series.memory_bytes = use.memory_bytes * share
                changed = True
    for key, series in list(state.containers.items()):
        if series.namespace != namespace or key in live:
            continue
        if series.ended_at is None:
            series.ended_at, series.last_ms, changed = state.now, wall_ms, True
        elif state.now - series.ended_at >= LOOKBACK_S:
            del state.containers[key]
            changed = True
    return changed


def _labels(key: str, series: ContainerSeries) -> str:
    name = f"k8s_{series.container}_{series.pod}_{series.namespace}_{key.rsplit('/', 1)[-1][:12]}" \
        if series.container else ""
    pairs = {"container": series.container, "id": key, "image": series.image, "name": name,
             "namespace": series.namespace, "pod": series.pod}
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs.items()) + "}"


def text(state: State, namespaces: list[str], *, wall_ms: int) -> str:
    """The /metrics/cadvisor exposition of `namespaces`: live series stamped `wall_ms`, gone ones
    with their last timestamp."""
    cpu: list[str] = []
    memory: list[str] = []
    chosen = set(namespaces)
    for key, series in sorted(state.containers.items(),
                              key=lambda item: (item[1].namespace, item[1].pod, item[1].container, item[0])):
        if series.namespace not in chosen:
            continue
        labels, stamp = _labels(key, series), series.last_ms if series.last_ms is not None else wall_ms
        cpu.append(f"{CPU[0]}{labels} {series.cpu_seconds!r} {stamp}")
        memory.append(f"{MEMORY[0]}{labels} {series.memory_bytes!r} {stamp}")
    return "".join(f"# HELP {name} {help_}\n# TYPE {name} {kind}\n" + "".join(f"{line}\n" for line in lines)
                   for (name, kind, help_), lines in ((CPU, cpu), (MEMORY, memory)))
