"""The twin refuses what kube-apiserver refuses on the calls the agent makes (twin/refusals.py
lists each check with its upstream source), and serves the deletes the retention sweep sends:
through the official client where it can send the request, raw HTTP where it cannot."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")


def _status(excinfo: pytest.ExceptionInfo[ApiException]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(excinfo.value.body)
    return body


def _raw(twin, method: str, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(twin.url + path, data=body, method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _engines(twin) -> list[str]:
    return [e["metadata"]["name"] for e in twin.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines")["items"]]


def test_a_create_in_a_media_type_the_server_does_not_read_is_415(twin, make_engine) -> None:
    body = json.dumps(make_engine("typed", "pod-delete", "name=carts")).encode()
    code, status = _raw(twin, "POST", f"/apis/litmuschaos.io/v1alpha1/namespaces/{NS}/chaosengines", body, "text/plain")
    assert (code, status["reason"]) == (415, "UnsupportedMediaType")
    assert "application/json, application/yaml" in status["message"]
    assert _engines(twin) == []  # nothing stored
    code, _ = _raw(twin, "POST", f"/apis/litmuschaos.io/v1alpha1/namespaces/{NS}/chaosengines", body,
                   "application/json; charset=utf-8")
    assert code == 201 and _engines(twin) == ["typed"]


def test_an_accept_header_naming_nothing_the_server_writes_is_406(twin) -> None:
    with pytest.raises(ApiException) as refused:
        twin.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines", _headers={"Accept": "application/xml"})
    assert (refused.value.status, _status(refused)["reason"]) == (406, "NotAcceptable")
    listed = twin.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines",
                                                       _headers={"Accept": "application/xml, */*;q=0.1"})
    assert listed["kind"] == "ChaosEngineList"  # a wildcard is served JSON


def test_a_merge_patch_that_is_not_json_is_400_and_changes_nothing(twin, make_engine) -> None:
    twin.create_engine(make_engine("bad-json", "pod-delete", "name=carts"))
    path = f"/apis/litmuschaos.io/v1alpha1/namespaces/{NS}/chaosengines/bad-json"
    code, status = _raw(twin, "PATCH", path, b'{"spec": {"engineState": "stop"', "application/merge-patch+json")
    assert (code, status["reason"]) == (400, "BadRequest")
    assert twin.get("chaosengines", "bad-json")["spec"]["engineState"] == "active"


@pytest.mark.parametrize("verb", ["create", "patch", "delete"])
def test_a_dry_run_other_than_all_is_422_invalid_options(twin, make_engine, verb: str) -> None:
    twin.create_engine(make_engine("dry", "pod-delete", "name=carts", state="stop"))
    calls = {
        "create": lambda: twin.create_engine(make_engine("dry-2", "pod-delete", "name=carts"), dry_run="Server"),
        "patch": lambda: twin.custom.patch_namespaced_custom_object(
            *LITMUS, NS, "chaosengines", "dry", {"metadata": {"labels": {"a": "b"}}}, dry_run="Server"),
        "delete": lambda: twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "dry",
                                                                      dry_run="Server"),
    }
    with pytest.raises(ApiException) as refused:
        calls[verb]()
    status = _status(refused)
    kind = {"create": "CreateOptions", "patch": "PatchOptions", "delete": "DeleteOptions"}[verb]
    assert (refused.value.status, status["reason"], status["details"]["kind"]) == (422, "Invalid", kind)
    assert status["message"] == f'{kind}.meta.k8s.io "" is invalid: dryRun: Unsupported value: "Server": supported values: "All"'
    assert _engines(twin) == ["dry"] and "a" not in (twin.get("chaosengines", "dry")["metadata"].get("labels") or {})


def test_delete_answers_the_object_then_404(twin, make_engine) -> None:
    created = twin.create_engine(make_engine("gone", "pod-delete", "name=carts", state="stop"))
    deleted = twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "gone")
    assert deleted["metadata"]["uid"] == created["metadata"]["uid"]
    with pytest.raises(ApiException) as again:
        twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "gone")
    assert (again.value.status, _status(again)["message"]) == (404, 'chaosengines.litmuschaos.io "gone" not found')


@pytest.mark.parametrize("field", ["uid", "resource_version"])
def test_a_delete_whose_preconditions_name_another_object_is_409(twin, make_engine, field: str) -> None:
    created = twin.create_engine(make_engine("kept", "pod-delete", "name=carts", state="stop"))
    meta = created["metadata"]
    right = {"uid": meta["uid"], "resource_version": meta["resourceVersion"]}
    wrong = client.V1Preconditions(**{**right, field: "0"})
    with pytest.raises(ApiException) as refused:
        twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "kept",
                                                    body=client.V1DeleteOptions(preconditions=wrong))
    label = {"uid": "UID", "resource_version": "ResourceVersion"}[field]
    assert (refused.value.status, _status(refused)["reason"]) == (409, "Conflict")
    assert f"Precondition failed: {label} in precondition: 0" in _status(refused)["message"]
    assert _engines(twin) == ["kept"]
    latest = twin.get("chaosengines", "kept")["metadata"]  # the twin's operator may have written it
    twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "kept", body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=latest["uid"], resource_version=latest["resourceVersion"])))
    assert _engines(twin) == []


def test_a_propagation_policy_the_server_does_not_know_is_422(twin, make_engine) -> None:
    twin.create_engine(make_engine("prop", "pod-delete", "name=carts", state="stop"))
    with pytest.raises(ApiException) as refused:
        twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "prop", propagation_policy="Sideways")
    assert (refused.value.status, _status(refused)["details"]["kind"]) == (422, "DeleteOptions")
    assert _engines(twin) == ["prop"]
    twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "prop", propagation_policy="Background")
    assert _engines(twin) == []


def test_verbs_without_a_route_are_405(twin) -> None:
    base = f"/apis/litmuschaos.io/v1alpha1/namespaces/{NS}/chaosengines"
    assert _raw(twin, "PATCH", base, b"{}", "application/merge-patch+json")[0] == 405  # a collection
    assert _raw(twin, "POST", "/apis/apps/v1/namespaces/sock-shop/replicasets", b"{}", "application/json")[0] == 405


def test_pods_litmus_makes_are_created_listed_by_label_and_deleted(twin) -> None:
    def pod(name: str, uid: str) -> dict[str, Any]:
        return {"metadata": {"name": name, "labels": {"chaosUID": uid, "app.kubernetes.io/part-of": "litmus"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "runner", "image": "litmuschaos/chaos-runner:3.18.0"}]}}

    made = twin.core.create_namespaced_pod(NS, pod("ca-x-runner", "u-1"))
    twin.core.create_namespaced_pod(NS, pod("other-runner", "u-2"))
    listed = twin.core.list_namespaced_pod(NS, label_selector="chaosUID=u-1")
    assert [p.metadata.name for p in listed.items] == ["ca-x-runner"]
    with pytest.raises(ApiException) as refused:
        twin.core.delete_namespaced_pod("ca-x-runner", NS, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="someone-else")))
    assert refused.value.status == 409
    twin.core.delete_namespaced_pod("ca-x-runner", NS, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=made.metadata.uid)))
    assert twin.core.list_namespaced_pod(NS, label_selector="chaosUID").items[0].metadata.name == "other-runner"
    with pytest.raises(ApiException) as invalid:
        twin.core.create_namespaced_pod(NS, {"metadata": {"name": "no-containers"}, "spec": {"containers": []}})
    assert invalid.value.status == 422
