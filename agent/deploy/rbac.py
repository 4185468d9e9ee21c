"""The agent's least-privilege RBAC, derived from the calls its adapters make (see
``agent.deploy.manifests`` for the call table): ``agent.adapters.kube`` and ``kube_cleanup`` for
discovery and Litmus, ``agent.adapters.chaos_backends`` for Chaos Mesh. Verbs no adapter calls
(``watch``, ``update``, ``deletecollection``) are not granted; a test compares grants and calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.deploy.objects import Manifest, ObjectMeta, PolicyRule, Subject
from agent.engines.chaos_mesh import DNS_NAMESPACE, DNS_SERVER

if TYPE_CHECKING:
    from agent.config import Settings

NAME = "chaos-advisor"
NAMESPACE = "chaos-advisor"
LITMUS = "litmuschaos.io"
CHAOS_MESH = "chaos-mesh.org"
RBAC = "rbac.authorization.k8s.io"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/part-of": NAME}


@dataclass(frozen=True)
class Grant:
    """Verbs on one resource of one API group."""

    group: str
    resource: str
    verbs: tuple[str, ...]


DISCOVERY = (  # per k8s.namespaces
    Grant("", "pods", ("list",)), Grant("", "services", ("list",)), Grant("", "configmaps", ("list",)),
    Grant("apps", "deployments", ("list",)), Grant("apps", "replicasets", ("list",)),
    Grant("apps", "statefulsets", ("list",)), Grant("apps", "daemonsets", ("list",)),
    Grant("networking.k8s.io", "ingresses", ("list",)), Grant(LITMUS, "chaosexperiments", ("list",)),
)
CLUSTER_READS = (Grant("apiextensions.k8s.io", "customresourcedefinitions", ("list",)),)
CHAOS = (  # per policy.namespaces
    Grant(LITMUS, "chaosengines", ("create", "get", "list", "patch", "delete")),
    Grant(LITMUS, "chaosresults", ("get", "list", "delete")),
    Grant("", "pods", ("list", "delete")),  # Litmus's chaos pods of an ended engine (retention sweep)
    # Chaos Mesh (chaos_engine: chaos-mesh): the kinds the agent renders. Dry-run + create, status, its
    # label-selected list (recover, retention), pause by annotation (a merge patch), the retention delete.
    *(Grant(CHAOS_MESH, plural, ("create", "get", "list", "patch", "delete"))
      for plural in ("podchaos", "networkchaos", "stresschaos", "dnschaos", "iochaos")),
)
# With engines.default: chaos-mesh, the inventory reads one Service by name: DNSChaos's DNS server.
DNS_SERVER_READ: PolicyRule = {"apiGroups": [""], "resources": ["services"], "resourceNames": [DNS_SERVER],
                               "verbs": ["get"]}


def rules(grants: tuple[Grant, ...]) -> list[PolicyRule]:
    """PolicyRules: grants with the same group and verbs share one rule."""
    merged: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for g in grants:
        merged.setdefault((g.group, g.verbs), []).append(g.resource)
    return [{"apiGroups": [group], "resources": resources, "verbs": list(verbs)}
            for (group, verbs), resources in merged.items()]


def meta(name: str, namespace: str | None = None, labels: dict[str, str] | None = None) -> ObjectMeta:
    meta: ObjectMeta = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = dict(labels or LABELS)
    return meta


def _subject() -> list[Subject]:
    return [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]


def _binding(kind: str, name: str, namespace: str | None, role_kind: str) -> Manifest:
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta(name, namespace),
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": name}, "subjects": _subject()}


def rbac(settings: Settings) -> list[Manifest]:
    """ClusterRoles, bindings per discovery namespace, a Role + RoleBinding per policy namespace."""
    out: list[Manifest] = [
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": meta(f"{NAME}-crds"),
         "rules": rules(CLUSTER_READS)},
        _binding("ClusterRoleBinding", f"{NAME}-crds", None, "ClusterRole"),
        {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": meta(f"{NAME}-discovery"),
         "rules": rules(DISCOVERY)},
    ]
    for namespace in dict.fromkeys(settings.k8s.namespaces):
        out.append(_binding("RoleBinding", f"{NAME}-discovery", namespace, "ClusterRole"))
    for namespace in dict.fromkeys(settings.policy.namespaces):
        out.append({"apiVersion": f"{RBAC}/v1", "kind": "Role",
                    "metadata": meta(f"{NAME}-chaos", namespace), "rules": rules(CHAOS)})
        out.append(_binding("RoleBinding", f"{NAME}-chaos", namespace, "Role"))
    if settings.engines.default == "chaos-mesh":  # only then: a Role in a namespace a cluster may not have
        out.append({"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": meta(f"{NAME}-chaos-mesh-dns", DNS_NAMESPACE),
                    "rules": [DNS_SERVER_READ]})
        out.append(_binding("RoleBinding", f"{NAME}-chaos-mesh-dns", DNS_NAMESPACE, "Role"))
    return out
