"""Deleting what the agent made: its ended ChaosEngines and the chaos pods and ChaosResults
Litmus made for them (``graphs.recovery``'s retention sweep, ``policy.engine_retention``).

A mixin of :class:`agent.adapters.kube.KubeCluster` (which provides ``_call``, ``_raw_pages`` and
the API classes), kept apart so the adapter stays short. Nothing is found by name: leftovers are
selected on the server by the label upstream puts on them, ``chaosUID=<engine uid>`` (chaos-operator
``getChaosRunnerLabels`` on the runner pod and its own cleanup list in ``reconcileForDelete``;
litmus-go on its helper pods and, from 2.x, on the ChaosResult), and every delete carries the
object's uid (and, for the engine, its resourceVersion) as a precondition, so an object that was
replaced or changed since it was listed is never deleted (the API server answers 409).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar

from kubernetes import client

from agent.adapters.kube_json import ChaosResultJson, KubeObjectJson, PodJson
from agent.engines.litmus import API_VERSION
from agent.errors import NotFound
from agent.models import ChaosLeftover

GROUP, VERSION = API_VERSION.split("/")
UID_LABEL = "chaosUID"  # upstream's label on every pod and ChaosResult made for one engine
Listed = TypeVar("Listed", bound=KubeObjectJson)


class EngineCleanup:
    """The deleting half of :class:`agent.ports.Cluster` (see the module docstring)."""

    _core: client.CoreV1Api
    _custom: client.CustomObjectsApi
    _timeout: float

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        raise NotImplementedError  # KubeCluster's

    def _raw_pages(self, call: Callable[..., Any], what: str, shape: type[Listed]) -> Iterator[Listed]:
        raise NotImplementedError  # KubeCluster's

    def chaos_leftovers(self, namespace: str, engine: str, engine_uid: str) -> list[ChaosLeftover]:
        if not engine_uid:
            return []  # an empty selector value would match every unlabelled pod's absence: never
        selector = f"{UID_LABEL}={engine_uid}"

        def pods(**options: Any) -> Any:
            return self._core.list_namespaced_pod(namespace, label_selector=selector, **options)

        def results(**options: Any) -> Any:
            return self._custom.list_namespaced_custom_object(
                GROUP, VERSION, namespace, "chaosresults", label_selector=selector, **options,
            )

        found = [_leftover("Pod", namespace, engine, p, (p.get("status") or {}).get("phase") or "")
                 for p in self._raw_pages(pods, f"pods {selector} in {namespace}", PodJson)]
        return found + [_leftover("ChaosResult", namespace, engine, r)
                        for r in self._raw_pages(results, f"chaosresults {selector} in {namespace}", ChaosResultJson)]

    def delete_leftover(self, leftover: ChaosLeftover) -> bool:
        options = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=leftover.uid or None))
        what = f"delete {leftover.kind} {leftover.namespace}/{leftover.name}"
        if leftover.kind == "Pod":
            return self._deleted(lambda: self._core.delete_namespaced_pod(
                leftover.name, leftover.namespace, body=options, _request_timeout=self._timeout), what)
        return self._deleted(lambda: self._custom.delete_namespaced_custom_object(
            GROUP, VERSION, leftover.namespace, "chaosresults", leftover.name, body=options,
            _request_timeout=self._timeout), what)

    def delete_engine(self, namespace: str, name: str, *, uid: str, resource_version: str) -> bool:
        options = client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid=uid or None, resource_version=resource_version or None),
            propagation_policy="Background",  # its runner pod (owned by it) goes with it
        )
        return self._deleted(lambda: self._custom.delete_namespaced_custom_object(
            GROUP, VERSION, namespace, "chaosengines", name, body=options, _request_timeout=self._timeout,
        ), f"delete ChaosEngine {namespace}/{name}")

    def _deleted(self, fn: Callable[[], Any], what: str) -> bool:
        try:
            self._call(fn, what)
        except NotFound:
            return False  # already gone (by Litmus, a person, or an earlier sweep cut short)
        return True


def _leftover(kind: Literal["Pod", "ChaosResult"], namespace: str, engine: str, item: KubeObjectJson,
              phase: str = "") -> ChaosLeftover:
    meta = item.get("metadata") or {}
    return ChaosLeftover(kind=kind, namespace=namespace, name=meta.get("name", ""), uid=meta.get("uid", ""),
                         engine=engine, phase=phase)
