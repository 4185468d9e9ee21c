"""Chaos Mesh (2.8) on the twin: its CRDs, and its controller emulated over virtual time.

A twin started with Chaos Mesh (``TwinServer(chaos_mesh=True)``) has upstream's CRDs for PodChaos,
NetworkChaos, StressChaos, DNSChaos and IOChaos (``data/chaos-mesh``, v2.8.3), so the API server validates those
objects against their schema; the ``chaos-mesh.org`` group is served only while they are installed.
The first install also adds what Helm's ``dnsServer.create`` (on by default) does for DNSChaos: the
Service ``chaos-mesh/chaos-mesh-dns-server``. Without it a DNSChaos fails at injection, as upstream's
controller does when it cannot get that Service. Its ``patterns`` reach the twin's DNS model as
Litmus's TARGET_HOSTNAMES, each less a trailing ``.*`` (a name matches by its first label there).
An IOChaos latency is the twin's io-latency, a fault no Litmus experiment has: its ``delay`` and
``percent`` reach the simulation as IO_DELAY_MS and IO_PERCENT (the twin's own names).

The controller does to pods what the Litmus operator does for the same fault: every kind/action
maps to a fault of ``twin.faults.SIMULATIONS`` (``FAULTS``), and a run is a ``FaultRun`` like a
ChaosEngine's, so the signal model sees the same effects. It writes status as upstream's does
(``api/v1alpha1/common_types.go``): ``conditions`` Selected, AllInjected, AllRecovered, Paused and
``experiment.desiredPhase`` Run, then Stop once ``spec.duration`` passed, the object is paused
(annotation ``experiment.chaos-mesh.org/pause: "true"``) or it is deleted (the fault is reverted at
once; upstream's records finalizer is not emulated). A paused object is not resumed. Unlike
litmus-go, pod-kill and container-kill act once, at injection.
"""

from __future__ import annotations

import re
from pathlib import Path

from twin.builtin_workloads import prepare_service
from twin.faults import SIMULATIONS, act
from twin.records import touch
from twin.state import POD_KEY, FaultRun, KObj, State, Target, okey, rfc3339
from twin.targets import FaultError, select_targets
from twin.topology import load_yaml_documents
from twin.workloads import stamp

GROUP = "chaos-mesh.org"
CRD_DIR = Path(__file__).parent / "data" / "chaos-mesh"
CRD_KEY = "apiextensions.k8s.io/v1/customresourcedefinitions"
KINDS = {"PodChaos": "podchaos", "NetworkChaos": "networkchaos", "StressChaos": "stresschaos",
         "DNSChaos": "dnschaos", "IOChaos": "iochaos"}
DNS_NAMESPACE, DNS_SERVER = "chaos-mesh", "chaos-mesh-dns-server"  # Helm's release namespace, dnsServer.name
SERVICE_KEY, NAMESPACE_KEY = "core/v1/services", "core/v1/namespaces"
PAUSE = "experiment.chaos-mesh.org/pause"
# (kind, spec.action or the stressor) -> the Litmus fault the twin simulates the same way
FAULTS = {("PodChaos", "pod-kill"): "pod-delete", ("PodChaos", "container-kill"): "container-kill",
          ("NetworkChaos", "delay"): "pod-network-latency", ("NetworkChaos", "loss"): "pod-network-loss",
          ("NetworkChaos", "corrupt"): "pod-network-corruption",
          ("NetworkChaos", "duplicate"): "pod-network-duplication",
          ("StressChaos", "cpu"): "pod-cpu-hog", ("StressChaos", "memory"): "pod-memory-hog",
          ("DNSChaos", "error"): "pod-dns-error", ("IOChaos", "latency"): "io-latency"}
FOREVER_S = 10 * 365 * 86400.0  # no spec.duration: it runs until paused or deleted
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def install(state: State, t: float, *, dns_server: bool = True) -> bool:
    """Install upstream's CRDs (``kubectl apply -f config/crd/bases``) once, and on the first install the DNS
    server's Service unless ``dns_server`` is False; whether anything was new."""
    changed = False
    for crd in (doc for path in sorted(CRD_DIR.glob("*.yaml")) for doc in load_yaml_documents(path)):
        key = okey("", crd["metadata"]["name"])
        if key not in state.bucket(CRD_KEY):
            crd["status"] = {"acceptedNames": crd["spec"]["names"], "storedVersions": ["v1alpha1"],
                             "conditions": [{"type": "Established", "status": "True"}]}
            state.bucket(CRD_KEY)[key] = stamp(state, crd, t)
            changed = True
    if changed and dns_server and okey(DNS_NAMESPACE, DNS_SERVER) not in state.bucket(SERVICE_KEY):
        _install_dns_server(state, t)
    return changed


def _install_dns_server(state: State, t: float) -> None:
    """The chaos-mesh namespace and the DNS server's Service as Helm's chart writes them (its pods are not run)."""
    if okey("", DNS_NAMESPACE) not in state.bucket(NAMESPACE_KEY):
        state.bucket(NAMESPACE_KEY)[okey("", DNS_NAMESPACE)] = stamp(state, {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": DNS_NAMESPACE, "labels": {"kubernetes.io/metadata.name": DNS_NAMESPACE}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}, t)
    chart = {"app.kubernetes.io/name": "chaos-mesh", "app.kubernetes.io/instance": "chaos-mesh"}
    service: KObj = {"apiVersion": "v1", "kind": "Service", "metadata": {
        "name": DNS_SERVER, "namespace": DNS_NAMESPACE,
        "labels": {**chart, "app.kubernetes.io/component": "dns-server"}},
        "spec": {"selector": {**chart, "app.kubernetes.io/component": "chaos-dns-server"}, "ports": [
            {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"},
            {"name": "dns-tcp", "port": 53, "targetPort": 5353, "protocol": "TCP"},
            {"name": "metrics", "port": 9153, "protocol": "TCP"}, {"name": "grpc", "port": 9288, "protocol": "TCP"}]}}
    rng = state.rng("cluster-ip")
    prepare_service(service, lambda: f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    state.bucket(SERVICE_KEY)[okey(DNS_NAMESPACE, DNS_SERVER)] = stamp(state, service, t)


def served(state: State) -> bool:
    """Whether the ``chaos-mesh.org`` group is served: only while its CRDs are installed."""
    return any(crd["spec"].get("group") == GROUP for crd in state.bucket(CRD_KEY).values())


def reconcile(state: State, until: float) -> bool:
    """Act on every Chaos Mesh object as its controller would by ``until``; whether anything changed."""
    changed = False
    live: set[str] = set()
    for kind, plural in KINDS.items():
        for obj in state.bucket(f"{GROUP}/v1alpha1/{plural}").values():
            live.add(obj["metadata"]["uid"])
            changed |= _reconcile_one(state, kind, obj, until)
    for run in state.runs:  # deleted: reverted at once
        if run.experiment.startswith(f"{GROUP}/") and run.phase == "running" and run.engine_uid not in live:
            run.phase, run.stopped_at = "stopped", state.now
            run.log(state.now, f"{run.engine} deleted; fault reverted")
            changed = True
    return changed


def _reconcile_one(state: State, kind: str, obj: KObj, until: float) -> bool:
    runs = state.runs_of(obj["metadata"]["uid"])
    if not runs:
        return _start(state, kind, obj) if (obj.get("status") or {}).get("experiment", {}).get(
            "desiredPhase") is None else False
    run = runs[-1]
    if run.phase != "running":
        return False
    if (obj["metadata"].get("annotations") or {}).get(PAUSE) == "true":
        run.phase, run.stopped_at = "stopped", state.now
        run.log(state.now, f"{obj['metadata']['name']} paused; fault reverted")
        _write(state, obj, run, desired="Stop", paused=True)
        return True
    if until >= run.end_at:
        run.phase = "completed"
        run.log(run.end_at, f"{obj['metadata']['name']}: duration over; fault reverted")
        _write(state, obj, run, desired="Stop", paused=False)
        return True
    return False


def _start(state: State, kind: str, obj: KObj) -> bool:
    spec, meta, t = obj.get("spec") or {}, obj["metadata"], state.now
    action = spec.get("action") if kind != "StressChaos" else next(iter(spec.get("stressors") or {}), "")
    fault = FAULTS.get((kind, str(action)), "")
    run = FaultRun(engine_uid=meta["uid"], namespace=meta["namespace"], engine=meta["name"],
                   experiment=f"{GROUP}/{kind}", fault=fault, result="", started_at=t, inject_at=t,
                   end_at=t + _seconds(spec.get("duration")), params=_params(kind, spec))
    state.runs.append(run)
    try:
        if fault not in SIMULATIONS:
            raise FaultError("GENERIC_ERROR", f"{kind} action {action!r} is not emulated by the twin")
        selector = spec.get("selector") or {}
        labels = ",".join(f"{k}={v}" for k, v in sorted((selector.get("labelSelectors") or {}).items()))
        namespace = (selector.get("namespaces") or [meta["namespace"]])[0]
        target_of = {"metadata": {"namespace": namespace}, "spec": {"appinfo": {"appns": namespace, "applabel": labels}}}
        run.targets = select_targets(state, target_of, run.params, f"targets/{meta['uid']}")
        if kind == "DNSChaos" and okey(DNS_NAMESPACE, DNS_SERVER) not in state.bucket(SERVICE_KEY):
            raise FaultError("GENERIC_ERROR", f'services "{DNS_SERVER}" not found')  # upstream's getService error
        if kind == "IOChaos":
            _mounted(state, run.targets, str(spec.get("volumePath", "")))
    except FaultError as error:
        run.phase, run.stopped_at = "error", t
        run.log(t, f"{meta['name']}: {error.reason}")
        _write(state, obj, run, desired="Run", paused=False, failure=error.reason)
        return True
    act(state, run, run.targets, t)
    run.watch = sorted(key for key, runtime in state.pods.items() if runtime.started_at == t)
    run.log(t, f"{meta['name']}: {fault} injected into {', '.join(x.pod for x in run.targets)}")
    _write(state, obj, run, desired="Run", paused=False)
    return True


def _mounted(state: State, targets: list[Target], volume: str) -> None:
    """IOChaos acts on a volume's mount point (CRD: "the mount point of volume in the target container"):
    the first container of every target must mount ``volume``, or injection fails."""
    for target in targets:
        pod = state.bucket(POD_KEY).get(okey(target.namespace, target.pod)) or {"spec": {}}
        container = (pod["spec"].get("containers") or [{}])[0]
        if volume not in {m.get("mountPath") for m in container.get("volumeMounts") or []}:
            raise FaultError("GENERIC_ERROR", f"volumePath {volume} is not a mount point of container "
                             f"{container.get('name', '?')} in pod {target.namespace}/{target.pod}")


def _write(state: State, obj: KObj, run: FaultRun, *, desired: str, paused: bool, failure: str = "") -> None:
    """Status as upstream's controller writes it: a record per target, the conditions they imply."""
    injected = desired == "Run" and not failure
    records: list[KObj] = [{"id": f"{x.namespace}/{x.pod}", "selectorKey": ".", "phase": "Injected" if injected else "Not Injected",
                "injectedCount": 1, "recoveredCount": 0 if injected else 1} for x in run.targets]
    if failure:
        records = [{"id": "", "selectorKey": ".", "phase": "Not Injected", "injectedCount": 0, "recoveredCount": 0,
                    "events": [{"type": "Failed", "operation": "Apply", "message": failure,
                                "timestamp": rfc3339(state.now)}]}]
    selected = "True" if run.targets else "False"
    obj["status"] = {
        "conditions": [{"type": "Selected", "status": selected},
                       {"type": "AllInjected", "status": "True" if injected and run.targets else "False"},
                       {"type": "AllRecovered", "status": "False" if injected or not run.targets else "True"},
                       {"type": "Paused", "status": "True" if paused else "False"}],
        "experiment": {"desiredPhase": desired, "containerRecords": records},
    }
    touch(state, obj, generation=False)


def _seconds(duration: object) -> float:
    """``spec.duration`` (a Go duration: "30s", "1m30s") in seconds; none: until paused or deleted."""
    if not isinstance(duration, str) or not duration:
        return FOREVER_S
    return sum(float(n) * _UNIT_S[u] for n, u in _DURATION.findall(duration))


def _params(kind: str, spec: KObj) -> dict[str, str]:
    """The Litmus env the twin's simulations read, from the object's fields."""
    mode, value = spec.get("mode"), str(spec.get("value") or "")
    pct = {"one": "0", "all": "100"}.get(str(mode), value or "0")
    params = {"PODS_AFFECTED_PERC": pct}
    if names := spec.get("containerNames"):
        params["TARGET_CONTAINER"] = str(names[0])
    if kind == "IOChaos":  # its delay is a Go duration string, not NetworkChaos's block
        return params | {"IO_DELAY_MS": str(_seconds(spec.get("delay")) * 1000), "IO_PERCENT": str(spec.get("percent", 100))}
    if (delay := spec.get("delay")) is not None:
        params["NETWORK_LATENCY"] = str(_seconds(delay.get("latency")) * 1000)
        params["JITTER"] = str(_seconds(delay.get("jitter") or "0s") * 1000) if delay.get("jitter") else "0"
    for field, env in (("loss", "NETWORK_PACKET_LOSS_PERCENTAGE"), ("corrupt", "NETWORK_PACKET_CORRUPTION_PERCENTAGE"),
                       ("duplicate", "NETWORK_PACKET_DUPLICATION_PERCENTAGE")):
        if (block := spec.get(field)) is not None:
            params[env] = str(block.get(field, "0"))
    if patterns := spec.get("patterns"):  # DNSChaos; none: every name, as an empty TARGET_HOSTNAMES
        params["TARGET_HOSTNAMES"] = ",".join(dict.fromkeys(str(p).removesuffix(".*") for p in patterns))
    stressors = spec.get("stressors") or {}
    if cpu := stressors.get("cpu"):
        params |= {"CPU_CORES": str(cpu.get("workers", 1)), "CPU_LOAD": str(cpu.get("load", 100))}
    if memory := stressors.get("memory"):
        size = re.match(r"\d+", str(memory.get("size", "0"))) if kind == "StressChaos" else None
        params |= {"NUMBER_OF_WORKERS": str(memory.get("workers", 1)),
                   "MEMORY_CONSUMPTION": size.group(0) if size else "0"}
    return params
