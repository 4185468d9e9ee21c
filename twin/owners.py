"""Who owns a pod: controller ownerReferences, a pod's top workload, and pods grouped by owner.

A ReplicaSet's pods belong to its Deployment; a StatefulSet owns its pods directly. Rendering a
controller's status needs its pods, so the grouping is an index built once and reused while
the pod and ReplicaSet objects stay the same ones (`owner_index`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from twin.shapes import OwnerReference
from twin.state import POD_KEY, RS_KEY, KObj, State, okey


def owner_reference(owner: KObj) -> OwnerReference:
    """A controller ownerReference pointing at `owner`."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


def controller_of(obj: KObj) -> OwnerReference | None:
    """The controller ownerReference of an object, if any."""
    refs = obj["metadata"].get("ownerReferences") or []
    return next((r for r in refs if r.get("controller")), None)


def top_owner(state: State, pod: KObj) -> tuple[str, str] | None:
    """(kind, name) of the workload owning a pod: a ReplicaSet resolves to its Deployment."""
    ref = controller_of(pod)
    if ref is None:
        return None
    if ref["kind"] == "ReplicaSet":
        rs = state.bucket(RS_KEY).get(okey(pod["metadata"]["namespace"], ref["name"]))
        parent = controller_of(rs) if rs else None
        return (parent["kind"], parent["name"]) if parent else ("ReplicaSet", ref["name"])
    return ref["kind"], ref["name"]


@dataclass
class OwnerIndex:
    """Pods grouped by owner, valid while the pod and ReplicaSet objects stay the same ones."""

    state: weakref.ref[State]
    pods: tuple[KObj, ...]
    replicasets: tuple[KObj, ...]
    by_workload: dict[tuple[str, str, str], list[KObj]] = field(default_factory=dict)
    by_controller: dict[tuple[str, str], list[KObj]] = field(default_factory=dict)


_INDEXES: dict[int, OwnerIndex] = {}  # id(state) -> index; a few states at most per process
_INDEX_LOCK = threading.Lock()
_PINNED: ContextVar[OwnerIndex | None] = ContextVar("twin_pinned_owner_index", default=None)


@contextmanager
def pinned_owner_index(state: State) -> Iterator[None]:
    """Check the owner index once for a read-only stretch (rendering a page of controllers)
    instead of once per controller; nothing may add or remove pods inside the block."""
    token = _PINNED.set(owner_index(state))
    try:
        yield
    finally:
        _PINNED.reset(token)


def owner_index(state: State) -> OwnerIndex:
    """Pods by (namespace, kind, name) of their top owner and by (namespace, controller uid).

    Rendering a controller's status needs its pods; scanning every pod for each of 2,000
    Deployments is quadratic, so the grouping is built once and reused for as long as the pod
    and ReplicaSet buckets hold the very same objects (writes replace objects, never edit their
    ownership in place; identity comparison makes the check O(pods), with no deep compare)."""
    pinned = _PINNED.get()
    if pinned is not None and pinned.state() is state:
        return pinned
    pods = tuple(state.bucket(POD_KEY).values())
    replicasets = tuple(state.bucket(RS_KEY).values())
    with _INDEX_LOCK:
        cached = _INDEXES.get(id(state))
    if (cached is not None and cached.state() is state and len(cached.pods) == len(pods)
            and len(cached.replicasets) == len(replicasets)
            and all(a is b for a, b in zip(cached.pods, pods, strict=True))
            and all(a is b for a, b in zip(cached.replicasets, replicasets, strict=True))):
        return cached
    index = OwnerIndex(weakref.ref(state), pods, replicasets)
    for pod in pods:
        namespace = pod["metadata"]["namespace"]
        owner = top_owner(state, pod)
        if owner is not None:
            index.by_workload.setdefault((namespace, *owner), []).append(pod)
        ref = controller_of(pod)
        if ref is not None and ref.get("uid") is not None:
            index.by_controller.setdefault((namespace, ref["uid"]), []).append(pod)
    for group in index.by_workload.values():
        group.sort(key=lambda p: p["metadata"]["name"])
    with _INDEX_LOCK:
        for key in [k for k, v in _INDEXES.items() if v.state() is None]:
            del _INDEXES[key]
        _INDEXES[id(state)] = index
    return index


def workload_pods(state: State, namespace: str, kind: str, name: str) -> list[KObj]:
    """The pods of a Deployment or StatefulSet, sorted by name."""
    return list(owner_index(state).by_workload.get((namespace, kind, name), []))


def controlled_pods(state: State, namespace: str, controller_uid: str) -> list[KObj]:
    """The pods whose controller ownerReference has this uid (a ReplicaSet's pods)."""
    return list(owner_index(state).by_controller.get((namespace, controller_uid), []))
