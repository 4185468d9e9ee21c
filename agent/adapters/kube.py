"""Cluster port over the official ``kubernetes`` client (a real API server or the twin).

The only module that imports ``kubernetes``. Its errors are mapped here to ``agent.errors``.
List calls are paginated (``limit`` + ``continue``) so large clusters stream in pages.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.utils.quantity import parse_quantity
from urllib3.exceptions import HTTPError as Urllib3Error

from agent.errors import (
    ClusterError,
    ClusterUnreachable,
    Conflict,
    DryRunFailed,
    Forbidden,
    NotFound,
)
from agent.litmus import API_VERSION, ChaosEngineManifest, result_name
from agent.models import (
    Container,
    EngineRef,
    EngineStatus,
    KubeService,
    LitmusInstall,
    Pod,
    Probe,
    Workload,
)
from agent.ports import ClusterSnapshot

GROUP, VERSION = API_VERSION.split("/")
PAGE = 500
TIMEOUT_S = 15


def connect(*, host: str | None, kubeconfig: str | None, context: str | None) -> KubeCluster:
    """A cluster adapter for ``host`` (the twin), else the kubeconfig, else in-cluster config."""
    cfg = client.Configuration()
    if host:
        cfg.host = host
    else:
        try:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
        except (config.ConfigException, OSError, TypeError) as e:
            try:
                config.load_incluster_config(client_configuration=cfg)
            except config.ConfigException:
                raise ClusterUnreachable(
                    f"no cluster: kubeconfig {kubeconfig!r} failed ({e}) and not in a pod; "
                    "set k8s.kubeconfig / k8s.context, or use --twin"
                ) from None
    cfg.retries = 2
    return KubeCluster(client.ApiClient(cfg))


class KubeCluster:
    """Implements :class:`agent.ports.Cluster`."""

    def __init__(self, api: client.ApiClient) -> None:
        self._api = api
        self.server: str = api.configuration.host
        self._core = client.CoreV1Api(api)
        self._apps = client.AppsV1Api(api)
        self._custom = client.CustomObjectsApi(api)
        self._ext = client.ApiextensionsV1Api(api)

    # --- discovery ---------------------------------------------------------------------------

    def snapshot(self, namespaces: list[str]) -> ClusterSnapshot:
        workloads: list[Workload] = []
        services: list[KubeService] = []
        pods: list[Pod] = []
        experiments: dict[str, list[str]] = {}
        for ns in namespaces:
            rs_owner = {
                rs.metadata.name: _owner(rs.metadata)
                for rs in self._pages(self._apps.list_namespaced_replica_set, ns)
            }
            raw_pods = list(self._pages(self._core.list_namespaced_pod, ns))
            ns_pods = [_pod(p, rs_owner) for p in raw_pods]
            pods += ns_pods
            for d in self._pages(self._apps.list_namespaced_deployment, ns):
                workloads.append(_workload("Deployment", d))
            for s in self._pages(self._apps.list_namespaced_stateful_set, ns):
                workloads.append(_workload("StatefulSet", s))
            services += [_service(s) for s in self._pages(self._core.list_namespaced_service, ns)]
            experiments[ns] = self._experiments(ns)
        return ClusterSnapshot(
            server=self.server,
            workloads=workloads,
            services=services,
            pods=pods,
            litmus=LitmusInstall(crds=self._litmus_crds(), experiments=experiments),
        )

    def _pages(self, call: Callable[..., Any], namespace: str) -> Iterator[Any]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": PAGE, "_request_timeout": TIMEOUT_S}
            if token:
                kwargs["_continue"] = token
            page = self._call(functools.partial(call, namespace, **kwargs), f"list in {namespace}")
            yield from page.items
            token = page.metadata._continue if page.metadata else None
            if not token:
                return

    def _litmus_crds(self) -> list[str]:
        crds = self._call(
            lambda: self._ext.list_custom_resource_definition(_request_timeout=TIMEOUT_S),
            "list CustomResourceDefinitions",
        )
        return sorted(c.metadata.name for c in crds.items if c.spec.group == GROUP)

    def _experiments(self, namespace: str) -> list[str]:
        try:
            found = self._call(
                lambda: self._custom.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, "chaosexperiments", _request_timeout=TIMEOUT_S
                ),
                f"list chaosexperiments in {namespace}",
            )
        except NotFound:
            return []  # the CRD is not installed
        return sorted(item["metadata"]["name"] for item in found.get("items", []))

    # --- chaos engines -------------------------------------------------------------------------

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        what = f"{'dry-run ' if dry_run else ''}create ChaosEngine {manifest.namespace}/{manifest.name}"
        extra: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
        try:
            body = self._call(
                lambda: self._custom.create_namespaced_custom_object(
                    GROUP, VERSION, manifest.namespace, "chaosengines", manifest.body(),
                    _request_timeout=TIMEOUT_S, **extra,
                ),
                what,
            )
        except ClusterError as e:
            if dry_run and type(e) is ClusterError:  # 400/422: the manifest itself is invalid
                raise DryRunFailed(f"server-side dry-run rejected the engine: {e}") from e
            raise
        meta = (body or {}).get("metadata", {})
        return EngineRef(
            name=manifest.name, namespace=manifest.namespace, uid=meta.get("uid", ""), created=True
        )

    def find_engine(self, namespace: str, name: str) -> EngineRef | None:
        try:
            body = self._get_engine(namespace, name)
        except NotFound:
            return None
        return EngineRef(name=name, namespace=namespace, uid=body["metadata"].get("uid", ""), created=False)

    def engine_status(self, namespace: str, name: str, experiment: str) -> EngineStatus:
        engine = self._get_engine(namespace, name)
        status = engine.get("status") or {}
        runs = status.get("experiments") or [{}]
        try:
            result = self._call(
                lambda: self._custom.get_namespaced_custom_object(
                    GROUP, VERSION, namespace, "chaosresults", result_name(name, experiment),
                    _request_timeout=TIMEOUT_S,
                ),
                f"get ChaosResult {namespace}/{result_name(name, experiment)}",
            )
            exp = (result.get("status") or {}).get("experimentStatus") or {}
        except NotFound:
            exp = {}
        return EngineStatus(
            engine_state=engine.get("spec", {}).get("engineState", ""),
            engine_status=status.get("engineStatus"),
            experiment_status=runs[0].get("status"),
            phase=exp.get("phase"),
            verdict=exp.get("verdict"),
        )

    def stop_engine(self, namespace: str, name: str) -> None:
        self._call(
            lambda: self._custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", name,
                {"spec": {"engineState": "stop"}}, _request_timeout=TIMEOUT_S,
            ),
            f"stop ChaosEngine {namespace}/{name}",
        )

    def _get_engine(self, namespace: str, name: str) -> dict[str, Any]:
        body: dict[str, Any] = self._call(
            lambda: self._custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", name, _request_timeout=TIMEOUT_S
            ),
            f"get ChaosEngine {namespace}/{name}",
        )
        return body

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        try:
            return fn()
        except ApiException as e:
            raise _mapped(e, what, self.server) from e
        except (Urllib3Error, OSError) as e:
            raise ClusterUnreachable(f"{what}: cannot reach {self.server} ({e.__class__.__name__})") from e


def _mapped(e: ApiException, what: str, server: str) -> ClusterError:
    reason = _message(e)
    if e.status == 404:
        return NotFound(f"{what}: not found ({reason})")
    if e.status == 409:
        return Conflict(f"{what}: conflict ({reason})")
    if e.status in (401, 403):
        return Forbidden(f"{what}: forbidden by RBAC on {server} ({reason}); grant the agent's account this verb")
    return ClusterError(f"{what}: HTTP {e.status} ({reason})")


def _message(e: ApiException) -> str:
    try:
        return str(json.loads(e.body or "{}").get("message") or e.reason)
    except ValueError:
        return str(e.reason)


# --- conversion of API objects into domain models (at the edge) -----------------------------------


def _owner(meta: Any) -> tuple[str, str] | None:
    refs = meta.owner_references or []
    ref = next((r for r in refs if r.controller), refs[0] if refs else None)
    return (ref.kind, ref.name) if ref else None


def _pod(p: Any, rs_owner: dict[str, tuple[str, str] | None]) -> Pod:
    owner = _owner(p.metadata)
    if owner and owner[0] == "ReplicaSet":
        owner = rs_owner.get(owner[1]) or owner
    conditions = (p.status.conditions or []) if p.status else []
    ready = any(c.type == "Ready" and c.status == "True" for c in conditions)
    statuses = (p.status.container_statuses or []) if p.status else []
    return Pod(
        name=p.metadata.name,
        namespace=p.metadata.namespace,
        labels=p.metadata.labels or {},
        owner_kind=owner[0] if owner else None,
        owner_name=owner[1] if owner else None,
        ready=ready,
        restarts=sum(s.restart_count or 0 for s in statuses),
        node=p.spec.node_name if p.spec else None,
    )


def _workload(kind: str, w: Any) -> Workload:
    template = w.spec.template
    return Workload(
        kind=kind,  # type: ignore[arg-type]
        name=w.metadata.name,
        namespace=w.metadata.namespace,
        labels=w.metadata.labels or {},
        annotations=w.metadata.annotations or {},
        pod_labels=(template.metadata.labels or {}) if template.metadata else {},
        replicas=w.spec.replicas if w.spec.replicas is not None else 1,
        ready_replicas=(w.status.ready_replicas or 0) if w.status else 0,
        containers=[_container(c) for c in template.spec.containers],
    )


def _container(c: Any) -> Container:
    res = c.resources
    req = (res.requests or {}) if res else {}
    lim = (res.limits or {}) if res else {}
    return Container(
        name=c.name,
        image=c.image or "",
        cpu_request_m=_millicores(req.get("cpu")),
        cpu_limit_m=_millicores(lim.get("cpu")),
        memory_request_mib=_mib(req.get("memory")),
        memory_limit_mib=_mib(lim.get("memory")),
        readiness=_probe(c.readiness_probe),
        liveness=_probe(c.liveness_probe),
    )


def _probe(p: Any) -> Probe | None:
    if p is None:
        return None
    return Probe(initial_delay_s=p.initial_delay_seconds or 0, period_s=p.period_seconds or 10)


def _millicores(q: str | None) -> int | None:
    return None if q is None else int(parse_quantity(q) * 1000)


def _mib(q: str | None) -> int | None:
    return None if q is None else int(parse_quantity(q) / (1024 * 1024))


def _service(s: Any) -> KubeService:
    return KubeService(
        name=s.metadata.name,
        namespace=s.metadata.namespace,
        selector=s.spec.selector or {},
        ports=[p.port for p in (s.spec.ports or [])],
        type=s.spec.type or "ClusterIP",
    )
