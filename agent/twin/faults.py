"""What each Litmus fault does to the twin's pods, following litmus-go 3.18.

Two halves: `select_targets` picks pods the way litmus-go does (pods by `applabel` in `appns`
whose top owner kind is `appkind`; `PODS_AFFECTED_PERC` of them, at least one), and the fault
acts either by changing pods at an instant (`act`: pod-delete, container-kill, OOM kill,
eviction, drain) or through effects that hold while the fault is injected (`pod_effects`:
latency, loss, CPU and memory pressure, DNS errors), which the signal model reads at time t.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from agent.twin.pods import (
    NODE_KEY,
    POD_KEY,
    okey,
    replace_pod,
    restart_container,
    top_owner,
)
from agent.twin.selectors import labels_match, parse_label_selector
from agent.twin.state import FaultRun, KObj, State, Target
from agent.twin.units import cpu_millicores, memory_mib

INSTANT_FAULTS = {"pod-delete", "container-kill", "pod-memory-hog", "disk-fill", "node-drain"}
EFFECT_FAULTS = {"pod-network-latency", "pod-network-loss", "pod-network-corruption",
                 "pod-network-duplication", "pod-cpu-hog", "pod-memory-hog", "pod-dns-error"}
SUPPORTED_FAULTS = INSTANT_FAULTS | EFFECT_FAULTS
REPEATING_FAULTS = {"pod-delete", "container-kill"}
NODE_CPU_M = 4000.0


class FaultError(Exception):
    """A failure litmus-go would report in the ChaosResult (errorOutput)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def number(params: dict[str, str], name: str, default: float = 0.0) -> float:
    """An env value as a number; empty or malformed values mean the default."""
    try:
        return float(params.get(name) or default)
    except ValueError:
        return default


def _candidates(state: State, engine: KObj, params: dict[str, str]) -> list[KObj]:
    spec, namespace = engine.get("spec") or {}, engine["metadata"]["namespace"]
    info = spec.get("appinfo") or {}
    app_ns, label, kind = info.get("appns") or namespace, info.get("applabel") or "", (
        info.get("appkind") or "").lower()
    pods = [p for p in state.bucket(POD_KEY).values() if p["metadata"]["namespace"] == app_ns]
    if names := [n.strip() for n in params.get("TARGET_PODS", "").split(",") if n.strip()]:
        return [p for p in pods if p["metadata"]["name"] in names]
    selected = _selector_pods(state, spec.get("selectors") or {})
    if selected is not None:
        return selected
    if not label:
        raise FaultError("TARGET_SELECTION_ERROR",
                         "please provide either of the appLabel or TARGET_PODS")
    requirements = parse_label_selector(label)
    return [p for p in pods if labels_match(requirements, p["metadata"].get("labels"))
            and (not kind or (top_owner(state, p) or ("", ""))[0].lower() == kind)]


def _selector_pods(state: State, selectors: dict[str, Any]) -> list[KObj] | None:
    """Pods chosen by the 3.x `selectors` (pods by name, or workloads by name/label)."""
    if not selectors:
        return None
    chosen = []
    for pod in state.bucket(POD_KEY).values():
        meta = pod["metadata"]
        owner = top_owner(state, pod) or ("", "")
        for entry in selectors.get("pods") or []:
            if meta["namespace"] == entry.get("namespace") and meta["name"] in _names(entry):
                chosen.append(pod)
        for entry in selectors.get("workloads") or []:
            if meta["namespace"] != entry.get("namespace") or owner[0].lower() != entry.get(
                    "kind", "").lower():
                continue
            by_name = owner[1] in _names(entry)
            by_label = bool(entry.get("labels")) and labels_match(
                parse_label_selector(entry["labels"]), meta.get("labels"))
            if by_name or by_label:
                chosen.append(pod)
    return chosen


def _names(entry: dict[str, Any]) -> list[str]:
    return [n.strip() for n in str(entry.get("names", "")).split(",") if n.strip()]


def select_targets(state: State, engine: KObj, params: dict[str, str],
                   purpose: str) -> list[Target]:
    """The pods a fault acts on now; raises FaultError like litmus-go when there are none."""
    pods = sorted(_candidates(state, engine, params), key=lambda p: p["metadata"]["name"])
    if not pods:
        raise FaultError("TARGET_SELECTION_ERROR", "no target pods found")
    percent = number(params, "PODS_AFFECTED_PERC")
    count = max(1, math.floor(percent * len(pods) / 100)) if percent > 0 else 1
    picked = state.rng(purpose).sample(pods, min(count, len(pods)))
    return [Target(namespace=p["metadata"]["namespace"], pod=p["metadata"]["name"],
                   workload=(top_owner(state, p) or ("", p["metadata"]["name"]))[1],
                   kind=(top_owner(state, p) or ("Pod", ""))[0].lower())
            for p in sorted(picked, key=lambda p: p["metadata"]["name"])]


def _pod(state: State, target: Target) -> KObj | None:
    return state.bucket(POD_KEY).get(okey(target.namespace, target.pod))


def _container(pod: KObj, params: dict[str, str]) -> dict[str, Any]:
    containers = pod["spec"].get("containers") or [{}]
    wanted = params.get("TARGET_CONTAINER", "")
    return next((c for c in containers if c.get("name") == wanted), containers[0])


def _start_s(state: State, target: Target) -> float:
    return state.topology.service(target.workload).start_s


def act(state: State, run: FaultRun, targets: list[Target], t: float) -> None:
    """The instant part of a fault at t: delete, kill, OOM-kill, evict or drain target pods."""
    for target in targets:
        pod = _pod(state, target)
        if pod is None:
            continue
        if run.fault == "pod-delete":
            new = replace_pod(state, pod, t, _start_s(state, target))
            runtime = state.pods[okey(target.namespace, new["metadata"]["name"])]
            run.log(t, f"pod {target.pod} deleted; replaced by {new['metadata']['name']} "
                       f"(NotReady for {runtime.ready_at - t:.0f}s, process starts in "
                       f"{runtime.process_ready_at - t:.0f}s)")
        elif run.fault == "container-kill":
            name = _container(pod, run.params)["name"]
            restart_container(state, pod, t, start_s=_start_s(state, target), reason="Error",
                              exit_code=137, container=name)
            run.log(t, f"container {name} of pod {target.pod} killed (SIGKILL)")
        elif run.fault == "pod-memory-hog" and _oom(state, pod, run.params, target):
            name = _container(pod, run.params)["name"]
            restart_container(state, pod, t, start_s=_start_s(state, target), reason="OOMKilled",
                              exit_code=137, container=name)
            run.log(t, f"container {name} of pod {target.pod} OOMKilled: memory limit exceeded")
        elif run.fault == "disk-fill":
            _disk_fill(state, run, pod, target, t)


def _oom(state: State, pod: KObj, params: dict[str, str], target: Target) -> bool:
    limit = memory_mib(((_container(pod, params).get("resources") or {}).get("limits") or {})
                       .get("memory"))
    base = state.topology.service(target.workload).memory_mib
    wanted = number(params, "MEMORY_CONSUMPTION", 500) * 1e6 / 2**20
    return limit is not None and base + wanted > limit


def _disk_fill(state: State, run: FaultRun, pod: KObj, target: Target, t: float) -> None:
    limits = (_container(pod, run.params).get("resources") or {}).get("limits") or {}
    limit = memory_mib(limits.get("ephemeral-storage"))
    if limit is None and not run.params.get("EPHEMERAL_STORAGE_MEBIBYTES"):
        raise FaultError("CHAOS_INJECT_ERROR", "either provide ephemeral storage limit inside "
                         "target container or define EPHEMERAL_STORAGE_MEBIBYTES ENV")
    if limit is not None and number(run.params, "FILL_PERCENTAGE", 80) >= 100:
        new = replace_pod(state, pod, t, _start_s(state, target))
        run.log(t, f"pod {target.pod} evicted: ephemeral-storage usage exceeds the container "
                   f"limit; replaced by {new['metadata']['name']}")
    else:
        run.log(t, f"disk of pod {target.pod} filled; below the eviction threshold")


def drain(state: State, run: FaultRun, t: float, *, cordon: bool) -> None:
    """node-drain: cordon the node and evict its pods (recreated elsewhere), or uncordon it."""
    node = state.bucket(NODE_KEY).get(okey("", run.node))
    if node is None:
        raise FaultError("TARGET_SELECTION_ERROR", f'nodes "{run.node}" not found')
    node.setdefault("spec", {})["unschedulable"] = cordon
    node["metadata"]["resourceVersion"] = state.bump()
    if not cordon:
        run.log(t, f"node {run.node} uncordoned")
        return
    for pod in [p for p in state.bucket(POD_KEY).values() if p["spec"].get("nodeName") == run.node]:
        owner = top_owner(state, pod) or ("", pod["metadata"]["name"])
        new = replace_pod(state, pod, t, state.topology.service(owner[1]).start_s)
        run.log(t, f"pod {pod['metadata']['name']} evicted from {run.node}; replaced by "
                   f"{new['metadata']['name']} on {new['spec'].get('nodeName')}")


@dataclass
class CallEffect:
    """A fault on a pod's outgoing calls to some hosts (all hosts when `hosts` is empty)."""

    hosts: tuple[str, ...] = ()
    substring: bool = False
    latency_ms: float = 0.0
    loss_pct: float = 0.0

    def applies(self, callee: str) -> bool:
        """Whether calls to this service are affected (hosts may be FQDNs)."""
        if not self.hosts:
            return True
        if self.substring:
            return any(h in callee or callee in h for h in self.hosts)
        return any(h.split(".")[0].split(":")[0] == callee for h in self.hosts)


@dataclass
class PodEffect:
    """What faults do to one pod at a given time; the model adds it to the baseline."""

    latency_ms: float = 0.0
    loss_pct: float = 0.0
    cpu_extra_m: float = 0.0
    memory_extra_mib: float = 0.0
    calls: list[CallEffect] = field(default_factory=list)


def _hosts(params: dict[str, str], name: str) -> tuple[str, ...]:
    raw = params.get(name, "")
    return tuple(h for h in re.split(r"[\s,\[\]\"']+", raw) if h)


def _add_effect(effect: PodEffect, run: FaultRun, oomed: bool) -> None:
    p = run.params
    hosts = _hosts(p, "DESTINATION_HOSTS") + _hosts(p, "DESTINATION_IPS")
    latency = number(p, "NETWORK_LATENCY", 2000) + number(p, "JITTER") / 2
    loss = {"pod-network-loss": number(p, "NETWORK_PACKET_LOSS_PERCENTAGE", 100),
            "pod-network-corruption": number(p, "NETWORK_PACKET_CORRUPTION_PERCENTAGE", 100)}
    if run.fault == "pod-network-latency":
        if hosts:
            effect.calls.append(CallEffect(hosts, latency_ms=latency))
        else:
            effect.latency_ms += latency
    elif run.fault in loss:
        if hosts:
            effect.calls.append(CallEffect(hosts, loss_pct=loss[run.fault]))
        else:
            effect.loss_pct = 100 - (100 - effect.loss_pct) * (100 - loss[run.fault]) / 100
    elif run.fault == "pod-network-duplication":
        effect.latency_ms += 2.0 * number(p, "NETWORK_PACKET_DUPLICATION_PERCENTAGE", 100) / 100
    elif run.fault == "pod-cpu-hog":
        cores = number(p, "CPU_CORES", 1) or NODE_CPU_M / 1000
        effect.cpu_extra_m += cores * number(p, "CPU_LOAD", 100) / 100 * 1000
    elif run.fault == "pod-memory-hog" and not oomed:
        effect.memory_extra_mib += number(p, "MEMORY_CONSUMPTION", 500) * 1e6 / 2**20
    elif run.fault == "pod-dns-error":
        effect.calls.append(CallEffect(_hosts(p, "TARGET_HOSTNAMES"),
                                       substring=p.get("MATCH_SCHEME") == "substring",
                                       loss_pct=100.0))


def pod_effects(state: State, t: float) -> dict[str, PodEffect]:
    """Effects of every fault injected at t, per pod key ('ns/name')."""
    effects: dict[str, PodEffect] = {}
    for run in state.runs:
        start, end = run.effect_window()
        if run.fault not in EFFECT_FAULTS or not start <= t < end:
            continue
        for target in run.targets:
            key = okey(target.namespace, target.pod)
            if key not in state.pods:
                continue
            oomed = run.fault == "pod-memory-hog" and state.pods[key].started_at >= start
            _add_effect(effects.setdefault(key, PodEffect()), run, oomed)
    return effects


def limit_m(container: dict[str, Any]) -> float | None:
    """A container's CPU limit in millicores (None when unlimited)."""
    return cpu_millicores(((container.get("resources") or {}).get("limits") or {}).get("cpu"))
