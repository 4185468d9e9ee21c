"""The Kubernetes adapter turns API refusals into specific, actionable errors (real client, HTTP)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.adapters.kube import connect
from agent.engines.litmus import render
from agent.errors import ClusterUnreachable, Conflict, DryRunFailed, Forbidden, NotFound
from tests.factories import spec
from twin import TwinServer


class Refusing(BaseHTTPRequestHandler):
    """A loopback API server whose RBAC denies everything, answering as kube-apiserver does."""

    def _deny(self) -> None:
        body = json.dumps({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
            "message": 'chaosengines.litmuschaos.io is forbidden: User "system:serviceaccount:chaos:agent" '
                       'cannot create resource "chaosengines" in API group "litmuschaos.io" in the namespace "shop"',
        }).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = _deny

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def manifest(namespace: str = "sock-shop") -> object:
    s = spec().model_copy(update={"target_selector": spec().target_selector.model_copy(update={"namespace": namespace})})
    return render(s, run_id="e1", service_account="litmus-admin", cleanup="retain")


def test_rbac_denial_is_forbidden_and_says_what_to_grant(refusing: str) -> None:
    cluster = connect(host=refusing, kubeconfig=None, context=None)
    with pytest.raises(Forbidden) as e:
        cluster.apply_engine(manifest(), dry_run=False)  # type: ignore[arg-type]
    msg = str(e.value)
    assert "forbidden by RBAC" in msg and 'cannot create resource "chaosengines"' in msg
    assert "grant the agent's account" in msg


def test_conflict_and_missing_namespace_on_the_twin(tmp_path: object) -> None:
    with TwinServer(tmp_path / "twin.json") as twin:  # type: ignore[operator]
        cluster = connect(host=twin.url, kubeconfig=None, context=None)
        m = manifest()
        cluster.apply_engine(m, dry_run=False)  # type: ignore[arg-type]
        with pytest.raises(Conflict, match="already exists"):
            cluster.apply_engine(m, dry_run=False)  # type: ignore[arg-type]
        with pytest.raises(NotFound, match='namespaces "nowhere" not found'):
            cluster.apply_engine(manifest("nowhere"), dry_run=True)  # type: ignore[arg-type]
        bad = m.model_copy(update={"name": "Not_A_Name"})  # type: ignore[attr-defined]
        with pytest.raises(DryRunFailed, match="rejected the engine"):
            cluster.apply_engine(bad, dry_run=True)


def test_unreachable_api_server() -> None:
    cluster = connect(host="http://127.0.0.1:9", kubeconfig=None, context=None)
    with pytest.raises(ClusterUnreachable, match="cannot reach http://127.0.0.1:9"):
        cluster.find_engine("sock-shop", "x")
