"""Cluster port over the official ``kubernetes`` client (a real API server or the twin).

With ``kube_calls``, ``kube_objects`` and ``kube_cleanup`` (its deletes), the only modules that import ``kubernetes``.
List calls are paginated (``limit`` + ``continue``) so large clusters stream in pages. The JSON
read from the API is typed by ``kube_json`` and becomes ``agent.models`` before it leaves.

Every call goes through ``kube_calls.call``: bounded retries of transient failures, errors
mapped to ``agent.errors``. A create whose answer was lost and whose retry then finds the
object is answered with that object: the engine is created once.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kubernetes import client

from agent.adapters import kube_objects as objects
from agent.adapters.kube_calls import RetryPolicy, api_client, call
from agent.adapters.kube_cleanup import EngineCleanup
from agent.adapters.kube_json import (
    ChaosEngineJson,
    ChaosResultJson,
    ConfigMapJson,
    CreateOptions,
    IngressJson,
    KubeObjectJson,
    ListOptions,
    PodJson,
    ReplicaSetJson,
    ServiceJson,
    WorkloadJson,
)
from agent.engines.chaos_mesh import DNS_NAMESPACE, DNS_SERVER, PLURALS
from agent.engines.chaos_mesh import GROUP as MESH_GROUP
from agent.engines.litmus import API_VERSION, MANAGED_BY, ChaosEngineManifest, result_name
from agent.errors import (
    ClusterError,
    Conflict,
    DryRunFailed,
    Forbidden,
    NotFound,
)
from agent.models import (
    EngineInfo,
    EngineRef,
    EngineStatus,
    LitmusInstall,
    WorkloadKind,
)
from agent.ports import ClusterSnapshot

log = logging.getLogger(__name__)
GROUP, VERSION = API_VERSION.split("/")
PAGE = 500
CLUSTER_WIDE_AFTER = 3  # namespaces; more are listed cluster-wide in one paginated call
__all__ = ["KubeCluster", "RetryPolicy", "connect"]
_WORKLOADS: tuple[tuple[str, WorkloadKind], ...] = (
    ("deployments", "Deployment"), ("statefulsets", "StatefulSet"), ("daemonsets", "DaemonSet"))
Listed = TypeVar("Listed", bound=KubeObjectJson)


def connect(
    *,
    host: str | None,
    kubeconfig: str | None,
    context: str | None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> KubeCluster:
    """A cluster adapter for ``host`` (the twin), else the kubeconfig, else in-cluster config.
    ``sleep`` waits between retries (tests pass a recorder instead of waiting)."""
    api = api_client(host=host, kubeconfig=kubeconfig, context=context)
    return KubeCluster(api, retry=retry or RetryPolicy(), sleep=sleep)


class KubeCluster(EngineCleanup):
    """Implements :class:`agent.ports.Cluster` (its deletes in ``kube_cleanup``)."""

    def __init__(
        self, api: client.ApiClient, *, retry: RetryPolicy, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._api = api
        self._retry, self._sleep = retry, sleep
        self._timeout = retry.request_timeout()
        self.server: str = api.configuration.host
        self._core = client.CoreV1Api(api)
        self._apps = client.AppsV1Api(api)
        self._custom = client.CustomObjectsApi(api)
        self._ext = client.ApiextensionsV1Api(api)
        self._net = client.NetworkingV1Api(api)
        self._calls: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
            "replicasets": (self._apps.list_namespaced_replica_set, self._apps.list_replica_set_for_all_namespaces),
            "pods": (self._core.list_namespaced_pod, self._core.list_pod_for_all_namespaces),
            "deployments": (self._apps.list_namespaced_deployment, self._apps.list_deployment_for_all_namespaces),
            "statefulsets": (self._apps.list_namespaced_stateful_set, self._apps.list_stateful_set_for_all_namespaces),
            "services": (self._core.list_namespaced_service, self._core.list_service_for_all_namespaces),
            "daemonsets": (self._apps.list_namespaced_daemon_set, self._apps.list_daemon_set_for_all_namespaces),
            "configmaps": (self._core.list_namespaced_config_map, self._core.list_config_map_for_all_namespaces),
            "ingresses": (self._net.list_namespaced_ingress, self._net.list_ingress_for_all_namespaces),
        }

    # --- discovery ---------------------------------------------------------------------------

    def snapshot(self, namespaces: list[str]) -> ClusterSnapshot:
        rs_owner = {
            (rs["metadata"]["namespace"], rs["metadata"]["name"]): objects.owner(rs["metadata"])
            for rs in self._list("replicasets", namespaces, ReplicaSetJson)
        }
        pods = [objects.pod(p, rs_owner) for p in self._list("pods", namespaces, PodJson)]
        maps = {(c["metadata"]["namespace"], c["metadata"]["name"]): c.get("data") or {}
                for c in self._list("configmaps", namespaces, ConfigMapJson)}
        workloads = [objects.workload(kind, w, maps) for resource, kind in _WORKLOADS
                     for w in self._list(resource, namespaces, WorkloadJson)]
        exposed: dict[tuple[str, str], list[str]] = {}
        for i in self._list("ingresses", namespaces, IngressJson):
            ns, name = i["metadata"]["namespace"], i["metadata"]["name"]
            for backend in objects.ingress_backends(i):
                exposed.setdefault((ns, backend), []).append(f"Ingress {name}")
        services = [objects.service(s, exposed) for s in self._list("services", namespaces, ServiceJson)]
        return ClusterSnapshot(
            server=self.server,
            workloads=workloads,
            services=services,
            pods=pods,
            litmus=LitmusInstall(
                crds=(crds := self._crds())[GROUP], experiments={ns: self._experiments(ns) for ns in namespaces},
                chaos_mesh_crds=crds[MESH_GROUP], chaos_mesh_dns_server=self._dns_server(crds[MESH_GROUP]),
            ),
        )

    def _list(self, resource: str, namespaces: list[str], shape: type[Listed]) -> list[Listed]:
        """Every object of ``resource`` in ``namespaces``: one cluster-wide paginated list when
        there are many namespaces (kubectl -A style), else one list per namespace; a 403 on the
        cluster-wide list (namespace-scoped RBAC) falls back to per-namespace lists. ``shape``
        (a ``kube_json`` TypedDict) names what is read of each item; it is not validated."""
        namespaced, everywhere = self._calls[resource]
        if len(namespaces) > CLUSTER_WIDE_AFTER:
            wanted = set(namespaces)
            try:
                return [o for o in self._raw_pages(everywhere, resource, shape)
                        if o["metadata"].get("namespace") in wanted]
            except Forbidden:
                pass
        return [o for ns in namespaces
                for o in self._raw_pages(functools.partial(namespaced, ns), f"{resource} in {ns}", shape)]

    def _raw_pages(self, call: Callable[..., Any], what: str, shape: type[Listed]) -> Iterator[Listed]:
        """The items of every page, as the API's JSON (of ``shape``, not validated)."""
        token: str | None = None
        while True:
            kwargs: ListOptions = {"limit": PAGE, "_request_timeout": self._timeout, "_preload_content": False}
            if token:
                kwargs["_continue"] = token
            resp = self._call(functools.partial(call, **kwargs), f"list {what}")
            try:
                page = json.loads(resp.data)
            except ValueError as e:
                raise ClusterError(f"list {what}: the API server answered something that is not JSON ({e})") from e
            yield from page.get("items") or []
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return

    def _crds(self) -> dict[str, list[str]]:
        """The Litmus and Chaos Mesh CRDs, by group."""
        crds = self._call(
            lambda: self._ext.list_custom_resource_definition(_request_timeout=self._timeout),
            "list CustomResourceDefinitions",
        )
        return {g: sorted(c.metadata.name for c in crds.items if c.spec.group == g) for g in (GROUP, MESH_GROUP)}

    def _dns_server(self, mesh_crds: list[str]) -> bool | None:
        """Whether Chaos Mesh's DNS server Service exists (DNSChaos needs it); None when no DNSChaos CRD
        needs it or the agent may not read it (``manifests`` grants that with engines.default: chaos-mesh)."""
        if f"{PLURALS['DNSChaos']}.{MESH_GROUP}" not in mesh_crds:
            return None
        try:
            self._call(lambda: self._core.read_namespaced_service(
                DNS_SERVER, DNS_NAMESPACE, _request_timeout=self._timeout),
                f"get Service {DNS_NAMESPACE}/{DNS_SERVER}")
        except NotFound:
            return False
        except Forbidden:
            return None
        return True

    def _experiments(self, namespace: str) -> list[str]:
        try:
            found = self._call(
                lambda: self._custom.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, "chaosexperiments", _request_timeout=self._timeout
                ),
                f"list chaosexperiments in {namespace}",
            )
        except NotFound:
            return []  # the CRD is not installed
        return sorted(item["metadata"]["name"] for item in found.get("items", []))

    # --- chaos engines -------------------------------------------------------------------------

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        what = f"{'dry-run ' if dry_run else ''}create ChaosEngine {manifest.namespace}/{manifest.name}"
        extra: CreateOptions = {"dry_run": "All"} if dry_run else {}
        tries = 0

        def create() -> Any:
            nonlocal tries
            tries += 1
            return self._custom.create_namespaced_custom_object(
                GROUP, VERSION, manifest.namespace, "chaosengines", manifest.body(),
                _request_timeout=self._timeout, **extra,
            )

        try:
            body: ChaosEngineJson | None = self._call(create, what)
        except Conflict:
            if dry_run or tries == 1:
                raise
            # An earlier try was applied but its answer was lost: that engine is this one.
            found = self._engine_ref(manifest.namespace, manifest.name, created=True)
            if found is None:
                raise
            log.warning("%s: an earlier try was applied (its answer was lost); using it", what)
            return found
        except ClusterError as e:
            if dry_run and type(e) is ClusterError:  # 400/422: the manifest itself is invalid
                raise DryRunFailed(f"server-side dry-run rejected the engine: {e}") from e
            raise
        return objects.engine_ref(manifest.namespace, manifest.name, body or {}, created=True)

    def find_engine(self, namespace: str, name: str) -> EngineRef | None:
        return self._engine_ref(namespace, name, created=False)

    def list_engines(self, namespace: str) -> list[EngineInfo]:
        """The agent's engines in ``namespace`` (selected by its managed-by label on the server,
        page by page): engines it did not make are never even listed."""
        def page(**options: Any) -> Any:
            return self._custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", label_selector=f"app.kubernetes.io/managed-by={MANAGED_BY}",
                **options,
            )

        return [objects.engine_info(namespace, item)
                for item in self._raw_pages(page, f"chaosengines in {namespace}", ChaosEngineJson)]

    def _engine_ref(self, namespace: str, name: str, *, created: bool) -> EngineRef | None:
        try:
            body = self._get_engine(namespace, name)
        except NotFound:
            return None
        return objects.engine_ref(namespace, name, body, created=created)

    def engine_status(self, namespace: str, name: str, experiment: str) -> EngineStatus:
        engine = self._get_engine(namespace, name)
        try:
            result: ChaosResultJson = self._call(
                lambda: self._custom.get_namespaced_custom_object(
                    GROUP, VERSION, namespace, "chaosresults", result_name(name, experiment),
                    _request_timeout=self._timeout,
                ),
                f"get ChaosResult {namespace}/{result_name(name, experiment)}",
            )
        except NotFound:
            result = {}  # not created yet
        return objects.engine_status(engine, result)

    def stop_engine(self, namespace: str, name: str) -> None:
        self._call(
            lambda: self._custom.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", name,
                {"spec": {"engineState": "stop"}}, _request_timeout=self._timeout,
            ),
            f"stop ChaosEngine {namespace}/{name}",
        )

    def _get_engine(self, namespace: str, name: str) -> ChaosEngineJson:
        body: ChaosEngineJson = self._call(
            lambda: self._custom.get_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosengines", name, _request_timeout=self._timeout
            ),
            f"get ChaosEngine {namespace}/{name}",
        )
        return body

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call(fn, what, server=self.server, policy=self._retry, sleep=self._sleep)
