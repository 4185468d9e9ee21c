"""A minimal OpenAPI v3 description, enough for `kubectl apply/create` to validate.

kubectl (1.27+) checks `/openapi/v3` to learn whether the server does field validation itself
(the `fieldValidation` query parameter on each kind's PATCH operation); when it does, kubectl
skips client-side schema validation and leaves strictness to the server, which the twin
enforces from the CRD schemas. No component schemas are published.
"""

from __future__ import annotations

from typing import TypedDict

from twin.resources import RESOURCES, Resource


class ParameterSchema(TypedDict):
    """The schema of a query parameter."""

    type: str
    uniqueItems: bool


Parameter = TypedDict("Parameter", {"name": str, "in": str, "schema": ParameterSchema})
"""A query parameter of an operation (`in` is a keyword, hence the functional form)."""


class GroupVersionKind(TypedDict):
    """The kind an operation acts on."""

    group: str
    version: str
    kind: str


class ResponseDescription(TypedDict):
    """One response of an operation."""

    description: str


Operation = TypedDict("Operation", {
    "x-kubernetes-action": str,
    "x-kubernetes-group-version-kind": GroupVersionKind,
    "parameters": list[Parameter],
    "responses": dict[str, ResponseDescription],
})
"""One operation of a path, with the Kubernetes extensions kubectl reads."""

PathItem = dict[str, Operation]
"""The operations of a path, by HTTP verb (`get`, `post`, ...)."""


class DocumentRef(TypedDict):
    """Where the document of one group version is served."""

    serverRelativeURL: str


class Discovery(TypedDict):
    """GET /openapi/v3: one document reference per group version path."""

    paths: dict[str, DocumentRef]


class Info(TypedDict):
    """The document's title and version."""

    title: str
    version: str


class Components(TypedDict):
    """No component schemas are published."""

    schemas: dict[str, object]


class Document(TypedDict):
    """GET /openapi/v3/<prefix>: the paths and operations of one group version."""

    openapi: str
    info: Info
    paths: dict[str, PathItem]
    components: Components


_PARAMS: list[Parameter] = [
    {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    for name in ("dryRun", "fieldManager", "fieldValidation")]


def _prefix(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def root() -> Discovery:
    """GET /openapi/v3: one entry per served group version."""
    versions = sorted({(r.group, r.version) for r in RESOURCES})
    return {"paths": {_prefix(g, v): {"serverRelativeURL": f"/openapi/v3/{_prefix(g, v)}"}
                      for g, v in versions}}


def _operation(resource: Resource, action: str) -> Operation:
    return {
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": resource.group, "version": resource.version,
                                            "kind": resource.kind},
        "parameters": _PARAMS, "responses": {"200": {"description": "OK"}},
    }


def group_version(prefix: str) -> Document | None:
    """GET /openapi/v3/<prefix>: paths and operations of one group version, or None."""
    paths: dict[str, PathItem] = {}
    for resource in RESOURCES:
        if _prefix(resource.group, resource.version) != prefix:
            continue
        scope = "/namespaces/{namespace}" if resource.namespaced else ""
        collection = f"/{prefix}{scope}/{resource.plural}"
        paths[collection] = {"get": _operation(resource, "list"),
                             "post": _operation(resource, "post")}
        paths[f"{collection}/{{name}}"] = {
            verb: _operation(resource, action) for verb, action in
            (("get", "get"), ("put", "put"), ("patch", "patch"), ("delete", "delete"))}
    if not paths:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (Sock Shop twin)",
                                         "version": "v1.30.0"},
            "paths": paths, "components": {"schemas": {}}}
