"""Chaos Mesh on the twin, through the real ``kubernetes`` client and the agent's ChaosMeshBackend:
render, server-side dry-run (validated against upstream's CRDs), apply once, status, duration,
abort by pause, orphans found by label and cleaned up; the same fault effects as with Litmus."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from agent.adapters.chaos_backends import ChaosMeshBackend, LitmusBackend
from agent.adapters.kube import KubeCluster
from agent.adapters.kube_calls import RetryPolicy
from agent.engines.backend import ChaosBackend
from agent.errors import DryRunFailed
from agent.models import AbortThreshold, ExperimentSpec, Fault, Parameters, TargetSelector
from tests.factories import inventory, target
from tests.integration.conftest import NS, Twin, connect
from twin import TwinServer

RETRY = RetryPolicy(attempts=1)


@pytest.fixture
def mesh(state_path: Path) -> Iterator[tuple[Twin, ChaosMeshBackend]]:
    with TwinServer(state_path, start_time=1_800_000_000.0, chaos_mesh=True) as server:
        api = client.ApiClient(client.Configuration(host=server.url))
        yield connect(server.url), ChaosMeshBackend(api, retry=RETRY)


def _spec(action: Fault, service: str, **parameters: object) -> ExperimentSpec:
    return ExperimentSpec(
        title=f"{service} {action.value}", description="via Chaos Mesh", action=action,
        target_selector=TargetSelector(service=service, namespace=NS, labels={"name": service}),
        parameters=Parameters(duration_s=60, **parameters),  # type: ignore[arg-type]
        abort_threshold=AbortThreshold(service="front-end", error_rate_pct=50),
        expected_impact="x", risk_level="medium", chaos_engine="chaos-mesh")


INV = inventory(target("carts", namespace=NS))


def _uids(twin: Twin) -> set[str]:
    return {str(p.metadata.uid) for p in twin.pods("name=carts") if p.metadata is not None}


def test_pod_kill_runs_to_completion_and_is_cleaned_up(mesh: tuple[Twin, ChaosMeshBackend]) -> None:
    twin, backend = mesh
    assert backend.installed()
    snapshot = KubeCluster(client.ApiClient(client.Configuration(host=twin.url)), retry=RETRY).snapshot([NS])
    assert snapshot.litmus.engines == ["litmus", "chaos-mesh"]  # what `inventory` reports
    assert snapshot.litmus.chaos_mesh_crds == ["dnschaos.chaos-mesh.org", "iochaos.chaos-mesh.org",
                                               "networkchaos.chaos-mesh.org", "podchaos.chaos-mesh.org",
                                               "stresschaos.chaos-mesh.org"]
    assert snapshot.litmus.chaos_mesh_dns_server is True  # installed with it, as Helm's dnsServer.create does
    before = _uids(twin)
    obj = backend.render(_spec(Fault.POD_DELETE, "carts"), run_id="r1", inventory=INV)

    backend.apply(obj, dry_run=True)  # validated by the twin against the v2.8.3 CRD, nothing created
    assert backend.list_owned(NS) == [] and _uids(twin) == before

    ref = backend.apply(obj, dry_run=False)
    assert (ref.kind, ref.name, ref.run_id, ref.created) == ("PodChaos", "ca-r1", "r1", True)
    assert backend.apply(obj, dry_run=False).created is False  # a repeated execute finds it: chaos once
    status = backend.status(ref)
    assert (status.phase, status.finished) == ("running", False)
    after = _uids(twin)
    assert after and not after & before  # the carts pod was killed and replaced, as with Litmus's pod-delete

    twin.advance(59)
    assert backend.status(ref).phase == "running"
    twin.advance(2)  # past spec.duration: desiredPhase Stop, AllRecovered
    done = backend.status(ref)
    assert (done.phase, done.finished) == ("completed", True), done.detail

    owned = backend.list_owned(NS)  # what recover / retention see: found by the agent's labels
    assert [(o.ref.name, o.ref.run_id, o.status.phase) for o in owned] == [("ca-r1", "r1", "completed")]
    assert backend.cleanup(owned[0]) is True
    assert backend.list_owned(NS) == [] and backend.cleanup(owned[0]) is False


def test_abort_pauses_and_the_fault_stops(mesh: tuple[Twin, ChaosMeshBackend]) -> None:
    twin, backend = mesh
    base = twin.signals()["carts"]["latency_p95_ms"]
    ref = backend.apply(backend.render(_spec(Fault.POD_NETWORK_LATENCY, "carts", network_latency_ms=800),
                                       run_id="r2", inventory=INV), dry_run=False)
    twin.advance(10)
    assert backend.status(ref).phase == "running"
    slowed = twin.signals()["carts"]["latency_p95_ms"]
    assert slowed > base + 500  # the same latency effect the twin gives Litmus's pod-network-latency

    backend.stop(ref)
    stopped = backend.status(ref)
    assert (stopped.phase, stopped.finished) == ("stopped", True)
    body: Any = twin.custom.get_namespaced_custom_object("chaos-mesh.org", "v1alpha1", NS, "networkchaos", "ca-r2")
    assert body["metadata"]["annotations"] == {"experiment.chaos-mesh.org/pause": "true"}
    twin.advance(10)
    assert twin.signals()["carts"]["latency_p95_ms"] < base + 100  # reverted at the pause
    assert backend.status(ref).phase == "stopped"  # the duration's end does not turn it into "completed"


def test_a_schema_invalid_object_fails_the_dry_run(mesh: tuple[Twin, ChaosMeshBackend]) -> None:
    twin, backend = mesh
    obj = backend.render(_spec(Fault.POD_DELETE, "carts"), run_id="r3", inventory=INV)
    bad = obj.model_copy(update={"spec": {**obj.spec, "mode": "most"}})
    with pytest.raises(DryRunFailed, match="mode"):
        backend.apply(bad, dry_run=True)
    assert backend.list_owned(NS) == []


def test_no_target_reads_as_failed(mesh: tuple[Twin, ChaosMeshBackend]) -> None:
    _, backend = mesh
    ref = backend.apply(backend.render(_spec(Fault.POD_DELETE, "nothing-here"), run_id="r4", inventory=INV),
                        dry_run=False)
    status = backend.status(ref)
    assert (status.phase, status.detail) == ("failed", "no target pods found")


def test_dns_errors_through_chaos_mesh_show_as_litmus_pod_dns_error_does(
        mesh: tuple[Twin, ChaosMeshBackend], make_engine: Callable[..., dict[str, Any]], tmp_path: Path) -> None:
    twin, backend = mesh
    obj = backend.render(_spec(Fault.POD_DNS_ERROR, "front-end", target_hostnames=["catalogue"]), run_id="r6",
                         inventory=INV)
    backend.apply(obj, dry_run=True)  # the twin validates it against the v2.8.3 DNSChaos CRD
    ref = backend.apply(obj, dry_run=False)
    assert ref.kind == "DNSChaos"
    twin.advance(5)
    assert backend.status(ref).phase == "running"
    on_mesh = twin.signals()
    with TwinServer(tmp_path / "litmus.json", start_time=1_800_000_000.0) as server:  # the same shop, Litmus's fault
        litmus = connect(server.url)
        litmus.create_engine(make_engine("fe-dns", "pod-dns-error", "name=front-end",
                                         env={"TARGET_HOSTNAMES": '["catalogue"]'}))
        litmus.advance(5)
        on_litmus = litmus.signals()
    assert 21.5 <= on_mesh["front-end"]["error_rate_pct"] < 23.5  # only front-end -> catalogue fails
    for service in ("front-end", "catalogue", "orders"):
        assert on_mesh[service]["error_rate_pct"] == pytest.approx(on_litmus[service]["error_rate_pct"], abs=1.0)
    twin.advance(60)
    assert backend.status(ref).phase == "completed"
    assert twin.signals()["front-end"]["error_rate_pct"] < 1  # reverted at the end of spec.duration


def test_without_its_dns_server_the_inventory_says_so_and_dns_chaos_fails_as_upstream(state_path: Path) -> None:
    with TwinServer(state_path, start_time=1_800_000_000.0, chaos_mesh=True, chaos_mesh_dns=False) as server:
        api = client.ApiClient(client.Configuration(host=server.url))
        twin, backend = connect(server.url), ChaosMeshBackend(api, retry=RETRY)
        assert KubeCluster(api, retry=RETRY).snapshot([NS]).litmus.chaos_mesh_dns_server is False
        ref = backend.apply(backend.render(_spec(Fault.POD_DNS_ERROR, "front-end"), run_id="r7", inventory=INV),
                            dry_run=False)
        status = backend.status(ref)
        assert (status.phase, status.detail) == ("failed", 'services "chaos-mesh-dns-server" not found')
        twin.advance(5)
        assert twin.signals()["front-end"]["error_rate_pct"] < 1  # nothing was injected


def test_both_engines_behind_one_port(state_path: Path) -> None:
    """The same port, two engines: a twin without Chaos Mesh says so; Litmus runs the same spec."""
    with TwinServer(state_path, start_time=1_800_000_000.0) as server:
        api = client.ApiClient(client.Configuration(host=server.url))
        backends: list[ChaosBackend] = [
            ChaosMeshBackend(api, retry=RETRY),
            LitmusBackend(KubeCluster(api, retry=RETRY), service_account="litmus-admin", cleanup="retain"),
        ]
        assert [b.installed() for b in backends] == [False, True]
        assert KubeCluster(api, retry=RETRY).snapshot([NS]).litmus.engines == ["litmus"]
        litmus = backends[1]
        spec = _spec(Fault.POD_DELETE, "carts").model_copy(update={"chaos_engine": "litmus"})
        ref = litmus.apply(litmus.render(spec, run_id="r5", inventory=INV), dry_run=False)
        assert litmus.status(ref).phase in ("pending", "running")
        litmus.stop(ref)
        connect(server.url).advance(1)
        assert litmus.status(ref).phase == "stopped"
        assert [o.ref.name for o in litmus.list_owned(NS)] == ["ca-r5"]
