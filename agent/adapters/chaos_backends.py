"""The two :class:`agent.engines.backend.ChaosBackend` implementations, over the ``kubernetes`` client.

``ChaosMeshBackend`` talks to ``chaos-mesh.org/v1alpha1`` itself (PodChaos, NetworkChaos,
StressChaos); ``LitmusBackend`` is the existing Litmus adapter (:class:`~agent.adapters.kube.KubeCluster`:
ChaosEngine, ChaosResult, their leftovers) seen through the same port. Every call goes through
``kube_calls.call`` (bounded retries, errors mapped to ``agent.errors``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypedDict

from kubernetes import client

from agent.adapters.kube_calls import RetryPolicy, call
from agent.adapters.kube_json import CreateOptions, ObjectMetaJson
from agent.engines import chaos_mesh, litmus
from agent.engines.backend import ChaosRef, ChaosStatus, EngineName, OwnedChaos, Rendered
from agent.errors import ClusterError, Conflict, DryRunFailed, NotFound
from agent.models import ExperimentSpec, Inventory
from agent.run.litmus_backend import LitmusBackend

__all__ = ["ChaosMeshBackend", "LitmusBackend"]  # LitmusBackend: agent.run.litmus_backend (ports only)

MANAGED = f"app.kubernetes.io/managed-by={litmus.MANAGED_BY}"


class _ConditionJson(TypedDict, total=False):
    type: str
    status: str


class _RecordEventJson(TypedDict, total=False):
    type: str
    message: str


class _RecordJson(TypedDict, total=False):
    id: str
    phase: str
    events: list[_RecordEventJson]


class _ExperimentJson(TypedDict, total=False):
    desiredPhase: str
    containerRecords: list[_RecordJson]


class _StatusJson(TypedDict, total=False):
    conditions: list[_ConditionJson]
    experiment: _ExperimentJson


class _SpecJson(TypedDict, total=False):
    duration: str


class ChaosMeshJson(TypedDict, total=False):
    """What is read of a Chaos Mesh object (not validated)."""

    kind: str
    metadata: ObjectMetaJson
    spec: _SpecJson
    status: _StatusJson


class ChaosMeshBackend:
    """Chaos Mesh 2.8 on one cluster (objects in the target's namespace, labelled as the agent's)."""

    name: EngineName = "chaos-mesh"

    def __init__(self, api: client.ApiClient, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._custom, self._ext = client.CustomObjectsApi(api), client.ApiextensionsV1Api(api)
        self._retry, self._sleep = retry or RetryPolicy(), sleep
        self._timeout = self._retry.request_timeout()
        self.server: str = api.configuration.host

    def installed(self) -> bool:
        crds = self._call(lambda: self._ext.list_custom_resource_definition(_request_timeout=self._timeout),
                          "list CustomResourceDefinitions")
        return any(c.spec.group == chaos_mesh.GROUP for c in crds.items)

    def refusals(self, spec: ExperimentSpec) -> list[str]:
        return chaos_mesh.refusals(spec)

    def render(self, spec: ExperimentSpec, *, run_id: str, inventory: Inventory) -> chaos_mesh.ChaosMeshObject:
        return chaos_mesh.render(spec, run_id=run_id, inventory=inventory)

    def apply(self, obj: Rendered, *, dry_run: bool) -> ChaosRef:
        plural = _plural(obj.kind)
        what = f"{'dry-run ' if dry_run else ''}create {obj.kind} {obj.namespace}/{obj.name}"
        extra: CreateOptions = {"dry_run": "All"} if dry_run else {}
        try:
            body: ChaosMeshJson = self._call(lambda: self._custom.create_namespaced_custom_object(
                chaos_mesh.GROUP, chaos_mesh.VERSION, obj.namespace, plural, obj.body(),
                _request_timeout=self._timeout, **extra), what)
        except Conflict:
            if dry_run:
                raise
            return _ref(self._get(obj.kind, obj.namespace, obj.name), created=False)  # applied before: that one
        except ClusterError as e:
            if dry_run and type(e) is ClusterError:  # 400/422: the object itself is invalid
                raise DryRunFailed(f"server-side dry-run rejected the {obj.kind}: {e}") from e
            raise
        return _ref(body, created=True)

    def status(self, ref: ChaosRef) -> ChaosStatus:
        return _status(self._get(ref.kind, ref.namespace, ref.name))

    def stop(self, ref: ChaosRef) -> None:
        """Pause it (the annotation; see ``agent.engines.chaos_mesh`` for why not a deletion)."""
        self._call(lambda: self._custom.patch_namespaced_custom_object(
            chaos_mesh.GROUP, chaos_mesh.VERSION, ref.namespace, _plural(ref.kind), ref.name,
            {"metadata": {"annotations": {chaos_mesh.PAUSE_ANNOTATION: "true"}}},
            _request_timeout=self._timeout), f"pause {ref.kind} {ref.namespace}/{ref.name}")

    def list_owned(self, namespace: str) -> list[OwnedChaos]:
        out: list[OwnedChaos] = []
        for kind, plural in chaos_mesh.PLURALS.items():
            try:
                found = self._call(lambda plural=plural: self._custom.list_namespaced_custom_object(  # type: ignore[misc]
                    chaos_mesh.GROUP, chaos_mesh.VERSION, namespace, plural, label_selector=MANAGED,
                    _request_timeout=self._timeout), f"list {plural} in {namespace}")
            except NotFound:
                continue  # that CRD is not installed
            for item in found.get("items") or []:
                item.setdefault("kind", kind)
                out.append(OwnedChaos(ref=_ref(item, created=False),
                                      resource_version=(item.get("metadata") or {}).get("resourceVersion", ""),
                                      status=_status(item), duration_s=_duration(item)))
        return out

    def cleanup(self, owned: OwnedChaos) -> bool:
        ref = owned.ref
        options = client.V1DeleteOptions(preconditions=client.V1Preconditions(
            uid=ref.uid or None, resource_version=owned.resource_version or None))
        try:
            self._call(lambda: self._custom.delete_namespaced_custom_object(
                chaos_mesh.GROUP, chaos_mesh.VERSION, ref.namespace, _plural(ref.kind), ref.name, body=options,
                _request_timeout=self._timeout), f"delete {ref.kind} {ref.namespace}/{ref.name}")
        except NotFound:
            return False
        return True

    def _get(self, kind: str, namespace: str, name: str) -> ChaosMeshJson:
        body: ChaosMeshJson = self._call(lambda: self._custom.get_namespaced_custom_object(
            chaos_mesh.GROUP, chaos_mesh.VERSION, namespace, _plural(kind), name,
            _request_timeout=self._timeout), f"get {kind} {namespace}/{name}")
        return body

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        return call(fn, what, server=self.server, policy=self._retry, sleep=self._sleep)


def _plural(kind: str) -> str:
    try:
        return chaos_mesh.PLURALS[kind]  # type: ignore[index]
    except KeyError:
        raise ClusterError(f"{kind!r} is not a Chaos Mesh kind the agent makes; use one of "
                           f"{', '.join(chaos_mesh.PLURALS)}") from None


def _duration(body: ChaosMeshJson) -> int | None:
    """``spec.duration`` in seconds, when it is the "<n>s" the agent writes (else not known)."""
    text = (body.get("spec") or {}).get("duration", "")
    return int(text[:-1]) if text.endswith("s") and text[:-1].isdigit() else None


def _ref(body: ChaosMeshJson, *, created: bool) -> ChaosRef:
    meta = body.get("metadata") or {}
    return ChaosRef(engine="chaos-mesh", kind=body.get("kind", ""), namespace=meta.get("namespace", ""),
                    name=meta.get("name", ""), uid=meta.get("uid", ""), created=created,
                    created_at=meta.get("creationTimestamp"), run_id=(meta.get("labels") or {}).get(litmus.RUN_LABEL))


def _status(body: ChaosMeshJson) -> ChaosStatus:
    status = body.get("status") or {}
    conditions = {c.get("type", ""): c.get("status", "") for c in status.get("conditions") or []}
    experiment = status.get("experiment") or {}
    failed = [e.get("message", "") for r in experiment.get("containerRecords") or []
              for e in r.get("events") or [] if e.get("type") == "Failed"]
    phase, detail = chaos_mesh.phase(conditions, experiment.get("desiredPhase"), failure=failed[-1] if failed else "")
    return ChaosStatus(engine="chaos-mesh", phase=phase, detail=detail)
