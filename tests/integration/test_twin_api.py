"""The twin's read API as the real kubernetes client sees it: seeded Sock Shop, discovery,
selectors, pagination, errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

NS = "sock-shop"
SERVICES = {
    "carts", "carts-db", "catalogue", "catalogue-db", "front-end", "orders", "orders-db",
    "payment", "queue-master", "rabbitmq", "session-db", "shipping", "user", "user-db",
}


def test_version_and_discovery(twin) -> None:
    version = client.VersionApi(twin.core.api_client).get_code()
    assert (version.major, version.minor, version.platform) == ("1", "30", "linux/amd64")
    groups = {g.name for g in client.ApisApi(twin.core.api_client).get_api_versions().groups}
    assert groups == {"apps", "apiextensions.k8s.io", "litmuschaos.io", "rbac.authorization.k8s.io",
                      "networking.k8s.io"}  # Ingresses: discovery reads them for entry points
    core = {r.name: r for r in twin.core.get_api_resources().resources}
    assert core["pods"].short_names == ["po"] and core["pods"].namespaced
    assert not core["nodes"].namespaced and core["services"].short_names == ["svc"]
    apps = {r.name for r in twin.apps.get_api_resources().resources}
    assert apps == {"deployments", "replicasets", "statefulsets", "daemonsets"}


def test_sock_shop_has_14_deployments_and_services_labelled_by_name(twin) -> None:
    deployments = twin.apps.list_namespaced_deployment(NS).items
    services = twin.core.list_namespaced_service(NS).items
    assert {d.metadata.name for d in deployments} == SERVICES
    assert {s.metadata.name for s in services} == SERVICES
    for service in services:
        assert service.metadata.labels == {"name": service.metadata.name}
        assert service.spec.selector == {"name": service.metadata.name}
    for deployment in deployments:
        if deployment.metadata.name == "front-end":
            assert deployment.metadata.labels is None  # upstream leaves it unlabelled
        else:
            assert deployment.metadata.labels == {"name": deployment.metadata.name}
        assert deployment.status.ready_replicas == deployment.spec.replicas == 1
    assert twin.apps.list_namespaced_deployment(NS, label_selector="name=front-end").items == []
    pods = twin.core.list_namespaced_pod(NS, label_selector="name=front-end").items
    assert len(pods) == 1 and pods[0].metadata.name.startswith("front-end-")


def test_pods_follow_their_templates_and_owners(twin) -> None:
    pod = twin.core.list_namespaced_pod(NS, label_selector="name=catalogue").items[0]
    container = pod.spec.containers[0]
    assert container.readiness_probe.initial_delay_seconds == 180
    assert container.resources.limits == {"cpu": "200m", "memory": "200Mi"}
    assert pod.spec.node_name in {"twin-node-1", "twin-node-2", "twin-node-3"}
    assert pod.status.phase == "Running"
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"
    assert pod.status.container_statuses[0].restart_count == 0
    owner = pod.metadata.owner_references[0]
    assert owner.kind == "ReplicaSet" and owner.controller
    rs = twin.apps.read_namespaced_replica_set(owner.name, NS)
    assert rs.metadata.uid == owner.uid
    assert rs.metadata.owner_references[0].kind == "Deployment"
    assert rs.metadata.owner_references[0].name == "catalogue"
    assert len(rs.metadata.name) == len("catalogue-") + 10
    assert len(pod.metadata.name) == len(rs.metadata.name) + 6
    nodes = twin.core.list_node().items
    assert len(nodes) == 3
    assert all(n.metadata.labels["kubernetes.io/os"] == "linux" for n in nodes)
    assert nodes[0].status.capacity == {"cpu": "4", "memory": "16Gi", "pods": "110",
                                        "ephemeral-storage": "100Gi"}


@pytest.mark.parametrize(("selector", "expected"), [
    ("name=carts", {"carts"}),
    ("name==carts", {"carts"}),
    ("name in (carts,orders, user)", {"carts", "orders", "user"}),
    ("name notin (carts,orders)", SERVICES - {"carts", "orders"}),
    ("name!=carts", SERVICES - {"carts"}),
    ("name,!absent", SERVICES),
    ("absent", set()),
    ("name in (carts,orders),name!=orders", {"carts"}),
])
def test_label_selectors_on_pods(twin, selector: str, expected: set[str]) -> None:
    pods = twin.core.list_namespaced_pod(NS, label_selector=selector).items
    assert {p.metadata.labels["name"] for p in pods} == expected


def test_field_selector_and_all_namespace_lists(twin) -> None:
    pods = twin.core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={NS}").items
    assert len(pods) == 14
    one = pods[3].metadata.name
    found = twin.core.list_namespaced_pod(NS, field_selector=f"metadata.name={one}").items
    assert [p.metadata.name for p in found] == [one]
    everywhere = twin.apps.list_deployment_for_all_namespaces().items
    # Sock Shop's 14 and the Litmus chaos operator (upstream operator.yaml: Deployment litmus/litmus)
    assert sorted({d.metadata.namespace for d in everywhere}) == ["litmus", NS] and len(everywhere) == 15


def test_pagination_with_limit_and_continue(twin) -> None:
    names, token, pages = [], None, 0
    while True:
        page = twin.core.list_namespaced_pod(NS, limit=5, _continue=token)
        names += [p.metadata.name for p in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 14 - len(names)
    assert pages == 3 and len(names) == 14 == len(set(names))
    assert names == sorted(names)


def test_errors_are_status_objects(twin) -> None:
    with pytest.raises(ApiException) as missing:
        twin.core.read_namespaced_pod("nope", NS)
    assert missing.value.status == 404
    status = json.loads(missing.value.body)
    assert (status["kind"], status["reason"], status["message"]) == (
        "Status", "NotFound", 'pods "nope" not found')
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(f"{twin.url}/apis/batch/v1/jobs")
    assert unknown.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as not_allowed:  # POST to a named object: no route
        urllib.request.urlopen(urllib.request.Request(
            f"{twin.url}/api/v1/namespaces/{NS}/pods/{twin.pods('name=carts')[0].metadata.name}",
            data=b"{}", method="POST", headers={"Content-Type": "application/json"}))
    assert not_allowed.value.code == 405


def test_namespaces_create_and_get(twin) -> None:
    names = {n.metadata.name for n in twin.core.list_namespace().items}
    assert {"default", "kube-system", NS} <= names
    created = twin.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
        name="chaos-lab")))
    assert created.status.phase == "Active"
    assert twin.core.read_namespace("chaos-lab").metadata.uid == created.metadata.uid
    with pytest.raises(ApiException) as bad:
        twin.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
            name="Bad_Name")))
    assert bad.value.status == 422


def test_litmus_is_installed(twin) -> None:
    crds = {c.metadata.name for c in
            twin.apiext.list_custom_resource_definition().items}
    assert crds == {"chaosengines.litmuschaos.io", "chaosexperiments.litmuschaos.io",
                    "chaosresults.litmuschaos.io"}
    engine_crd = twin.apiext.read_custom_resource_definition("chaosengines.litmuschaos.io")
    assert engine_crd.spec.names.kind == "ChaosEngine"
    experiments = twin.custom.list_namespaced_custom_object(
        "litmuschaos.io", "v1alpha1", NS, "chaosexperiments")["items"]
    assert {e["metadata"]["name"] for e in experiments} >= {
        "pod-delete", "container-kill", "pod-network-latency", "pod-cpu-hog", "pod-memory-hog"}
    in_default = twin.custom.list_namespaced_custom_object(
        "litmuschaos.io", "v1alpha1", "default", "chaosexperiments")["items"]
    assert in_default == []
