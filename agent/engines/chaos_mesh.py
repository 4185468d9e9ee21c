"""Render an ExperimentSpec into a Chaos Mesh (2.8) object, and read its status back.

The kind and ``spec.action`` of each fault are its registry entry's ``chaos_mesh``
(``agent.models.faults``); field names are upstream's (``config/crd/bases/chaos-mesh.org_*.yaml``
v2.8.3, which the tests validate every rendered object against). The object is named like a
ChaosEngine (``ca-<run id>``) and carries the agent's labels, so a repeated execute finds it and
``recover`` / retention find an orphan by label.

Status as upstream writes it (``api/v1alpha1/common_types.go``): ``status.conditions`` of types
Selected, AllInjected, AllRecovered and Paused, and ``status.experiment.desiredPhase`` Run or Stop
(Stop once ``spec.duration`` has passed). :func:`phase` reads them the way Chaos Mesh's own
dashboard does (``judgeCondition``) into the engine-neutral :data:`~agent.engines.backend.Phase`.

DNSChaos (pod-dns-error) runs only where Chaos Mesh's DNS server does (Helm ``dnsServer.create``, on
by default in 2.8): the controller points the selected pods' resolver at the Service
``chaos-mesh/chaos-mesh-dns-server``. The inventory looks for it and :func:`cluster_refusals` refuses a
DNSChaos where it is missing, instead of a run whose controller fails at injection. IOChaos runs
io-latency, a fault only Chaos Mesh has: ``action: latency`` on the spec's ``volume_path`` (which it
needs: the inventory does not know where a volume is mounted), every file under it, as upstream's
``examples/io-delay-example.yaml``; disk-fill has no counterpart (``GAPS``).

Abort is the ``experiment.chaos-mesh.org/pause`` annotation, not deletion: a paused object stays,
with Paused and AllRecovered True, so the report can show the controller confirmed the recovery
(after a deletion there is nothing left to read); retention deletes it later, like a stopped engine.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agent.engines.backend import Phase
from agent.engines.catalog import upstream_defaults
from agent.engines.litmus import MANAGED_BY, RUN_LABEL, engine_name
from agent.models import ExperimentSpec, Fault, Inventory, LitmusInstall, Parameters
from agent.models.faults import ChaosMeshKind, ChaosMeshMap

GROUP = "chaos-mesh.org"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
PAUSE_ANNOTATION = "experiment.chaos-mesh.org/pause"
PLURALS: dict[ChaosMeshKind, str] = {"PodChaos": "podchaos", "NetworkChaos": "networkchaos",
                                     "StressChaos": "stresschaos", "DNSChaos": "dnschaos", "IOChaos": "iochaos"}
DNS_NAMESPACE, DNS_SERVER = "chaos-mesh", "chaos-mesh-dns-server"  # Helm's namespace and dnsServer.name
# What a kind needs besides its CRD (the catalog says it; the policy refuses where the inventory shows it missing).
NEEDS: dict[ChaosMeshKind, str] = {
    "DNSChaos": f"needs Chaos Mesh's DNS server (Service {DNS_NAMESPACE}/{DNS_SERVER}, Helm dnsServer.create=true)"}
# Why Chaos Mesh cannot run a fault that has no ``chaos_mesh`` mapping (the policy's refusal says it).
GAPS: dict[str, str] = {
    "node-drain": "Chaos Mesh has no node drain (its kinds act on pods, or on a node's kernel/time)",
    "disk-fill": "Chaos Mesh has no disk fill (IOChaos delays or fails I/O, it never fills a volume)",
}
# io-latency's values when the spec leaves them unset (no Litmus default to fall back on): a delay
# an order above a local disk's latency, on every operation (the CRD's own ``percent`` default).
IO_DELAY_MS, IO_PERCENT = 100, 100
# Parameters Chaos Mesh has no field for: setting one would be silently ignored, so the policy refuses it.
NOT_TAKEN: dict[str, str] = {
    "chaos_interval_s": "a PodChaos kills once (repeating needs a Schedule, which the agent does not make)",
    "signal": "Chaos Mesh's container-kill always sends SIGKILL",
}


class ChaosMeshObject(BaseModel):
    """A Chaos Mesh object ready to apply; :meth:`body` is the Kubernetes object."""

    model_config = ConfigDict(frozen=True)

    kind: ChaosMeshKind
    name: str
    namespace: str
    run_id: str
    spec: dict[str, object]

    @property
    def plural(self) -> str:
        return PLURALS[self.kind]

    def body(self) -> dict[str, object]:
        """The object as the API server takes it."""
        return {
            "apiVersion": API_VERSION,
            "kind": self.kind,
            "metadata": {"name": self.name, "namespace": self.namespace,
                         "labels": {"app.kubernetes.io/managed-by": MANAGED_BY, RUN_LABEL: self.run_id}},
            "spec": self.spec,
        }


def mapping(fault: Fault) -> ChaosMeshMap:
    """The fault's Chaos Mesh kind and action; ValueError saying why when Chaos Mesh cannot run it."""
    found = fault.entry.chaos_mesh
    if found is None:
        raise ValueError(GAPS.get(fault.value, f"Chaos Mesh has no counterpart of {fault.value}"))
    return found


def refusals(spec: ExperimentSpec) -> list[str]:
    """Why Chaos Mesh cannot run ``spec`` as written ([] when it can; a no-fault control injects nothing)."""
    if spec.action.entry.control:
        return []
    try:
        kind = mapping(spec.action).kind
    except ValueError as e:
        return [f"{spec.action.value}: {e}; use chaos_engine: litmus"]
    found = [f"{name}: {why}; remove it or use chaos_engine: litmus"
             for name, why in NOT_TAKEN.items() if not _as_chaos_mesh_does(spec.parameters, name)]
    if kind == "IOChaos" and not spec.parameters.volume_path:
        found.append(f"volume_path: {spec.action.value} needs the mount path of the target's volume (IOChaos "
                     "volumePath, e.g. /data/db); set it")
    wild = [h for h in spec.parameters.target_hostnames or [] if "*" in h or "?" in h]
    if wild:  # Litmus matches names literally; DNSChaos would read these as patterns and hit other names
        found.append(f"target_hostnames: {', '.join(map(repr, wild))} hold * or ?, which DNSChaos reads as "
                     "wildcards; give plain names or use chaos_engine: litmus")
    return found


def cluster_refusals(spec: ExperimentSpec, install: LitmusInstall) -> list[str]:
    """Why this cluster's Chaos Mesh cannot run ``spec``: a DNSChaos where the inventory found no DNS
    server (``install.chaos_mesh_dns_server`` False; None, not known, refuses nothing)."""
    found = spec.action.entry.chaos_mesh
    if found is None or found.kind != "DNSChaos" or install.chaos_mesh_dns_server is not False:
        return []
    return [f"{spec.action.value}: DNSChaos {NEEDS['DNSChaos']} and this cluster has none; install it "
            "(helm upgrade chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --reuse-values --set "
            "dnsServer.create=true) or use chaos_engine: litmus"]


def _as_chaos_mesh_does(p: Parameters, name: str) -> bool:
    """Whether ``name`` is unset, or set to what Chaos Mesh does anyway: an interval at least the
    duration kills once (the planner's "once"), and SIGKILL is the signal it sends."""
    value = getattr(p, name)
    if name == "chaos_interval_s":
        return value is None or value >= p.duration_s
    return value is None or (name == "signal" and value == "SIGKILL")


def render(spec: ExperimentSpec, *, run_id: str, inventory: Inventory | None = None) -> ChaosMeshObject:
    """The Chaos Mesh object that runs ``spec`` for ``run_id`` in the target's namespace.
    ``inventory`` names the container a container-kill hits (the target workload's first one).

    Raises:
        ValueError: Chaos Mesh cannot run the spec (:func:`refusals` says why).
    """
    if reasons := refusals(spec):
        raise ValueError("; ".join(reasons))
    found = mapping(spec.action)
    sel, p = spec.target_selector, spec.parameters
    body: dict[str, object] = {
        "selector": {"namespaces": [sel.namespace], "labelSelectors": dict(sorted(sel.labels.items()))},
        **_mode(p), "duration": f"{p.duration_s}s",
    }
    if found.kind == "PodChaos":
        body["action"] = found.action
        if found.action == "container-kill":
            body["containerNames"] = [_container(spec, inventory)]
        if p.force:
            body["gracePeriod"] = 0
    elif found.kind == "NetworkChaos":
        body.update(_network(spec.action, found.action, p))
    elif found.kind == "DNSChaos":
        body["action"] = found.action
        if p.target_hostnames:  # none: every name fails, as with Litmus's empty TARGET_HOSTNAMES
            # each name, and the name with any domain after it: a pod asks for carts.<namespace>.svc.cluster.local
            # first (its search path), and a DNSChaos pattern matches the whole name asked
            body["patterns"] = [q for h in p.target_hostnames for q in (h, f"{h}.*")]
    elif found.kind == "IOChaos":
        body.update(_io(found.action, p))
    else:
        body["stressors"] = _stressors(spec.action, found.action, p)
    return ChaosMeshObject(kind=found.kind, name=engine_name(run_id), namespace=sel.namespace,
                           run_id=run_id, spec=body)


def _mode(p: Parameters) -> dict[str, object]:
    """pods_affected_perc as a selection mode: 0 one pod, 100 all, else a fixed percent."""
    if p.pods_affected_perc in (0, None):
        return {"mode": "one"}
    if p.pods_affected_perc >= 100:
        return {"mode": "all"}
    return {"mode": "fixed-percent", "value": str(p.pods_affected_perc)}


def _container(spec: ExperimentSpec, inventory: Inventory | None) -> str:
    sel = spec.target_selector
    workloads = [w for w in (inventory.workloads if inventory else [])
                 if w.namespace == sel.namespace and w.containers
                 and all(w.pod_labels.get(k) == v for k, v in sel.labels.items())]
    if not workloads:
        raise ValueError(f"container-kill on {sel.namespace}/{sel.label_selector}: Chaos Mesh needs a container "
                         "name and the inventory shows no workload with containers matching the selector")
    return workloads[0].containers[0].name


def _value(fault: Fault, p: Parameters, field: str) -> str:
    """A parameter as set, else the upstream Litmus default (the same fault, with or without Chaos Mesh)."""
    value = getattr(p, field)
    return str(value) if value is not None else upstream_defaults(fault)[fault.entry.env[field]]


def _network(fault: Fault, action: str, p: Parameters) -> dict[str, object]:
    out: dict[str, object] = {"action": action, "direction": "to"}
    if action == "delay":
        out["delay"] = {"latency": f"{_value(fault, p, 'network_latency_ms')}ms",
                        "jitter": f"{_value(fault, p, 'jitter_ms')}ms", "correlation": "0"}
    else:
        field = {"loss": "packet_loss_pct", "corrupt": "packet_corruption_pct",
                 "duplicate": "packet_duplication_pct"}[action]
        out[action] = {action: _value(fault, p, field), "correlation": "0"}
    if p.destination_hosts:
        out["externalTargets"] = [h for h in p.destination_hosts.split(",") if h]
    return out


def _io(action: str, p: Parameters) -> dict[str, object]:
    """IOChaos latency on every file under the volume (upstream example's ``path``); the first container."""
    delay, percent = p.io_latency_ms or IO_DELAY_MS, p.io_percent or IO_PERCENT
    return {"action": action, "volumePath": p.volume_path, "path": f"{p.volume_path}/**/*",
            "delay": f"{delay}ms", "percent": percent}


def _stressors(fault: Fault, action: str, p: Parameters) -> dict[str, object]:
    if action == "cpu":
        return {"cpu": {"workers": int(_value(fault, p, "cpu_cores")), "load": int(_value(fault, p, "cpu_load_pct"))}}
    return {"memory": {"workers": int(_value(fault, p, "number_of_workers")),
                       "size": f"{_value(fault, p, 'memory_consumption_mb')}MB"}}


def phase(conditions: dict[str, str], desired: str | None, *, failure: str = "") -> tuple[Phase, str]:
    """The neutral phase of a Chaos Mesh object, and a line saying why, from its condition statuses
    (type -> "True"/"False") and ``status.experiment.desiredPhase``, read as upstream's
    ``judgeCondition`` does; ``failure`` is the last Failed event of its records, if any."""
    selected, paused = conditions.get("Selected") == "True", conditions.get("Paused") == "True"
    if paused:
        return "stopped", "paused (experiment.chaos-mesh.org/pause)" + ("" if selected else "; no target selected")
    if desired == "Stop":
        if selected and conditions.get("AllRecovered") == "True":
            return "completed", "duration over; every target recovered"
        if not selected:
            return "failed", failure or "duration over and no target was ever selected"
        return "running", "duration over; recovering targets"
    if failure:
        return "failed", failure
    if selected and conditions.get("AllInjected") == "True":
        return "running", "injected into every target"
    return "pending", "selecting targets" if not selected else "injecting"
