"""List, get, create, patch, replace and delete, with the API server's rules.

Writes validate fully before they touch the state (so a failed request leaves nothing behind,
and `dryRun=All` can return the would-be object and store nothing): metadata.name is a
DNS-1123 subdomain, the namespace exists, custom objects match their CRD's openAPIV3Schema,
built-in kinds pass `builtin`'s checks (and get its create-time defaults).
Served objects are rendered at the current virtual time (pod and controller status).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import uuid
from collections.abc import Iterable
from typing import Any

from twin import builtin, errors, refusals
from twin.errors import Cause
from twin.litmus_end import delete as delete_engine
from twin.owners import pinned_owner_index
from twin.patch import apply_patch
from twin.pod_status import render_pod
from twin.records import ENGINE_KEY
from twin.resources import Resource
from twin.schema import SchemaNode, validate_custom_object, validate_metadata, validate_name
from twin.selectors import (
    labels_match,
    parse_field_selector,
    parse_label_selector,
)
from twin.shapes import ListMeta, ObjectList
from twin.state import POD_KEY, KObj, State, json_copy, okey, rfc3339
from twin.workloads import STATUS_RENDERERS, render_workload

SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "generation", "deletionTimestamp")


def view(state: State, resource: Resource, obj: KObj) -> KObj:
    """An object as served now (status rendered for pods and controllers)."""
    if resource.key == POD_KEY:
        return render_pod(state, obj, state.now)
    if obj.get("kind") in STATUS_RENDERERS:
        return render_workload(state, obj, state.now)
    result: KObj = json_copy(obj)
    return result


def _key(resource: Resource, namespace: str | None, name: str) -> str:
    return okey(namespace if resource.namespaced and namespace else "", name)


def get_object(state: State, resource: Resource, namespace: str | None, name: str) -> KObj:
    """GET one object; 404 NotFound like the API server."""
    obj = state.bucket(resource.key).get(_key(resource, namespace, name))
    if obj is None:
        raise errors.not_found(resource.plural, resource.group, name)
    return view(state, resource, obj)


def _decode_continue(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise errors.bad_request("invalid continue token") from error


def list_objects(state: State, resource: Resource, namespace: str | None,
                 query: dict[str, str]) -> ObjectList:
    """GET a collection with labelSelector, fieldSelector, limit and continue."""
    labels = parse_label_selector(query.get("labelSelector", ""))
    fields = parse_field_selector(query.get("fieldSelector", ""))
    start = _decode_continue(query["continue"]) if query.get("continue") else ""
    entries: Iterable[tuple[str, KObj]] = state.bucket(resource.key).items()
    if namespace is not None and resource.namespaced:  # keys are 'namespace/name': cheap pre-filter
        prefix = okey(namespace, "")
        entries = [(key, obj) for key, obj in entries if key.startswith(prefix)]
    matched = [(key, obj) for key, obj in sorted(entries)
               if (namespace is None or obj["metadata"].get("namespace") == namespace)
               and key > start and labels_match(labels, obj["metadata"].get("labels"))
               and fields.matches(obj["metadata"]["name"], obj["metadata"].get("namespace", ""))]
    limit = int(query.get("limit") or 0) if str(query.get("limit", "")).isdigit() else 0
    page = matched[:limit] if limit else matched
    metadata: ListMeta = {"resourceVersion": str(state.resource_version)}
    if limit and len(matched) > limit:
        token = json.dumps({"start": page[-1][0], "rv": state.resource_version})
        metadata["continue"] = base64.urlsafe_b64encode(token.encode()).decode()
        metadata["remainingItemCount"] = len(matched) - limit
    items = []
    with pinned_owner_index(state):  # rendering reads pods, never adds or removes them
        for _, obj in page:
            item = view(state, resource, obj)
            if not resource.custom:
                item.pop("apiVersion", None)
                item.pop("kind", None)
            items.append(item)
    return {"apiVersion": resource.api_version, "kind": resource.list_kind, "metadata": metadata,
            "items": items}


def _check_body(resource: Resource, body: Any, namespace: str | None) -> KObj:
    if not isinstance(body, dict):
        raise errors.bad_request("the request body must be a JSON object")
    if not resource.custom:  # built-in types default their kind from the URL
        body.setdefault("kind", resource.kind)
        body.setdefault("apiVersion", resource.api_version)
    if not body.get("kind"):
        raise errors.bad_request(f"Object 'Kind' is missing in '{json.dumps(body)[:200]}'")
    if body["kind"] != resource.kind or body.get("apiVersion", resource.api_version) != (
            resource.api_version):
        raise errors.bad_request(
            f"the API version in the data ({body.get('apiVersion')}) and kind ({body['kind']}) "
            f"do not match the expected {resource.api_version} {resource.kind}")
    meta = body.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    if resource.namespaced:
        if meta.get("namespace") not in (None, "", namespace):
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        meta["namespace"] = namespace
    return body


def _validate(state: State, resource: Resource, obj: KObj) -> None:
    meta = obj["metadata"]
    if resource.custom:
        causes = validate_name(meta.get("name")) + validate_metadata(meta)
        causes += validate_custom_object(obj, _schema(state, resource))
    else:
        causes = builtin.validate(resource.kind, obj)
    if causes:
        raise errors.invalid(resource.kind, resource.group, str(meta.get("name") or ""), causes)


def _schema(state: State, resource: Resource) -> SchemaNode:
    crd = state.bucket("apiextensions.k8s.io/v1/customresourcedefinitions").get(
        okey("", f"{resource.plural}.{resource.group}")) or {}
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("name") == resource.version:
            schema: SchemaNode | None = (version.get("schema") or {}).get("openAPIV3Schema")
            return schema or {}
    return {}


def _require_namespace(state: State, resource: Resource, namespace: str | None) -> None:
    if resource.namespaced and okey("", namespace or "") not in state.bucket(
            "core/v1/namespaces"):
        raise errors.not_found("namespaces", "", namespace or "")


def create_object(state: State, resource: Resource, namespace: str | None, body: Any, *,
                  dry_run: bool) -> KObj:
    """POST: 201 with the stored object; 404 unknown namespace, 409 exists, 422 invalid."""
    obj = copy.deepcopy(_check_body(resource, body, namespace))
    meta = obj["metadata"]
    for field in SERVER_FIELDS:
        meta.pop(field, None)
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}" if dry_run else (
            f"{meta['generateName']}{state.suffix(5)}")
    _require_namespace(state, resource, namespace)
    if resource.kind == "Namespace":
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
    _validate(state, resource, obj)
    key = _key(resource, namespace, meta["name"])
    if key in state.bucket(resource.key):
        raise errors.already_exists(resource.plural, resource.group, meta["name"])
    if not resource.custom:  # a dry run draws no address from the seeded generator
        builtin.prepare(resource.kind, obj, cluster_ip=lambda: _cluster_ip(
            random.Random() if dry_run else state.rng("cluster-ip")))
    meta["creationTimestamp"] = rfc3339(state.now)
    meta["generation"] = 1
    if dry_run:
        meta["uid"] = str(uuid.uuid4())
        return obj
    meta["uid"] = state.new_uid()
    meta["resourceVersion"] = state.bump()
    state.bucket(resource.key)[key] = obj
    return copy.deepcopy(obj)


def _cluster_ip(rng: random.Random) -> str:
    """An address in the service range, drawn as seeding draws them."""
    return f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _stored(state: State, resource: Resource, namespace: str | None, name: str) -> KObj:
    obj = state.bucket(resource.key).get(_key(resource, namespace, name))
    if obj is None:
        raise errors.not_found(resource.plural, resource.group, name)
    return obj


def _update(state: State, resource: Resource, current: KObj, updated: Any, *,
            dry_run: bool) -> KObj:
    """Store an updated object (patch or replace) after the API server's checks."""
    if not isinstance(updated, dict) or not isinstance(updated.get("metadata", {}), dict):
        raise errors.bad_request("the updated object must be a JSON object with metadata")
    meta, old = updated.setdefault("metadata", {}), current["metadata"]
    name = old["name"]
    if meta.get("resourceVersion") not in (None, "", old.get("resourceVersion")):
        raise errors.conflict(resource.plural, resource.group, name)
    if meta.get("name", name) != name:
        raise errors.invalid(resource.kind, resource.group, name, [Cause(
            "metadata.name", f'Invalid value: "{meta.get("name")}": field is immutable')])
    for field in ("name", "namespace", *SERVER_FIELDS):
        if field in old:
            meta[field] = old[field]
        else:
            meta.pop(field, None)
    updated["apiVersion"], updated["kind"] = current["apiVersion"], current["kind"]
    _validate(state, resource, updated)
    if updated == current:
        return copy.deepcopy(current)
    body_changed = {k: v for k, v in updated.items() if k != "metadata"} != {
        k: v for k, v in current.items() if k != "metadata"}
    if body_changed:
        meta["generation"] = int(old.get("generation", 1)) + 1
    if dry_run:
        return updated
    meta["resourceVersion"] = state.bump()
    state.bucket(resource.key)[_key(resource, old.get("namespace"), name)] = updated
    return copy.deepcopy(updated)


def patch_object(state: State, resource: Resource, namespace: str | None, name: str, body: Any,
                 content_type: str, *, dry_run: bool) -> KObj:
    """PATCH (merge, JSON Patch, or strategic merge on built-in kinds only, as kube-apiserver)."""
    current = _stored(state, resource, namespace, name)
    patched = apply_patch(copy.deepcopy(current), body, content_type, custom=resource.custom)
    return _update(state, resource, current, patched, dry_run=dry_run)


def replace_object(state: State, resource: Resource, namespace: str | None, name: str,
                   body: Any, *, dry_run: bool) -> KObj:
    """PUT: replace the whole object (resourceVersion, if given, must be current)."""
    current = _stored(state, resource, namespace, name)
    updated = copy.deepcopy(_check_body(resource, body, namespace))
    return _update(state, resource, current, updated, dry_run=dry_run)


def delete_object(state: State, resource: Resource, namespace: str | None, name: str, *,
                  dry_run: bool, preconditions: dict[str, str] | None = None) -> KObj:
    """DELETE: 200 with the object; 404 when absent, 409 when ``preconditions`` (uid,
    resourceVersion) name another object. A ChaosEngine goes through what the operator's finalizer
    does first (``twin.litmus_end.delete``); a pod's runtime goes with it."""
    current = _stored(state, resource, namespace, name)
    refusals.check_preconditions(resource.plural, resource.group, current, preconditions or {})
    if dry_run:
        return copy.deepcopy(current)
    if resource.key == ENGINE_KEY:
        delete_engine(state, current, state.now)
    state.bucket(resource.key).pop(_key(resource, namespace, name))
    if resource.key == POD_KEY:
        state.pods.pop(_key(resource, namespace, name), None)
    state.bump()
    return copy.deepcopy(current)
