"""Kubernetes objects (as the API's JSON) into domain models, at the edge: pods, workloads and
services for discovery; ChaosEngines and ChaosResults for the run.

A workload keeps what its calls can be inferred from: env (ConfigMap values resolved, Secrets never
read), command and args, and the ConfigMap keys it mounts, each cut to a bounded size.

Discovery reads lists as raw JSON (``_preload_content=False``): building the client's typed
models for 20,000 pods cost ~8 s, and only a few fields are needed here (``kube_json`` names them).
"""

from __future__ import annotations

from kubernetes.utils.quantity import parse_quantity

from agent.adapters.kube_json import (
    ChaosEngineJson,
    ChaosResultJson,
    ContainerJson,
    EngineSpecJson,
    IngressJson,
    ObjectMetaJson,
    PodJson,
    PodSpecJson,
    ProbeJson,
    ServiceJson,
    WorkloadJson,
)
from agent.engines.litmus import MANAGED_BY, RUN_LABEL
from agent.models import (
    Container,
    EngineInfo,
    EngineRef,
    EngineStatus,
    KubeService,
    Pod,
    Probe,
    Workload,
    WorkloadKind,
)
from agent.models.inventory import ConfigFile, EnvVar
from agent.models.run import ProbeOutcome

MAX_VALUE = 4096  # characters kept of an env value, an argument or a ConfigMap key: addresses are short
MAX_KEYS = 64  # keys read of one ConfigMap
ConfigMaps = dict[tuple[str, str], dict[str, str]]  # (namespace, name) -> data


def owner(meta: ObjectMetaJson) -> tuple[str, str] | None:
    """The controlling owner (kind, name) of an object, if any."""
    refs = meta.get("ownerReferences") or []
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return (ref["kind"], ref["name"]) if ref else None


def pod(p: PodJson, rs_owner: dict[tuple[str, str], tuple[str, str] | None]) -> Pod:
    """A pod with its top-level owner; ``rs_owner`` maps (namespace, ReplicaSet) to its owner."""
    meta, status, spec = p["metadata"], p.get("status") or {}, p.get("spec") or {}
    top = owner(meta)
    if top and top[0] == "ReplicaSet":
        top = rs_owner.get((meta["namespace"], top[1])) or top
    conditions = status.get("conditions") or []
    return Pod(
        name=meta["name"],
        namespace=meta["namespace"],
        labels=meta.get("labels") or {},
        owner_kind=top[0] if top else None,
        owner_name=top[1] if top else None,
        ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
        restarts=sum(s.get("restartCount") or 0 for s in status.get("containerStatuses") or []),
        node=spec.get("nodeName"),
        uid=meta.get("uid") or "",
        created_at=meta.get("creationTimestamp"),
    )


def workload(kind: WorkloadKind, w: WorkloadJson, config_maps: ConfigMaps | None = None) -> Workload:
    """A workload; ``config_maps`` (its namespace's) resolve the ConfigMap values it loads or mounts."""
    meta, spec, status = w["metadata"], w.get("spec") or {}, w.get("status") or {}
    template = spec.get("template") or {}
    pod_spec: PodSpecJson = template.get("spec") or {}
    maps = {name: data for (ns, name), data in (config_maps or {}).items() if ns == meta["namespace"]}
    volumes = pod_spec.get("volumes") or []
    if kind == "DaemonSet":  # one pod per node it runs on
        replicas, ready = status.get("desiredNumberScheduled") or 0, status.get("numberReady") or 0
    else:
        replicas, ready = spec.get("replicas") or 0, status.get("readyReplicas") or 0
        replicas = replicas if spec.get("replicas") is not None else 1
    return Workload(
        kind=kind,
        name=meta["name"],
        namespace=meta["namespace"],
        labels=meta.get("labels") or {},
        annotations=meta.get("annotations") or {},
        pod_labels=(template.get("metadata") or {}).get("labels") or {},
        replicas=replicas,
        ready_replicas=ready,
        containers=[container(c, maps) for c in pod_spec.get("containers") or []],
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        generation=int(str(meta.get("generation") or 0)),
        persistent=bool(spec.get("volumeClaimTemplates")) or any(v.get("persistentVolumeClaim") for v in volumes),
        config=[
            ConfigFile(config_map=ref, key=key, text=text[:MAX_VALUE])
            for v in volumes if (ref := (v.get("configMap") or {}).get("name"))
            for key, text in sorted(maps.get(ref, {}).items())[:MAX_KEYS]
        ],
    )


def _env(c: ContainerJson, maps: dict[str, dict[str, str]]) -> list[EnvVar]:
    """Plain values, ConfigMap keys (one by one or all of them) resolved; Secrets stay unread."""
    out = []
    for source in c.get("envFrom") or []:
        ref = (source.get("configMapRef") or {}).get("name")
        for key, value in sorted(maps.get(ref or "", {}).items())[:MAX_KEYS]:
            out.append(EnvVar(name=f"{source.get('prefix') or ''}{key}", value=value[:MAX_VALUE], source=f"configMap {ref}"))
    for var in c.get("env") or []:
        key_ref = ((var.get("valueFrom") or {}).get("configMapKeyRef")) or {}
        if key_ref:
            value = maps.get(key_ref.get("name", ""), {}).get(key_ref.get("key", ""), "")
            out.append(EnvVar(name=var["name"], value=value[:MAX_VALUE], source=f"configMap {key_ref.get('name')}"))
        else:
            out.append(EnvVar(name=var["name"], value=str(var.get("value") or "")[:MAX_VALUE]))
    return out


def container(c: ContainerJson, config_maps: dict[str, dict[str, str]] | None = None) -> Container:
    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    return Container(
        name=c["name"],
        image=c.get("image") or "",
        env=_env(c, config_maps or {}),
        args=[str(a)[:MAX_VALUE] for a in [*(c.get("command") or []), *(c.get("args") or [])]][:MAX_KEYS],
        cpu_request_m=_millicores(req.get("cpu")),
        cpu_limit_m=_millicores(lim.get("cpu")),
        memory_request_mib=_mib(req.get("memory")),
        memory_limit_mib=_mib(lim.get("memory")),
        readiness=_probe(c.get("readinessProbe")),
        liveness=_probe(c.get("livenessProbe")),
    )


def service(s: ServiceJson, exposed: dict[tuple[str, str], list[str]] | None = None) -> KubeService:
    """A Service; ``exposed`` maps (namespace, Service) to the Ingresses routing to it."""
    meta, spec = s["metadata"], s.get("spec") or {}
    ports = spec.get("ports") or []
    return KubeService(
        name=meta["name"],
        namespace=meta["namespace"],
        selector=spec.get("selector") or {},
        ports=[p["port"] for p in ports],
        port_names=[name for p in ports if (name := p.get("name"))],
        type=spec.get("type") or "ClusterIP",
        exposed_by=(exposed or {}).get((meta["namespace"], meta["name"]), []),
    )


def ingress_backends(i: IngressJson) -> list[str]:
    """The Services an Ingress routes to (default backend and every rule's paths)."""
    spec = i.get("spec") or {}
    backends = [spec.get("defaultBackend") or {}]
    backends += [p.get("backend") or {} for r in spec.get("rules") or [] for p in ((r.get("http") or {}).get("paths") or [])]
    return sorted({name for b in backends if (name := (b.get("service") or {}).get("name"))})


def _probe(p: ProbeJson | None) -> Probe | None:
    if p is None:
        return None
    return Probe(initial_delay_s=p.get("initialDelaySeconds") or 0, period_s=p.get("periodSeconds") or 10)


def _millicores(q: str | int | None) -> int | None:
    return None if q is None else int(parse_quantity(q) * 1000)


def _mib(q: str | int | None) -> int | None:
    return None if q is None else int(parse_quantity(q) / (1024 * 1024))


# --- Litmus ----------------------------------------------------------------------------------------


def engine_ref(namespace: str, name: str, body: ChaosEngineJson, *, created: bool) -> EngineRef:
    """Where an applied (or found) engine lives."""
    meta = body.get("metadata") or {}
    return EngineRef(
        name=name, namespace=namespace, uid=meta.get("uid", ""), created=created,
        created_at=meta.get("creationTimestamp"), run_id=(meta.get("labels") or {}).get(RUN_LABEL),
    )


def engine_info(namespace: str, item: ChaosEngineJson) -> EngineInfo:
    """An engine of a namespace's list."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    return EngineInfo(
        name=meta.get("name", ""), namespace=namespace, uid=meta.get("uid", ""),
        created_at=meta.get("creationTimestamp"), engine_state=spec.get("engineState", ""),
        engine_status=status.get("engineStatus"),
        managed=(meta.get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY,
        duration_s=_duration(spec), resource_version=meta.get("resourceVersion", ""),
    )


def engine_status(engine: ChaosEngineJson, result: ChaosResultJson) -> EngineStatus:
    """The engine's state and its ChaosResult's (``result`` empty: not created yet)."""
    status = engine.get("status") or {}
    runs = status.get("experiments") or [{}]
    result_status = result.get("status") or {}
    exp = result_status.get("experimentStatus") or {}
    probes = [
        ProbeOutcome(name=p.get("name") or "", type=p.get("type") or "", mode=p.get("mode") or "",
                     verdict=(p.get("status") or {}).get("verdict") or "Awaited",
                     description=(p.get("status") or {}).get("description") or "")
        for p in result_status.get("probeStatuses") or [] if isinstance(p, dict)
    ]
    return EngineStatus(
        engine_state=engine.get("spec", {}).get("engineState", ""),
        engine_status=status.get("engineStatus"),
        experiment_status=runs[0].get("status"),
        phase=exp.get("phase"),
        verdict=exp.get("verdict"),
        probe_success_pct=exp.get("probeSuccessPercentage"),
        probes=probes,
    )


def _duration(spec: EngineSpecJson) -> int | None:
    """TOTAL_CHAOS_DURATION of the engine's (first) experiment, if set and a number."""
    for experiment in spec.get("experiments") or []:
        env = (((experiment or {}).get("spec") or {}).get("components") or {}).get("env") or []
        for var in env:
            if isinstance(var, dict) and var.get("name") == "TOTAL_CHAOS_DURATION":
                try:
                    return int(str(var.get("value")))
                except ValueError:
                    return None
    return None
