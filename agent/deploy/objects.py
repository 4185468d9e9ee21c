"""The Kubernetes objects the install manifests are made of, as TypedDicts (they go to YAML as
they are built, so plain dicts at run time).

The kinds with few fields (RBAC, ConfigMap, Secret, Namespace, ServiceAccount) are named field by
field; a Deployment's or Service's ``spec`` is a JSON object: its shape is Kubernetes' own, and the
server-side dry-run in the tests checks it against the real schema.
"""

from __future__ import annotations

from typing import NotRequired, Required, TypedDict

from pydantic import JsonValue

JsonObject = dict[str, JsonValue]


class ObjectMeta(TypedDict, total=False):
    name: Required[str]
    namespace: str  # absent on cluster-scoped objects
    labels: dict[str, str]
    annotations: dict[str, str]


class PolicyRule(TypedDict):
    apiGroups: list[str]
    resources: list[str]
    resourceNames: NotRequired[list[str]]
    verbs: list[str]


class RoleRef(TypedDict):
    apiGroup: str
    kind: str  # Role or ClusterRole
    name: str


class Subject(TypedDict):
    kind: str
    name: str
    namespace: str


class Manifest(TypedDict, total=False):
    """One Kubernetes object; which of the optional fields it has depends on its kind."""

    apiVersion: Required[str]
    kind: Required[str]
    metadata: Required[ObjectMeta]
    rules: list[PolicyRule]  # Role, ClusterRole
    roleRef: RoleRef  # RoleBinding, ClusterRoleBinding
    subjects: list[Subject]  # RoleBinding, ClusterRoleBinding
    data: dict[str, str]  # ConfigMap
    type: str  # Secret
    stringData: dict[str, str]  # Secret
    spec: JsonObject  # Deployment, Service
