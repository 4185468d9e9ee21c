"""Kubernetes objects (as the API's JSON) into domain models, at the edge: pods, workloads and
services for discovery; ChaosEngines and ChaosResults for the run.

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
    ObjectMetaJson,
    PodJson,
    ProbeJson,
    ServiceJson,
    WorkloadJson,
)
from agent.engines.litmus import MANAGED_BY
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
    )


def workload(kind: WorkloadKind, w: WorkloadJson) -> Workload:
    meta, spec, status = w["metadata"], w.get("spec") or {}, w.get("status") or {}
    template = spec.get("template") or {}
    return Workload(
        kind=kind,
        name=meta["name"],
        namespace=meta["namespace"],
        labels=meta.get("labels") or {},
        annotations=meta.get("annotations") or {},
        pod_labels=(template.get("metadata") or {}).get("labels") or {},
        replicas=spec["replicas"] if spec.get("replicas") is not None else 1,
        ready_replicas=status.get("readyReplicas") or 0,
        containers=[container(c) for c in (template.get("spec") or {}).get("containers") or []],
    )


def container(c: ContainerJson) -> Container:
    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    return Container(
        name=c["name"],
        image=c.get("image") or "",
        cpu_request_m=_millicores(req.get("cpu")),
        cpu_limit_m=_millicores(lim.get("cpu")),
        memory_request_mib=_mib(req.get("memory")),
        memory_limit_mib=_mib(lim.get("memory")),
        readiness=_probe(c.get("readinessProbe")),
        liveness=_probe(c.get("livenessProbe")),
    )


def service(s: ServiceJson) -> KubeService:
    meta, spec = s["metadata"], s.get("spec") or {}
    return KubeService(
        name=meta["name"],
        namespace=meta["namespace"],
        selector=spec.get("selector") or {},
        ports=[p["port"] for p in spec.get("ports") or []],
        type=spec.get("type") or "ClusterIP",
    )


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
        created_at=meta.get("creationTimestamp"),
    )


def engine_info(namespace: str, item: ChaosEngineJson) -> EngineInfo:
    """An engine of a namespace's list."""
    meta, spec, status = item.get("metadata") or {}, item.get("spec") or {}, item.get("status") or {}
    return EngineInfo(
        name=meta.get("name", ""), namespace=namespace, uid=meta.get("uid", ""),
        created_at=meta.get("creationTimestamp"), engine_state=spec.get("engineState", ""),
        engine_status=status.get("engineStatus"),
        managed=(meta.get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY,
        duration_s=_duration(spec),
    )


def engine_status(engine: ChaosEngineJson, result: ChaosResultJson) -> EngineStatus:
    """The engine's state and its ChaosResult's (``result`` empty: not created yet)."""
    status = engine.get("status") or {}
    runs = status.get("experiments") or [{}]
    exp = (result.get("status") or {}).get("experimentStatus") or {}
    return EngineStatus(
        engine_state=engine.get("spec", {}).get("engineState", ""),
        engine_status=status.get("engineStatus"),
        experiment_status=runs[0].get("status"),
        phase=exp.get("phase"),
        verdict=exp.get("verdict"),
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
