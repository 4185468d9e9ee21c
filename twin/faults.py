"""What each Litmus fault does to the twin's pods and nodes, following litmus-go 3.18.

`SIMULATIONS` is the twin's table of faults, by Litmus experiment name (the twin's own: it imports
nothing of the agent; a test checks the agent's fault registry against it). Targets are chosen in
`targets`. A fault acts either by changing pods or nodes at an instant (`Simulation.act`:
pod-delete, container-kill, OOM kill, disk-fill eviction; `drain` for node-drain) or through
effects that hold while it is injected (`Simulation.effect`: latency, loss, corruption,
duplication, CPU and memory pressure, DNS errors, slow file I/O), which the signal model reads at time t.
io-latency is Chaos Mesh's (an IOChaos; no Litmus experiment has it), named like the rest.
"""

from __future__ import annotations

import math
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from twin.owners import top_owner
from twin.pods import replace_pod, restart_container
from twin.shapes import Container
from twin.state import NODE_KEY, POD_KEY, FaultRun, KObj, State, Target, okey
from twin.targets import FaultError, app_pods, number
from twin.units import cpu_millicores, memory_mib

NODE_CPU_M = 4000.0


def _pod(state: State, target: Target) -> KObj | None:
    return state.bucket(POD_KEY).get(okey(target.namespace, target.pod))


def _container(pod: KObj, params: dict[str, str]) -> Container:
    containers = pod["spec"].get("containers") or [{}]
    wanted = params.get("TARGET_CONTAINER", "")
    return next((c for c in containers if c.get("name") == wanted), containers[0])


def _start_s(state: State, target: Target) -> float:
    return state.topology.service(target.workload).start_s


def act(state: State, run: FaultRun, targets: list[Target], t: float) -> None:
    """The instant part of a fault at t: delete, kill, OOM-kill or evict target pods."""
    simulation = SIMULATIONS.get(run.fault)
    for target in targets:
        pod = _pod(state, target)
        if pod is not None and simulation is not None and simulation.act is not None:
            simulation.act(state, run, pod, target, t)


def _delete(state: State, run: FaultRun, pod: KObj, target: Target, t: float) -> None:
    new = replace_pod(state, pod, t, _start_s(state, target))
    runtime = state.pods[okey(target.namespace, new["metadata"]["name"])]
    run.log(t, f"pod {target.pod} deleted; replaced by {new['metadata']['name']} "
               f"(NotReady for {runtime.ready_at - t:.0f}s, process starts in "
               f"{runtime.process_ready_at - t:.0f}s)")


def _kill(state: State, run: FaultRun, pod: KObj, target: Target, t: float) -> None:
    name, (sig, number_) = _container(pod, run.params)["name"], _signal(run.params)
    restart_container(state, pod, t, start_s=_start_s(state, target), reason="Error",
                      exit_code=128 + number_, container=name)
    run.log(t, f"container {name} of pod {target.pod} killed ({sig})")


def _oom_kill(state: State, run: FaultRun, pod: KObj, target: Target, t: float) -> None:
    if _oom(state, pod, run.params, target):
        name = _container(pod, run.params)["name"]
        restart_container(state, pod, t, start_s=_start_s(state, target), reason="OOMKilled",
                          exit_code=137, container=name)
        run.log(t, f"container {name} of pod {target.pod} OOMKilled: memory limit exceeded")


def _signal(params: dict[str, str]) -> tuple[str, int]:
    """SIGNAL as (name, number); the container exits with 128 + number (SIGKILL: 137)."""
    raw = (params.get("SIGNAL") or "SIGKILL").strip().upper()
    name = raw if raw.startswith("SIG") or raw.isdigit() else f"SIG{raw}"
    try:
        sig = signal.Signals(int(name)) if name.isdigit() else signal.Signals[name]
    except (KeyError, ValueError):
        sig = signal.SIGKILL
    return sig.name, int(sig.value)


def _oom(state: State, pod: KObj, params: dict[str, str], target: Target) -> bool:
    limit = memory_mib(((_container(pod, params).get("resources") or {}).get("limits") or {})
                       .get("memory"))
    base = state.topology.service(target.workload).memory_mib
    wanted = number(params, "MEMORY_CONSUMPTION", 500) * 1e6 / 2**20
    return limit is not None and base + wanted > limit


def _disk_fill(state: State, run: FaultRun, pod: KObj, target: Target, t: float) -> None:
    limits = (_container(pod, run.params).get("resources") or {}).get("limits") or {}
    limit = memory_mib(limits.get("ephemeral-storage"))
    if limit is None and number(run.params, "EPHEMERAL_STORAGE_MEBIBYTES") <= 0:
        raise FaultError("HELPER_ERROR", "either provide ephemeral storage limit inside "
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
        if cordon:
            raise FaultError("CHAOS_INJECT_ERROR", "failed to drain the target node: Error from "
                             f'server (NotFound): nodes "{run.node}" not found')
        run.log(t, f"node {run.node} no longer exists; nothing to uncordon")
        return
    spec = node.setdefault("spec", {})
    if cordon:
        spec["unschedulable"] = True
    else:
        spec.pop("unschedulable", None)  # kubectl uncordon leaves the field unset
    node["metadata"]["resourceVersion"] = state.bump()
    if not cordon:
        run.log(t, f"node {run.node} uncordoned")
        return
    run.log(t, f"node {run.node} cordoned")
    for pod in [p for p in state.bucket(POD_KEY).values() if p["spec"].get("nodeName") == run.node]:
        owner = top_owner(state, pod) or ("", pod["metadata"]["name"])
        new = replace_pod(state, pod, t, state.topology.service(owner[1]).start_s)
        name = pod["metadata"]["name"]
        run.log(t, f"pod {name} evicted from {run.node}; " + (
            "it has no controller to recreate it" if new is pod else
            f"replaced by {new['metadata']['name']} on {new['spec'].get('nodeName')}"))


def status_check(state: State, engine: KObj, run: FaultRun, t: float) -> tuple[float, str]:
    """litmus-go's check of the application after a drain, started at t: when it returns, and
    why it failed ('' when it passed). Container readiness is polled every STATUS_CHECK_DELAY
    for STATUS_CHECK_TIMEOUT; once Ready, one more poll for pod phase; each poll waits after."""
    pods = app_pods(state, engine)
    if pods is None:
        return t, ""  # no appLabel: litmus-go skips the check
    delay = number(run.params, "STATUS_CHECK_DELAY", 2) or 2
    attempts = max(1, int(number(run.params, "STATUS_CHECK_TIMEOUT", 180) // delay))
    keys = [okey(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]
    if not pods:
        return t + attempts * delay, "no pod found with matching labels"
    ready = max((state.pods[k].ready_at for k in keys if k in state.pods), default=t)
    polls = max(0, math.ceil((ready - t) / delay))
    if polls >= attempts:
        return t + attempts * delay, "container is not in running state"
    return t + (polls + 2) * delay, ""


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
    handler_ms: float = 0.0  # inside the handler (slow file I/O): its own histogram shows it, unlike latency_ms
    calls: list[CallEffect] = field(default_factory=list)


def _hosts(params: dict[str, str], name: str) -> tuple[str, ...]:
    raw = params.get(name, "")
    return tuple(h for h in re.split(r"[\s,\[\]\"']+", raw) if h)


def _destinations(p: dict[str, str]) -> tuple[str, ...]:
    return _hosts(p, "DESTINATION_HOSTS") + _hosts(p, "DESTINATION_IPS")


def _latency(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    latency = number(p, "NETWORK_LATENCY", 2000) + number(p, "JITTER") / 2
    if hosts := _destinations(p):
        effect.calls.append(CallEffect(hosts, latency_ms=latency))
    else:
        effect.latency_ms += latency


def _loss(env: str) -> Effect:
    """Packets lost (or corrupted, which the receiver drops) at the percentage in ``env``."""
    def add(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
        loss = number(p, env, 100)
        if hosts := _destinations(p):
            effect.calls.append(CallEffect(hosts, loss_pct=loss))
        else:
            effect.loss_pct = 100 - (100 - effect.loss_pct) * (100 - loss) / 100
    return add


def _duplication(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    effect.latency_ms += 2.0 * number(p, "NETWORK_PACKET_DUPLICATION_PERCENTAGE", 100) / 100


def _cpu(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    cores = number(p, "CPU_CORES", 1) or NODE_CPU_M / 1000
    effect.cpu_extra_m += cores * number(p, "CPU_LOAD", 100) / 100 * 1000


def _memory(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    if not restarted:  # an OOM kill at injection freed what the hog held
        effect.memory_extra_mib += number(p, "MEMORY_CONSUMPTION", 500) * 1e6 / 2**20


def _dns(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    effect.calls.append(CallEffect(_hosts(p, "TARGET_HOSTNAMES"),
                                   substring=p.get("MATCH_SCHEME") == "substring", loss_pct=100.0))


def _io_latency(effect: PodEffect, p: dict[str, str], restarted: bool) -> None:
    """Each delayed file operation holds the request: once more than 5 % of operations are delayed,
    more than 5 % of requests are (each does at least one), so the p95 carries the whole delay."""
    if number(p, "IO_PERCENT", 100) > 5:
        effect.handler_ms += number(p, "IO_DELAY_MS")


Act = Callable[[State, FaultRun, KObj, Target, float], None]  # (state, run, target pod, target, t)
Effect = Callable[[PodEffect, dict[str, str], bool], None]  # (effect, env params, restarted since injection)


@dataclass(frozen=True)
class Simulation:
    """How the twin plays one Litmus experiment: `act` on each target pod at injection (again every
    CHAOS_INTERVAL when `repeats`), `effect` on each target pod while injected. node-drain has
    neither: the operator drains and uncordons its node (`drain`)."""

    act: Act | None = None
    effect: Effect | None = None
    repeats: bool = False


SIMULATIONS: dict[str, Simulation] = {
    "pod-delete": Simulation(act=_delete, repeats=True),
    "container-kill": Simulation(act=_kill, repeats=True),
    "pod-cpu-hog": Simulation(effect=_cpu),
    "pod-memory-hog": Simulation(act=_oom_kill, effect=_memory),
    "pod-network-latency": Simulation(effect=_latency),
    "pod-network-loss": Simulation(effect=_loss("NETWORK_PACKET_LOSS_PERCENTAGE")),
    "pod-network-corruption": Simulation(effect=_loss("NETWORK_PACKET_CORRUPTION_PERCENTAGE")),
    "pod-network-duplication": Simulation(effect=_duplication),
    "pod-dns-error": Simulation(effect=_dns),
    "disk-fill": Simulation(act=_disk_fill),
    "io-latency": Simulation(effect=_io_latency),
    "node-drain": Simulation(),
}


def pod_effects(state: State, t: float) -> dict[str, PodEffect]:
    """Effects of every fault injected at t, per pod key ('ns/name')."""
    effects: dict[str, PodEffect] = {}
    for run in state.runs:
        start, end = run.effect_window()
        simulation = SIMULATIONS.get(run.fault)
        if simulation is None or simulation.effect is None or run.broken or not start <= t < end:
            continue
        for target in run.targets:
            key = okey(target.namespace, target.pod)
            if key in state.pods:
                restarted = state.pods[key].started_at >= start
                simulation.effect(effects.setdefault(key, PodEffect()), run.params, restarted)
    return effects


def limit_m(container: Container) -> float | None:
    """A container's CPU limit in millicores (None when unlimited)."""
    return cpu_millicores(((container.get("resources") or {}).get("limits") or {}).get("cpu"))
