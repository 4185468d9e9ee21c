"""ChaosEngine / ChaosResult / ChaosExperiment writes through the real CustomObjectsApi:
201 bodies, dry run, validation against the CRD schema, conflicts, patch and delete."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")


def _error(excinfo: pytest.ExceptionInfo[ApiException]) -> dict:
    return json.loads(excinfo.value.body)


def test_create_returns_the_stored_engine_with_201(twin, make_engine) -> None:
    created = twin.create_engine(make_engine("probe-a", "pod-delete", "name=carts",
                                             state="stop"))
    assert created is not None  # the client only returns a body for HTTP 201
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"].isdigit() and meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z")
    fetched = twin.get("chaosengines", "probe-a")
    assert fetched["metadata"]["uid"] == meta["uid"]
    assert fetched["spec"]["appinfo"] == {"appns": NS, "applabel": "name=carts",
                                          "appkind": "deployment"}
    listed = twin.custom.list_cluster_custom_object(*LITMUS, "chaosengines")
    assert [e["metadata"]["name"] for e in listed["items"]] == ["probe-a"]
    assert listed["kind"] == "ChaosEngineList"


def test_resource_version_is_a_global_counter(twin, make_engine) -> None:
    first = twin.create_engine(make_engine("rv-a", "pod-delete", "name=carts", state="stop"))
    second = twin.create_engine(make_engine("rv-b", "pod-delete", "name=carts", state="stop"))
    assert int(second["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])


def test_dry_run_validates_and_stores_nothing(twin, make_engine) -> None:
    body = make_engine("dry", "pod-delete", "name=carts")
    would_be = twin.create_engine(body, dry_run="All")
    assert would_be["metadata"]["name"] == "dry" and would_be["metadata"]["uid"]
    with pytest.raises(ApiException) as missing:
        twin.get("chaosengines", "dry")
    assert missing.value.status == 404
    bad = make_engine("dry-bad", "pod-delete", "name=carts", state="bogus")
    with pytest.raises(ApiException) as invalid:
        twin.create_engine(bad, dry_run="All")
    assert invalid.value.status == 422
    status = _error(invalid)
    assert status["reason"] == "Invalid"
    assert "spec.engineState" in status["message"] and "^(active|stop)$" in status["message"]
    assert status["details"]["causes"][0]["field"] == "spec.engineState"
    assert twin.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines")["items"] == []


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda b: b["spec"]["appinfo"].update(appkind="daemonsett"), "spec.appinfo.appkind"),
    (lambda b: b["spec"].update(jobCleanUpPolicy="keep"), "spec.jobCleanUpPolicy"),
    (lambda b: b["spec"]["appinfo"].update(applable="name=carts"), "spec.appinfo.applable"),
    (lambda b: b["spec"].update(terminationGracePeriodSeconds="30"),
     "spec.terminationGracePeriodSeconds"),
    (lambda b: b["spec"].update(experiments={"name": "pod-delete"}), "spec.experiments"),
    (lambda b: b["metadata"].update(name="Carts_Chaos"), "metadata.name"),
])
def test_schema_violations_are_422_with_the_field(twin, make_engine, mutate, field) -> None:
    body = make_engine("bad", "pod-delete", "name=carts")
    mutate(body)
    with pytest.raises(ApiException) as invalid:
        twin.create_engine(body)
    assert invalid.value.status == 422
    assert field in _error(invalid)["message"]


def test_fields_the_schema_preserves_are_accepted(twin, make_engine) -> None:
    body = make_engine("legacy", "pod-delete", "name=carts", state="stop")
    body["spec"]["annotationCheck"] = "false"  # 2.x field; spec preserves unknown fields
    body["spec"]["experiments"][0]["spec"]["components"]["statusCheckTimeouts"] = {
        "delay": 2, "timeout": 180}
    assert twin.create_engine(body)["spec"]["annotationCheck"] == "false"


def test_duplicate_and_unknown_namespace(twin, make_engine) -> None:
    twin.create_engine(make_engine("dup", "pod-delete", "name=carts", state="stop"))
    with pytest.raises(ApiException) as duplicate:
        twin.create_engine(make_engine("dup", "pod-delete", "name=carts", state="stop"))
    assert duplicate.value.status == 409
    assert _error(duplicate)["reason"] == "AlreadyExists"
    body = make_engine("elsewhere", "pod-delete", "name=carts")
    body["metadata"]["namespace"] = "nowhere"
    with pytest.raises(ApiException) as unknown:
        twin.create_engine(body, namespace="nowhere")
    assert unknown.value.status == 404
    assert _error(unknown)["message"] == 'namespaces "nowhere" not found'


def test_merge_patch_stops_an_engine_and_delete_removes_it(twin, make_engine) -> None:
    twin.create_engine(make_engine("patchme", "pod-delete", "name=carts",
                                   env={"TOTAL_CHAOS_DURATION": "60"}))
    assert twin.get("chaosengines", "patchme")["status"]["engineStatus"] == "initialized"
    patched = twin.custom.patch_namespaced_custom_object(
        *LITMUS, NS, "chaosengines", "patchme", {"spec": {"engineState": "stop"}})
    assert patched["spec"]["engineState"] == "stop"
    assert patched["spec"]["appinfo"]["applabel"] == "name=carts"  # merge, not replace
    assert twin.get("chaosengines", "patchme")["status"]["engineStatus"] == "stopped"
    with pytest.raises(ApiException) as invalid:
        twin.custom.patch_namespaced_custom_object(
            *LITMUS, NS, "chaosengines", "patchme", {"spec": {"engineState": "paused"}})
    assert invalid.value.status == 422
    deleted = twin.custom.delete_namespaced_custom_object(*LITMUS, NS, "chaosengines", "patchme")
    assert deleted["metadata"]["name"] == "patchme"
    with pytest.raises(ApiException) as gone:
        twin.get("chaosengines", "patchme")
    assert gone.value.status == 404


def test_json_patch_and_dry_run_patch(twin, make_engine) -> None:
    twin.create_engine(make_engine("jp", "pod-delete", "name=carts", state="stop"))
    ops = [{"op": "replace", "path": "/spec/appinfo/applabel", "value": "name=orders"},
           {"op": "add", "path": "/metadata/labels", "value": {"team": "sre"}}]
    patched = twin.custom.patch_namespaced_custom_object(
        *LITMUS, NS, "chaosengines", "jp", ops, _content_type="application/json-patch+json")
    assert patched["spec"]["appinfo"]["applabel"] == "name=orders"
    assert patched["metadata"]["labels"] == {"team": "sre"}
    dry = twin.custom.patch_namespaced_custom_object(
        *LITMUS, NS, "chaosengines", "jp", {"spec": {"jobCleanUpPolicy": "delete"}},
        dry_run="All")
    assert dry["spec"]["jobCleanUpPolicy"] == "delete"
    assert twin.get("chaosengines", "jp")["spec"]["jobCleanUpPolicy"] == "retain"


def test_replace_with_a_stale_resource_version_conflicts(twin, make_engine) -> None:
    created = twin.create_engine(make_engine("put", "pod-delete", "name=carts", state="stop"))
    twin.custom.patch_namespaced_custom_object(
        *LITMUS, NS, "chaosengines", "put", {"metadata": {"labels": {"a": "b"}}})
    with pytest.raises(ApiException) as stale:
        twin.custom.replace_namespaced_custom_object(*LITMUS, NS, "chaosengines", "put", created)
    assert stale.value.status == 409 and _error(stale)["reason"] == "Conflict"


def test_every_installed_chaos_experiment_passes_its_own_schema(twin) -> None:
    for experiment in twin.custom.list_namespaced_custom_object(
            *LITMUS, NS, "chaosexperiments")["items"]:
        copy = {k: v for k, v in experiment.items() if k != "metadata"}
        copy["metadata"] = {"name": experiment["metadata"]["name"]}
        twin.custom.create_namespaced_custom_object(*LITMUS, "default", "chaosexperiments", copy,
                                                    dry_run="All")


def test_a_strategic_merge_patch_on_a_custom_resource_is_415_as_on_kube_apiserver(twin, make_engine) -> None:
    # kube-apiserver's custom resource handler accepts JSON Patch, merge patch and apply patch only
    # (apiextensions-apiserver customresource_handler.go): a client sending strategic merge to a
    # ChaosEngine must fail here as it would on a real cluster.
    import urllib.error
    import urllib.request

    twin.create_engine(make_engine("smp", "pod-delete", "name=carts"))
    url = f"{twin.url}/apis/litmuschaos.io/v1alpha1/namespaces/{NS}/chaosengines/smp"
    body = json.dumps({"spec": {"engineState": "stop"}}).encode()
    request = urllib.request.Request(url, data=body, method="PATCH",
                                     headers={"Content-Type": "application/strategic-merge-patch+json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 415
    assert "application/merge-patch+json" in refused.value.read().decode()
    assert twin.get("chaosengines", "smp")["spec"]["engineState"] == "active"
