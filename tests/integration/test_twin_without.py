"""The twin's Litmus install and the pieces it can be started without, through the official
client: a twin without a piece genuinely lacks it (no group served, no objects, no endpoint, a
"no" from every access review), and SelfSubjectAccessReviews are answered as an API server does."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.integration.conftest import LITMUS, NS, Twin
from twin import TwinServer

OpenTwin = Callable[..., AbstractContextManager[Twin]]


def review(twin: Twin, verb: str, resource: str, group: str = "litmuschaos.io") -> client.V1SelfSubjectAccessReview:
    api = client.AuthorizationV1Api(twin.core.api_client)
    return api.create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb=verb, group=group, resource=resource, namespace=NS))))


def groups(twin: Twin) -> list[str]:
    with urllib.request.urlopen(f"{twin.url}/apis", timeout=5) as answer:
        return [g["name"] for g in json.loads(answer.read())["groups"]]


def test_a_full_twin_has_litmus_installed_as_upstream_does(twin: Twin) -> None:
    operator = twin.apps.read_namespaced_deployment("litmus", "litmus")
    assert operator.spec.selector.match_labels == {"name": "chaos-operator"}
    pods = twin.pods("name=chaos-operator", namespace="litmus")
    assert len(pods) == 1 and all(c.ready for c in pods[0].status.container_statuses)
    assert twin.core.read_namespaced_service_account("litmus-admin", NS).metadata.name == "litmus-admin"
    assert "litmuschaos.io" in groups(twin)
    answer = review(twin, "create", "chaosengines")
    assert answer.status.allowed is True and answer.spec.resource_attributes.namespace == NS


def test_an_access_review_without_attributes_is_invalid(twin: Twin) -> None:
    request = urllib.request.Request(
        f"{twin.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", method="POST",
        data=json.dumps({"kind": "SelfSubjectAccessReview", "spec": {}}).encode(),
        headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 422
    assert "exactly one of nonResourceAttributes or resourceAttributes" in json.loads(refused.value.read())["message"]


def test_without_litmus_there_is_no_litmus_at_all(tmp_path: Path, twin_at: OpenTwin, make_engine: Callable[..., dict]) -> None:
    with twin_at(tmp_path / "state.json", without=["litmus"]) as bare:
        assert "litmuschaos.io" not in groups(bare)
        assert [c.metadata.name for c in bare.apiext.list_custom_resource_definition().items] == []
        with pytest.raises(ApiException) as missing:
            bare.create_engine(make_engine("e", "pod-delete", "name=carts"))
        assert missing.value.status == 404
        assert bare.pods("name=chaos-operator", namespace="litmus") == []
        assert "litmus" not in {n.metadata.name for n in bare.core.list_namespace().items}
        assert len(bare.pods("name")) == 14  # Sock Shop itself is untouched


def test_without_experiments_only_the_experiments_are_gone(tmp_path: Path, twin_at: OpenTwin) -> None:
    with twin_at(tmp_path / "state.json", without=["experiments"]) as twin:
        assert twin.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosexperiments")["items"] == []
        assert len(twin.apiext.list_custom_resource_definition().items) == 3


def test_without_metrics_and_rbac(tmp_path: Path, twin_at: OpenTwin) -> None:
    with twin_at(tmp_path / "state.json", without=["metrics", "rbac"]) as twin:
        for path in ("/metrics", f"/twin/v1/signals?namespace={NS}"):
            with pytest.raises(urllib.error.HTTPError) as gone:
                urllib.request.urlopen(twin.url + path, timeout=5)
            assert gone.value.code == 404, path
        answer = review(twin, "list", "pods", group="")
        assert answer.status.allowed is False and "without the agent's grants" in answer.status.reason


def test_pieces_taken_out_of_an_existing_state_stay_out(tmp_path: Path, twin_at: OpenTwin) -> None:
    path = tmp_path / "state.json"
    with twin_at(path) as full:
        assert len(full.apiext.list_custom_resource_definition().items) == 3
    with twin_at(path, without=["litmus"]) as bare:
        assert bare.apiext.list_custom_resource_definition().items == []


def test_an_unknown_piece_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot start the twin without 'grafana': choose from litmus, experiments"):
        TwinServer(tmp_path / "state.json", without=["grafana"])
    usage = subprocess.run([sys.executable, "-m", "twin", "--without", "grafana"], capture_output=True, text=True,
                           timeout=60, check=False)
    assert usage.returncode == 2 and "invalid choice: 'grafana'" in usage.stderr
    assert not (tmp_path / "state.json").exists()


def test_the_cli_offers_exactly_the_twins_pieces() -> None:
    from agent.cli.doctor import Piece
    from twin.litmus_install import PIECES

    assert [p.value for p in Piece] == list(PIECES)
