"""The twin's built-in kinds that accept creates (ServiceAccount, Secret, ConfigMap, Service,
Deployment, RBAC): dry-run stores nothing, a real create is served back, and what the API
server refuses is refused with its status code and the failing field named.

Bad bodies go over plain HTTP: the official client validates bodies itself and would never send
them.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from twin.resources import RESOURCES

NS = "sock-shop"
RBAC = "rbac.authorization.k8s.io"
LABELS = {"app": "web"}


def deployment(name: str = "web", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": dict(LABELS)}, "template": {
            "metadata": {"labels": dict(LABELS)},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                     "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}],
                     "volumes": [{"name": "cache", "emptyDir": {}}]}}},
    }
    body["spec"].update(spec)
    return body


def role_binding(**ref: Any) -> dict[str, Any]:
    return {"apiVersion": f"{RBAC}/v1", "kind": "RoleBinding", "metadata": {"name": "reader"},
            "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": "reader", **ref},
            "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": NS}]}


def post(url: str, path: str, body: Any, *, dry_run: bool = True) -> tuple[int, dict[str, Any]]:
    query = "?dryRun=All" if dry_run else ""
    request = urllib.request.Request(url + path + query, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def fields(status: dict[str, Any]) -> list[str]:
    return [c["field"] for c in status.get("details", {}).get("causes", [])]


def test_discovery_lists_the_new_kinds_and_keeps_kubectl_get_all_to_workloads(twin) -> None:
    core = {r.name: r for r in twin.core.get_api_resources().resources}
    for plural in ("serviceaccounts", "secrets", "configmaps", "services"):
        assert "create" in core[plural].verbs and core[plural].namespaced
    assert not ({"update", "patch", "delete"} & set(core["secrets"].verbs))
    rbac = client.RbacAuthorizationV1Api(twin.core.api_client).get_api_resources().resources
    assert {r.name: r.namespaced for r in rbac} == {
        "roles": True, "rolebindings": True, "clusterroles": False, "clusterrolebindings": False}
    assert sorted(r.plural for r in RESOURCES if "all" in r.categories) == [
        "deployments", "pods", "replicasets", "services", "statefulsets"]


def test_dry_run_creates_store_nothing(twin) -> None:
    api = twin.core.api_client
    rbac = client.RbacAuthorizationV1Api(api)
    before = twin.core.list_namespaced_service(NS).metadata.resource_version
    made = [
        twin.core.create_namespaced_service_account(NS, {"metadata": {"name": "agent"}}, dry_run="All"),
        twin.core.create_namespaced_secret(NS, {"metadata": {"name": "s"}, "stringData": {"k": "v"}},
                                           dry_run="All"),
        twin.core.create_namespaced_config_map(NS, {"metadata": {"name": "c"}, "data": {"k": "v"}},
                                               dry_run="All"),
        twin.core.create_namespaced_service(NS, {"metadata": {"name": "web"}, "spec": {
            "selector": LABELS, "ports": [{"port": 80}]}}, dry_run="All"),
        twin.apps.create_namespaced_deployment(NS, deployment(), dry_run="All"),
        rbac.create_namespaced_role(NS, {"metadata": {"name": "reader"}, "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]}, dry_run="All"),
        rbac.create_namespaced_role_binding(NS, role_binding(), dry_run="All"),
        rbac.create_cluster_role(body={"metadata": {"name": "reader"}, "rules": [
            {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]}, dry_run="All"),
        rbac.create_cluster_role_binding(body={**role_binding(kind="ClusterRole"),
                                               "kind": "ClusterRoleBinding"}, dry_run="All"),
    ]
    assert all(m.metadata.uid and m.metadata.resource_version is None for m in made)
    assert made[3].spec.cluster_ip.startswith("10.96.") and made[3].spec.ports[0].target_port == 80
    with pytest.raises(ApiException) as missing:
        rbac.read_namespaced_role_binding("reader", NS)
    assert missing.value.status == 404
    assert rbac.list_cluster_role().items == [] and twin.core.list_namespaced_secret(NS).items == []
    assert twin.core.list_namespaced_service(NS).metadata.resource_version == before


def test_a_real_create_is_served_back_with_the_servers_defaults(twin) -> None:
    secret = twin.core.create_namespaced_secret(NS, {"metadata": {"name": "s"},
                                                     "stringData": {"token": "abc"}})
    assert secret.data == {"token": base64.b64encode(b"abc").decode()} and secret.type == "Opaque"
    assert twin.core.read_namespaced_secret("s", NS).string_data is None
    created = twin.apps.create_namespaced_deployment(NS, deployment())
    assert created.spec.replicas == 1 and created.spec.strategy.type == "RollingUpdate"
    served = twin.apps.read_namespaced_deployment("web", NS)
    assert served.status.ready_replicas is None and served.status.unavailable_replicas == 1
    assert twin.core.list_namespaced_pod(NS, label_selector="app=web").items == []  # stored only
    cluster_role = client.RbacAuthorizationV1Api(twin.core.api_client).create_cluster_role(
        body={"metadata": {"name": "system:chaos:reader"}, "rules": []})  # RBAC names may hold ':'
    assert cluster_role.metadata.name == "system:chaos:reader"
    with pytest.raises(ApiException) as again:
        twin.apps.create_namespaced_deployment(NS, deployment())
    assert again.value.status == 409


def test_a_created_deployment_and_service_leave_the_model_and_discovery_working(twin) -> None:
    twin.apps.create_namespaced_deployment(NS, deployment())
    twin.core.create_namespaced_service(NS, {"metadata": {"name": "web"}, "spec": {
        "selector": LABELS, "ports": [{"port": 80, "targetPort": 8080}]}})
    twin.advance(120)
    signals = twin.signals()
    assert signals["web"]["ready_replicas"] == 0 and signals["carts"]["ready_replicas"] == 1
    with urllib.request.urlopen(twin.url + "/metrics", timeout=10) as response:
        assert response.status == 200
    from agent.adapters.kube import connect

    snapshot = connect(host=twin.url, kubeconfig=None, context=None).snapshot([NS])
    assert {w.name for w in snapshot.workloads} >= {"web", "carts"}


BAD: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("missing name", "/api/v1/namespaces/sock-shop/serviceaccounts", {"metadata": {}}, 422,
     "metadata.name"),
    ("not DNS-1123", "/api/v1/namespaces/sock-shop/configmaps", {"metadata": {"name": "Bad_Name"}},
     422, "metadata.name"),
    ("service name not DNS-1035", "/api/v1/namespaces/sock-shop/services",
     {"metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}, 422, "metadata.name"),
    ("rule without verbs", f"/apis/{RBAC}/v1/namespaces/sock-shop/roles",
     {"metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]}, 422,
     "rules[0].verbs"),
    ("rule without resources", f"/apis/{RBAC}/v1/clusterroles",
     {"metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "verbs": ["get"]}]}, 422,
     "rules[0].resources"),
    ("URLs in a Role", f"/apis/{RBAC}/v1/namespaces/sock-shop/roles",
     {"metadata": {"name": "r"}, "rules": [{"nonResourceURLs": ["/x"], "verbs": ["get"]}]}, 422,
     "rules[0].nonResourceURLs"),
    ("a typo'd field", f"/apis/{RBAC}/v1/namespaces/sock-shop/roles",
     {"metadata": {"name": "r"}, "rule": []}, 422, "rule"),
    ("roleRef without name", f"/apis/{RBAC}/v1/namespaces/sock-shop/rolebindings",
     role_binding(name=None), 422, "roleRef.name"),
    ("roleRef without kind", f"/apis/{RBAC}/v1/namespaces/sock-shop/rolebindings",
     role_binding(kind=None), 422, "roleRef.kind"),
    ("roleRef without apiGroup", f"/apis/{RBAC}/v1/namespaces/sock-shop/rolebindings",
     role_binding(apiGroup=None), 422, "roleRef.apiGroup"),
    ("ClusterRoleBinding to a Role", f"/apis/{RBAC}/v1/clusterrolebindings",
     {**role_binding(), "kind": "ClusterRoleBinding"}, 422, "roleRef.kind"),
    ("cluster binding, account without namespace", f"/apis/{RBAC}/v1/clusterrolebindings",
     {**role_binding(kind="ClusterRole"), "kind": "ClusterRoleBinding",
      "subjects": [{"kind": "ServiceAccount", "name": "agent"}]}, 422, "subjects[0].namespace"),
    ("selector does not match", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(selector={"matchLabels": {"app": "other"}}), 422, "spec.template.metadata.labels"),
    ("no selector", "/apis/apps/v1/namespaces/sock-shop/deployments",
     {**deployment(), "spec": {k: v for k, v in deployment()["spec"].items() if k != "selector"}},
     422, "spec.selector"),
    ("negative replicas", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(replicas=-1), 422, "spec.replicas"),
    ("container without image", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(template={"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "c"}]}}),
     422, "spec.template.spec.containers[0].image"),
    ("container without name", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(template={"metadata": {"labels": LABELS},
                          "spec": {"containers": [{"image": "nginx"}]}}),
     422, "spec.template.spec.containers[0].name"),
    ("no containers", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(template={"metadata": {"labels": LABELS}, "spec": {"containers": []}}), 422,
     "spec.template.spec.containers"),
    ("mount of no volume", "/apis/apps/v1/namespaces/sock-shop/deployments",
     deployment(template={"metadata": {"labels": LABELS}, "spec": {"containers": [
         {"name": "c", "image": "i", "volumeMounts": [{"name": "gone", "mountPath": "/x"}]}]}}),
     422, "spec.template.spec.containers[0].volumeMounts[0].name"),
    ("service port out of range", "/api/v1/namespaces/sock-shop/services",
     {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 70000}]}}, 422, "spec.ports[0].port"),
    ("two unnamed ports", "/api/v1/namespaces/sock-shop/services",
     {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}, {"port": 81}]}}, 422,
     "spec.ports[0].name"),
    ("secret key", "/api/v1/namespaces/sock-shop/secrets",
     {"metadata": {"name": "s"}, "data": {"bad key": "YQ=="}}, 422, "data[bad key]"),
    ("secret not base64", "/api/v1/namespaces/sock-shop/secrets",
     {"metadata": {"name": "s"}, "data": {"k": "not base64!"}}, 422, "data[k]"),
    ("kind does not match the URL", "/api/v1/namespaces/sock-shop/secrets",
     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}}, 400, ""),
    ("apiVersion does not match the URL", "/apis/apps/v1/namespaces/sock-shop/deployments",
     {**deployment(), "apiVersion": "apps/v1beta1"}, 400, ""),
    ("namespace differs from the URL", "/api/v1/namespaces/sock-shop/configmaps",
     {"metadata": {"name": "c", "namespace": "default"}}, 400, ""),
    ("unknown namespace", "/api/v1/namespaces/nowhere/configmaps", {"metadata": {"name": "c"}}, 404,
     ""),
]


@pytest.mark.parametrize(("path", "body", "code", "field"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_what_the_api_server_refuses_is_refused(twin, path: str, body: dict[str, Any], code: int,
                                                field: str) -> None:
    if isinstance(body.get("roleRef"), dict):
        body["roleRef"] = {k: v for k, v in body["roleRef"].items() if v is not None}
    status, answer = post(twin.url, path, body)
    assert (status, answer["code"]) == (code, code), answer
    if field:
        assert answer["reason"] == "Invalid" and field in fields(answer), answer
        assert field in answer["message"]


def test_built_ins_serve_no_update_patch_or_delete(twin) -> None:
    twin.core.create_namespaced_config_map(NS, {"metadata": {"name": "c"}, "data": {"k": "v"}})
    for method in ("PUT", "PATCH", "DELETE"):
        request = urllib.request.Request(twin.url + f"/api/v1/namespaces/{NS}/configmaps/c",
                                         data=b"{}", method=method,
                                         headers={"Content-Type": "application/merge-patch+json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 405
    assert twin.core.read_namespaced_config_map("c", NS).data == {"k": "v"}


def test_seeding_ignores_install_kinds_as_before(twin_at, tmp_path: Path) -> None:
    manifests = tmp_path / "app.yaml"
    manifests.write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: x, namespace: elsewhere}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: other}\n"
        "rules: []\n---\n"
        + (Path(__file__).parents[2] / "twin/data/complete-demo.yaml").read_text())
    with twin_at(tmp_path / "state.json", manifests=[manifests]) as seeded:
        names = {n.metadata.name for n in seeded.core.list_namespace().items}
        assert "sock-shop" in names and not {"elsewhere", "other"} & names
        accounts = seeded.core.list_service_account_for_all_namespaces().items
        # only the Litmus install's chaos service account, in the application namespace
        assert [(a.metadata.namespace, a.metadata.name) for a in accounts] == [("sock-shop", "litmus-admin")]
