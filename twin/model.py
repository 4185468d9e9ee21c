"""Sock Shop's SLO signals as a pure function of (state, t).

Per service: requests go to Ready pods (the Service's endpoints); a Ready pod whose process
has not started yet (Java services have no readiness probe) fails what it gets, and no Ready
pod at all means every request fails. So two replicas with one pod restarting behind a
readiness probe lose nothing, and without one lose the half routed to the starting pod.
Faults add latency, loss and CPU/memory pressure to the pods they target (`faults.pod_effects`).
Errors and latency then propagate to callers along synchronous edges, weighted by the share of
the caller's requests that make the call; a caller's timeout turns a slow callee into errors.
Asynchronous edges (shipping -> rabbitmq) do not propagate. Noise is deterministic (seed,
service, floor(t)) and a few percent, never enough to cross an SLO on its own.

`signals` is each service as its callers see it (the /twin/v1/signals model API); `served` is
what its own process saw, which is all its /metrics can show (`exposition`): requests that
reached no listening process and its own pods' network faults are not in it, and there packet
loss delays calls by TCP retransmissions and fails them only when TCP gives up (`tcp`).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from twin import tcp
from twin.faults import NODE_CPU_M, CallEffect, PodEffect, limit_m, pod_effects
from twin.owners import workload_pods
from twin.pod_status import is_ready, is_serving
from twin.shapes import Container
from twin.state import DEPLOY_KEY, STS_KEY, KObj, ServiceModel, State, okey
from twin.units import memory_mib

NOISE = 0.03  # +-3 % on latency, CPU and memory
STARTUP_CPU_M = 1000.0  # a starting process (JVM, mongod) burns up to a core, within its limit
IDLE_SHARE = 0.1  # a pod without traffic (not Ready) still uses a tenth of the baseline CPU


@dataclass(frozen=True)
class ServiceSignals:
    """One service's signals at one time (units in the field names)."""

    error_rate_pct: float
    latency_p95_ms: float
    cpu_millicores: float
    memory_mib: float
    replicas: int
    ready_replicas: int
    restarts: int


@dataclass
class _Own:
    """A service's own behaviour before its dependencies are added."""

    error: float  # fraction
    latency_ms: float
    cpu_m: float
    memory_mib: float
    replicas: int
    ready: int
    restarts: int
    calls: list[tuple[float, CallEffect]] = field(default_factory=list)
    serving: float = 0.0  # share of the requests sent to it that reach a listening process
    work_ms: float = 0.0  # the handler's own work (CPU-throttled), without its network faults
    tcp_error: float = 0.0  # `error` with loss on its pods failing calls only as TCP gives up
    tcp_delay_ms: float = 0.0  # what retransmissions add to its callers' p95


def _noise(seed: int, service: str, metric: str, t: float) -> float:
    """A deterministic value in [-1, 1) for this service, metric and second."""
    digest = hashlib.blake2b(f"{seed}|{service}|{metric}|{math.floor(t)}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def _main_container(pod: KObj) -> Container:
    return (pod["spec"].get("containers") or [{}])[0]


def _pod_usage(model: ServiceModel, pod: KObj, serving_share: float, starting: bool,
               effect: PodEffect) -> tuple[float, float, float]:
    """(cpu_m, memory_mib, latency factor) of one pod."""
    container = _main_container(pod)
    cap = limit_m(container) or NODE_CPU_M
    base = max(model.cpu_m * serving_share, STARTUP_CPU_M if starting else 0.0,
               IDLE_SHARE * model.cpu_m)
    demand = base + effect.cpu_extra_m
    limits = (container.get("resources") or {}).get("limits") or {}
    mem_cap = memory_mib(limits.get("memory")) or float("inf")
    memory = min(mem_cap, model.memory_mib + effect.memory_extra_mib)
    return min(cap, demand), memory, max(1.0, demand / cap)


def _own(state: State, model: ServiceModel, pods: list[KObj], replicas: int, t: float,
         effects: dict[str, PodEffect]) -> _Own:
    keyed = [(p, okey(p["metadata"]["namespace"], p["metadata"]["name"])) for p in pods]
    keyed = [(p, k) for p, k in keyed if k in state.pods]
    endpoints = [(p, k) for p, k in keyed if is_ready(state.pods[k], t)]
    cpu = memory = 0.0
    failing, latencies, works, calls, tcp_failing, delays = [], [], [], [], [], []
    for pod, key in keyed:
        effect = effects.get(key, PodEffect())
        runtime, endpoint = state.pods[key], (pod, key) in endpoints
        share = 1 / len(endpoints) if endpoint else 0.0
        pod_cpu, pod_mem, factor = _pod_usage(model, pod, share, t < runtime.process_ready_at,
                                              effect)
        cpu, memory = cpu + pod_cpu, memory + pod_mem
        if endpoint:
            serving = is_serving(runtime, t)
            failing.append(1.0 if not serving else effect.loss_pct / 100)
            tcp_failing.append(1.0 if not serving else tcp.failing(effect.loss_pct / 100))
            delays.append(tcp.delay_ms(effect.loss_pct / 100) if serving else 0.0)
            calls += [(share, c) for c in effect.calls]
            if serving:  # a process not yet listening refuses at once: no latency sample
                latencies.append(model.p95_ms * factor + effect.handler_ms + effect.latency_ms)
                works.append(model.p95_ms * factor + effect.handler_ms)  # slow I/O is the handler's own time
    error = 1.0 if not endpoints else sum(failing) / len(failing)
    error = 1 - (1 - model.error_pct / 100) * (1 - error)
    tcp_error = 1 - (1 - model.error_pct / 100) * (1 - (sum(tcp_failing) / len(tcp_failing) if endpoints else 1.0))
    latency = sum(latencies) / len(latencies) if latencies else model.p95_ms
    restarts = sum(sum(state.pods[k].restarts.values()) for _, k in keyed)
    return _Own(error, latency, cpu, memory, replicas, len(endpoints), restarts, calls,
                serving=len(works) / len(endpoints) if endpoints else 0.0,
                work_ms=sum(works) / len(works) if works else model.p95_ms, tcp_error=tcp_error,
                tcp_delay_ms=max(delays, default=0.0))


def _timeout_errors(latency_ms: float, timeout_ms: float) -> float:
    """Share of calls a caller times out when the callee's p95 exceeds its timeout."""
    if latency_ms <= timeout_ms:
        return 0.0
    return min(1.0, 0.05 + 0.95 * (latency_ms - timeout_ms) / (0.2 * timeout_ms))


def _propagate(state: State, own: dict[str, _Own], *, retransmits: bool = False) -> tuple[
        dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """Per service: (error fraction, p95 ms) as its callers see it, dependencies included; and
    (fraction of its requests whose synchronous calls all succeed, ms those calls add) as its
    own handler sees them. `retransmits`: packet loss delays calls and fails them only as TCP gives up
    (`twin.tcp`); otherwise each lost packet is a failed call (the model's `signals`)."""
    totals: dict[str, tuple[float, float]] = {}
    through: dict[str, tuple[float, float]] = {}
    visiting: set[str] = set()

    def total(name: str) -> tuple[float, float]:
        if name in totals:
            return totals[name]
        if name in visiting:  # a cycle: do not count the back edge
            return 0.0, 0.0
        visiting.add(name)
        ok, latency = 1.0, 0.0
        timeout = state.topology.timeouts_ms.get(name)
        for edge in state.topology.edges:
            if edge.caller != name or not edge.sync or edge.callee not in own:
                continue
            call_error, call_latency = total(edge.callee)
            for share, effect in own[name].calls:
                if effect.applies(edge.callee):
                    loss = effect.loss_pct / 100
                    call_error = 1 - (1 - call_error) * (1 - share * (tcp.failing(loss) if retransmits else loss))
                    call_latency += share * (effect.latency_ms + (tcp.delay_ms(loss) if retransmits else 0.0))
            if timeout:
                timed_out = _timeout_errors(call_latency, timeout)
                call_error = 1 - (1 - call_error) * (1 - timed_out)
                call_latency = min(call_latency, timeout)
            ok *= 1 - edge.share * call_error
            latency += edge.share * call_latency
        visiting.discard(name)
        through[name] = (ok, latency)
        error, own_ms = (own[name].tcp_error, own[name].latency_ms + own[name].tcp_delay_ms) if retransmits else (
            own[name].error, own[name].latency_ms)
        totals[name] = (min(1.0, 1 - (1 - error) * ok), own_ms + latency)
        return totals[name]

    for name in own:
        total(name)
    return totals, through


def _workloads(state: State, namespace: str) -> list[tuple[str, str, int]]:
    found = []
    for key, kind in ((DEPLOY_KEY, "Deployment"), (STS_KEY, "StatefulSet")):
        for obj in state.bucket(key).values():
            if obj["metadata"]["namespace"] == namespace:
                found.append((obj["metadata"]["name"], kind, int(obj["spec"].get("replicas", 1))))
    return sorted(found)


def _owns(state: State, namespace: str, t: float) -> dict[str, _Own]:
    effects = pod_effects(state, t)
    return {name: _own(state, state.topology.service(name),
                       workload_pods(state, namespace, kind, name), replicas, t, effects)
            for name, kind, replicas in _workloads(state, namespace)}


@dataclass(frozen=True)
class Page:
    """One page of the entry service at one time: what a request for it meets."""

    failing: float  # fraction of requests that fail: the entry's own, then each callee's
    latency_ms: float  # the entry's own work plus each callee's (with its dependencies)
    endpoints: int  # Ready pods of the entry (0: the Service has no endpoints)


def page(state: State, namespace: str, t: float, entry: str, callees: list[str]) -> Page | None:
    """A page of ``entry`` that calls ``callees`` synchronously, at t (None: no such workload)."""
    own = _owns(state, namespace, t)
    if entry not in own:
        return None
    totals = _propagate(state, own)[0]
    ok, latency = 1 - own[entry].error, own[entry].latency_ms
    for callee in callees:
        if callee in totals:
            ok, latency = ok * (1 - totals[callee][0]), latency + totals[callee][1]
    return Page(failing=min(1.0, max(0.0, 1 - ok)), latency_ms=latency, endpoints=own[entry].ready)


def signals(state: State, namespace: str, t: float) -> dict[str, ServiceSignals]:
    """Every Deployment/StatefulSet of the namespace (service name = workload name) at t."""
    own = _owns(state, namespace, t)
    totals = _propagate(state, own)[0]
    out = {}
    for name, o in own.items():
        error, latency = totals[name]
        out[name] = ServiceSignals(
            error_rate_pct=_error_pct(state, name, error, t),
            latency_p95_ms=round(_jitter(state, name, "latency", latency, t), 2),
            cpu_millicores=round(_jitter(state, name, "cpu", o.cpu_m, t), 1),
            memory_mib=round(_jitter(state, name, "memory", o.memory_mib, t), 1),
            replicas=o.replicas, ready_replicas=o.ready, restarts=o.restarts,
        )
    return out


def _jitter(state: State, name: str, metric: str, value: float, t: float) -> float:
    return value * (1 + NOISE * _noise(state.seed, name, metric, t))


def _error_pct(state: State, name: str, error: float, t: float) -> float:
    noise = state.topology.service(name).error_pct * 0.5 * _noise(state.seed, name, "error", t)
    return round(min(100.0, max(0.0, error * 100 + noise)), 3)


@dataclass(frozen=True)
class Served:
    """What one service's own process saw at t: the server side of its requests, which is all
    its /metrics can tell (a server times its handler and counts what reached it)."""

    share: float  # of the requests sent to the service, the fraction a listening process got
    error_rate_pct: float  # of those, the percentage its handler failed (its own, its calls')
    latency_p95_ms: float  # its handler's time: own work and its calls, not its own network


def served(state: State, namespace: str, t: float) -> dict[str, Served]:
    """Every workload's server-side view at t. Unlike `signals`, requests that never reached a
    listening process (no Ready pod, a process not yet started) are not in it, and neither are
    network faults on the service's own pods: its callers see those (in `signals`, as they see
    it). Baseline noise is the same as `signals`', so both agree while nothing is wrong."""
    own = _owns(state, namespace, t)
    through = _propagate(state, own, retransmits=True)[1]
    out = {}
    for name, o in own.items():
        ok, calls_ms = through[name]
        error = 1 - (1 - state.topology.service(name).error_pct / 100) * ok
        out[name] = Served(share=o.serving, error_rate_pct=_error_pct(state, name, error, t),
                           latency_p95_ms=round(_jitter(state, name, "latency", o.work_ms + calls_ms, t), 2))
    return out
