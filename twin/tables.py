"""Server-side printing (`meta.k8s.io/v1` Table) so `kubectl get` shows its usual columns.

kubectl asks for a Table in its Accept header; without one it falls back to NAME and AGE.
Ages are computed on the twin's virtual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from twin.resources import Resource
from twin.shapes import ListMeta, ObjectMeta
from twin.state import KObj, parse_rfc3339

Cells = Callable[[KObj, float], list[Any]]


class TableColumn(TypedDict):
    """columnDefinitions[] of a Table (priority 1: shown with -o wide only)."""

    name: str
    type: str
    format: str
    description: str
    priority: int


class PartialObjectMetadata(TypedDict):
    """rows[].object of a Table: the metadata of the object a row shows."""

    kind: str
    apiVersion: str
    metadata: ObjectMeta


class TableRow(TypedDict):
    """rows[] of a Table: the cells, in column order, and the object they show."""

    cells: list[Any]  # strings and numbers, as each kind's printer gives them
    object: PartialObjectMetadata


class Table(TypedDict):
    """A `meta.k8s.io/v1` Table, what `kubectl get` prints."""

    kind: str
    apiVersion: str
    metadata: ListMeta
    columnDefinitions: list[TableColumn]
    rows: list[TableRow]


def wants_table(accept: str) -> bool:
    """Whether the client asked for a Table (kubectl get does)."""
    return "as=Table" in accept


def age(created: str | None, now: float) -> str:
    """kubectl's short duration format: 45s, 3m20s, 5h, 2d."""
    if not created:
        return "<unknown>"
    seconds = max(0, int(now - parse_rfc3339(created)))
    if seconds < 120:
        return f"{seconds}s"
    minutes, hours = seconds // 60, seconds // 3600
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 48:
        return f"{hours}h{minutes % 60}m" if hours < 8 and minutes % 60 else f"{hours}h"
    return f"{seconds // 86400}d"


def _age(obj: KObj, now: float) -> str:
    return age(obj["metadata"].get("creationTimestamp"), now)


def _pod(obj: KObj, now: float) -> list[Any]:
    statuses = (obj.get("status") or {}).get("containerStatuses") or []
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    finished = [s["lastState"]["terminated"]["finishedAt"] for s in statuses
                if (s.get("lastState") or {}).get("terminated")]
    restart_text = f"{restarts} ({age(max(finished), now)} ago)" if restarts and finished else (
        str(restarts))
    status = obj.get("status") or {}
    return [obj["metadata"]["name"], f"{ready}/{len(statuses)}", status.get("phase", ""),
            restart_text, _age(obj, now), status.get("podIP", ""),
            (obj.get("spec") or {}).get("nodeName", "")]


def _deployment(obj: KObj, now: float) -> list[Any]:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    return [obj["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0), _age(obj, now)]


def _statefulset(obj: KObj, now: float) -> list[Any]:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    return [obj["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            _age(obj, now)]


def _replicaset(obj: KObj, now: float) -> list[Any]:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    return [obj["metadata"]["name"], spec.get("replicas", 1), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(obj, now)]


def _service(obj: KObj, now: float) -> list[Any]:
    spec = obj.get("spec") or {}
    ports = ",".join(
        f"{p['port']}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/"
        f"{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    return [obj["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", ""),
            "<none>", ports or "<none>", _age(obj, now)]


def _namespace(obj: KObj, now: float) -> list[Any]:
    return [obj["metadata"]["name"], (obj.get("status") or {}).get("phase", "Active"),
            _age(obj, now)]


def _node(obj: KObj, now: float) -> list[Any]:
    unschedulable = (obj.get("spec") or {}).get("unschedulable")
    status = "Ready,SchedulingDisabled" if unschedulable else "Ready"
    version = ((obj.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
    return [obj["metadata"]["name"], status, "<none>", _age(obj, now), version]


def _default(obj: KObj, now: float) -> list[Any]:
    return [obj["metadata"]["name"], _age(obj, now)]


_COLUMNS: dict[str, tuple[tuple[str, ...], Cells]] = {
    "Pod": (("Name", "Ready", "Status", "Restarts", "Age", "IP*", "Node*"), _pod),
    "Deployment": (("Name", "Ready", "Up-to-date", "Available", "Age"), _deployment),
    "StatefulSet": (("Name", "Ready", "Age"), _statefulset),
    "ReplicaSet": (("Name", "Desired", "Current", "Ready", "Age"), _replicaset),
    "Service": (("Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"), _service),
    "Namespace": (("Name", "Status", "Age"), _namespace),
    "Node": (("Name", "Status", "Roles", "Age", "Version"), _node),
}


def to_table(resource: Resource, items: list[KObj], now: float, *,
             metadata: ListMeta | None = None) -> Table:
    """A Table of one object (a get: no list metadata) or of a list page with its metadata
    (`*` columns are shown with -o wide only)."""
    names, cells = _COLUMNS.get(resource.kind, (("Name", "Age"), _default))
    columns: list[TableColumn] = [{"name": n.rstrip("*"), "type": "string", "format": "name" if n == "Name" else "",
                "description": n.rstrip("*"), "priority": 1 if n.endswith("*") else 0}
               for n in names]
    rows: list[TableRow] = [{"cells": cells(item, now), "object": {
        "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
        "metadata": item["metadata"]}} for item in items]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {} if metadata is None else metadata.copy(),
            "columnDefinitions": columns, "rows": rows}
