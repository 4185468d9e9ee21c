"""The resources the twin serves and the discovery documents that describe them.

One table drives routing, discovery (`/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`) and
the kinds of list responses, so what kubectl discovers is exactly what the twin answers.

Built-in kinds marked `stored_only` (ServiceAccount, Secret, ConfigMap and RBAC) exist so that an
install of the agent itself (`deploy/`) can be checked with `kubectl apply --dry-run=server`:
they accept create (validated by `builtin`) and reads, and no controller acts on them. Services
and Deployments accept create too; one created through the API is stored only (no ReplicaSet,
no pods). Seeding from manifests (`by_kind`) ignores the stored-only kinds, except ConfigMaps
(`SEEDED_AS_WRITTEN`): an application's calls are often in them. DaemonSets (a pod per node) and
Ingresses (stored as written) are served read-only, seeded from manifests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NotRequired, TypedDict

READ_VERBS = ("get", "list")
CREATE_VERBS = ("create", "get", "list")  # built-ins: no update, patch or delete is served
CUSTOM_VERBS = ("create", "delete", "get", "list", "patch", "update")
# bare pods, as Litmus's runner and helper pods are made, and deleted (no controller replaces them)
POD_VERBS = ("create", "delete", "get", "list")


@dataclass(frozen=True)
class Resource:
    """One served resource type."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = READ_VERBS
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    stored_only: bool = False  # served for installs only: not seeded, no controller acts on it

    @property
    def key(self) -> str:
        """Where the state stores this resource's objects."""
        return f"{self.group or 'core'}/{self.version}/{self.plural}"

    @property
    def api_version(self) -> str:
        """`v1`, `apps/v1`, ... as written in objects."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """The kind of a list response (`PodList`)."""
        return f"{self.kind}List"

    @property
    def custom(self) -> bool:
        """Custom resources keep apiVersion/kind on list items and are validated by schema."""
        return self.group in (LITMUS, CHAOS_MESH)

    def allows(self, verb: str) -> bool:
        """Whether the verb is served for this resource."""
        return verb in self.verbs


LITMUS = "litmuschaos.io"
CHAOS_MESH = "chaos-mesh.org"  # served with twin.chaos_mesh's CRDs only
RBAC = "rbac.authorization.k8s.io"
ALL = ("all",)  # `kubectl get all` lists the resources in this category
RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "namespaces", "namespace", "Namespace", False,
             ("create", "get", "list"), ("ns",)),
    Resource("", "v1", "nodes", "node", "Node", False, READ_VERBS, ("no",)),
    Resource("", "v1", "pods", "pod", "Pod", True, POD_VERBS, ("po",), ALL),
    Resource("", "v1", "services", "service", "Service", True, CREATE_VERBS, ("svc",), ALL),
    Resource("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, CREATE_VERBS,
             ("sa",), stored_only=True),
    Resource("", "v1", "secrets", "secret", "Secret", True, CREATE_VERBS, stored_only=True),
    Resource("", "v1", "configmaps", "configmap", "ConfigMap", True, CREATE_VERBS, ("cm",),
             stored_only=True),
    Resource("apps", "v1", "deployments", "deployment", "Deployment", True, CREATE_VERBS,
             ("deploy",), ALL),
    Resource("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, READ_VERBS, ("rs",),
             ALL),
    Resource("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, READ_VERBS,
             ("sts",), ALL),
    Resource("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, READ_VERBS, ("ds",)),
    Resource("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", True, READ_VERBS,
             ("ing",)),
    Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions",
             "customresourcedefinition", "CustomResourceDefinition", False, READ_VERBS,
             ("crd", "crds")),
    Resource(RBAC, "v1", "roles", "role", "Role", True, CREATE_VERBS, stored_only=True),
    Resource(RBAC, "v1", "rolebindings", "rolebinding", "RoleBinding", True, CREATE_VERBS,
             stored_only=True),
    Resource(RBAC, "v1", "clusterroles", "clusterrole", "ClusterRole", False, CREATE_VERBS,
             stored_only=True),
    Resource(RBAC, "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False,
             CREATE_VERBS, stored_only=True),
    Resource(LITMUS, "v1alpha1", "chaosengines", "chaosengine", "ChaosEngine", True,
             CUSTOM_VERBS),
    Resource(LITMUS, "v1alpha1", "chaosexperiments", "chaosexperiment", "ChaosExperiment", True,
             CUSTOM_VERBS),
    Resource(LITMUS, "v1alpha1", "chaosresults", "chaosresult", "ChaosResult", True,
             CUSTOM_VERBS),
    *(Resource(CHAOS_MESH, "v1alpha1", plural, plural, kind, True, CUSTOM_VERBS)
      for kind, plural in (("PodChaos", "podchaos"), ("NetworkChaos", "networkchaos"), ("StressChaos", "stresschaos"),
                           ("DNSChaos", "dnschaos"), ("IOChaos", "iochaos"))),
)
GROUP_VERSIONS: tuple[tuple[str, str], ...] = (
    ("apps", "v1"), (RBAC, "v1"), ("apiextensions.k8s.io", "v1"), (LITMUS, "v1alpha1"),
    ("networking.k8s.io", "v1"), (CHAOS_MESH, "v1alpha1"),
)


def find(group: str, version: str, plural: str) -> Resource | None:
    """The resource served at /api(s)/<group>/<version>/<plural>, if any."""
    for resource in RESOURCES:
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


SEEDED_AS_WRITTEN = ("ConfigMap", "Ingress")  # seeded from manifests, stored as written


def by_kind(kind: str) -> Resource | None:
    """The resource of a kind that seeding from manifests knows (stored-only kinds are not,
    ConfigMaps excepted)."""
    return next((r for r in RESOURCES if r.kind == kind and (not r.stored_only or kind in SEEDED_AS_WRITTEN)),
                None)


def served_group_version(group: str, version: str) -> bool:
    """Whether /api(s)/<group>/<version> exists."""
    return any((r.group, r.version) == (group, version) for r in RESOURCES)


class ServerAddressByClientCIDR(TypedDict):
    """Where clients in a CIDR reach the server."""

    clientCIDR: str
    serverAddress: str


class APIVersions(TypedDict):
    """GET /api: the core group's versions."""

    kind: str
    versions: list[str]
    serverAddressByClientCIDRs: list[ServerAddressByClientCIDR]


class GroupVersionForDiscovery(TypedDict):
    """One version of an API group (`apps/v1`)."""

    groupVersion: str
    version: str


class APIGroup(TypedDict):
    """An API group and its versions (kind and apiVersion only when served on its own)."""

    kind: NotRequired[str]
    apiVersion: NotRequired[str]
    name: str
    versions: list[GroupVersionForDiscovery]
    preferredVersion: GroupVersionForDiscovery


class APIGroupList(TypedDict):
    """GET /apis: every named group."""

    kind: str
    apiVersion: str
    groups: list[APIGroup]


class APIResource(TypedDict):
    """One resource of a group version, as kubectl discovers it."""

    name: str
    singularName: str
    namespaced: bool
    kind: str
    verbs: list[str]
    shortNames: NotRequired[list[str]]
    categories: NotRequired[list[str]]


class APIResourceList(TypedDict):
    """GET /api/v1 or /apis/<group>/<version>: the resources served there."""

    kind: str
    apiVersion: str
    groupVersion: str
    resources: list[APIResource]


class VersionInfo(TypedDict):
    """GET /version."""

    major: str
    minor: str
    gitVersion: str
    gitCommit: str
    gitTreeState: str
    buildDate: str
    goVersion: str
    compiler: str
    platform: str


def api_versions() -> APIVersions:
    """GET /api."""
    return {
        "kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def api_group_list() -> APIGroupList:
    """GET /apis."""
    groups: list[APIGroup] = []
    for group, version in GROUP_VERSIONS:
        gv: GroupVersionForDiscovery = {"groupVersion": f"{group}/{version}", "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> APIGroup | None:
    """GET /apis/<group>."""
    for name, version in GROUP_VERSIONS:
        if name == group:
            gv: GroupVersionForDiscovery = {"groupVersion": f"{group}/{version}",
                                            "version": version}
            return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": [gv],
                    "preferredVersion": gv}
    return None


def api_resource_list(group: str, version: str) -> APIResourceList:
    """GET /api/v1 or /apis/<group>/<version>."""
    resources: list[APIResource] = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry: APIResource = {
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
    group_version = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}


def version_info() -> VersionInfo:
    """GET /version: kubectl's dispatcher picks a client version from this."""
    return {
        "major": "1", "minor": "30", "gitVersion": "v1.30.0-twin",
        "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
        "buildDate": "2024-04-17T00:00:00Z", "goVersion": "go1.22.2", "compiler": "gc",
        "platform": "linux/amd64",
    }
