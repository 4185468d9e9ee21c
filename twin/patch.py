"""PATCH bodies: JSON merge patch (RFC 7386) and JSON Patch (RFC 6902).

Strategic merge patch is applied as a merge patch on built-in kinds (the twin keeps no patch
strategies), and refused with 415 on custom resources, as kube-apiserver does: its custom
resource handler accepts only JSON Patch, merge patch and apply patch
(kubernetes/kubernetes apiextensions-apiserver pkg/apiserver/customresource_handler.go,
``supportedTypes``; discussed in kubernetes/kubernetes#53558).
"""

from __future__ import annotations

import copy
from typing import Any, TypedDict, cast

from twin.errors import ApiError, bad_request
from twin.state import KObj

MERGE_PATCH_TYPE = "application/merge-patch+json"
STRATEGIC_TYPE = "application/strategic-merge-patch+json"
MERGE_TYPES = (MERGE_PATCH_TYPE, STRATEGIC_TYPE)
JSON_PATCH_TYPE = "application/json-patch+json"


class JsonPatchOperation(TypedDict, total=False):
    """One RFC 6902 operation (add, replace, remove, test; move and copy are refused)."""

    op: str
    path: str
    value: Any  # any JSON value


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise _unprocessable(f"json patch path {path!r} does not exist") from error
    return node


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, "Invalid", message)


def _apply_op(doc: Any, op: JsonPatchOperation) -> Any:
    kind, path = op.get("op"), op.get("path", "")
    parts = _pointer(path)
    if not parts:
        if kind in ("add", "replace"):
            return copy.deepcopy(op.get("value"))
        raise _unprocessable(f"json patch op {kind!r} on the whole document is not supported")
    parent, last = _parent(doc, parts, path), parts[-1]
    if kind == "test":
        current = parent[int(last)] if isinstance(parent, list) else parent.get(last)
        if current != op.get("value"):
            raise _unprocessable(f"json patch test failed at {path!r}")
        return doc
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if kind == "add":
            parent.insert(index, copy.deepcopy(op.get("value")))
        elif kind == "replace" and 0 <= index < len(parent):
            parent[index] = copy.deepcopy(op.get("value"))
        elif kind == "remove" and 0 <= index < len(parent):
            parent.pop(index)
        else:
            raise _unprocessable(f"json patch op {kind!r} at {path!r} is not possible")
        return doc
    if not isinstance(parent, dict):
        raise _unprocessable(f"json patch path {path!r} does not exist")
    if kind in ("replace", "remove") and last not in parent:
        raise _unprocessable(f"json patch {kind} at {path!r}: no such key")
    if kind in ("add", "replace"):
        parent[last] = copy.deepcopy(op.get("value"))
    elif kind == "remove":
        del parent[last]
    else:
        raise bad_request(f"json patch op {kind!r} is not supported (add, replace, remove, test)")
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 add / replace / remove / test, applied to a copy of the target."""
    if not isinstance(ops, list):
        raise bad_request("a json patch body must be a JSON array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict):
            raise bad_request("every json patch operation must be an object")
        # an object, as an operation is; its members are read where applied, as they always were
        doc = _apply_op(doc, cast(JsonPatchOperation, op))
    return doc


def apply_patch(target: KObj, body: Any, content_type: str, *, custom: bool = False) -> KObj:
    """Apply a PATCH body according to its content type; 415 for unknown types, and for a
    strategic merge patch on a custom resource."""
    media = content_type.split(";")[0].strip().lower()
    if custom and media == STRATEGIC_TYPE:
        raise ApiError(
            415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH_TYPE}, {MERGE_PATCH_TYPE}, application/apply-patch+yaml",
        )
    if media in MERGE_TYPES:
        if not isinstance(body, dict):
            raise bad_request("a merge patch body must be a JSON object")
        result = merge_patch(target, body)
    elif media == JSON_PATCH_TYPE:
        result = json_patch(target, body)
    else:
        accepted = ", ".join((JSON_PATCH_TYPE, *MERGE_TYPES))
        raise ApiError(
            415, "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{accepted}",
        )
    if not isinstance(result, dict):
        raise bad_request("the patched object must be a JSON object")
    return result
