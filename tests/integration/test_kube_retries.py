"""Kubernetes API failures: bounded retries with backoff, then a clear error; a create whose
answer was lost is not applied twice. The real client against the twin, told to fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.adapters.kube import KubeCluster, RetryPolicy, connect
from agent.engines.litmus import render
from agent.errors import ClusterUnreachable, DryRunFailed, NotFound
from tests.factories import spec
from twin import TwinServer

ENGINE = "ca-r0000001"


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[TwinServer]:
    with TwinServer(tmp_path / "twin.json", start_time=1_800_000_000.0) as server:
        yield server


def cluster(twin: TwinServer, waits: list[float], **policy: float) -> KubeCluster:
    """The adapter on the twin; retry waits are recorded instead of slept."""
    retry = RetryPolicy(**{"attempts": 4, "backoff_s": 0.5, "backoff_max_s": 4.0} | policy)  # type: ignore[arg-type]
    return connect(host=twin.url, kubeconfig=None, context=None, retry=retry, sleep=waits.append)


def manifest(name_run: str = "r0000001") -> object:
    s = spec()
    s = s.model_copy(update={"target_selector": s.target_selector.model_copy(
        update={"namespace": "sock-shop", "labels": {"name": "catalogue"}, "service": "catalogue"})})
    return render(s, run_id=name_run, service_account="litmus-admin", cleanup="retain")


def test_transient_503s_are_retried_with_exponential_backoff(twin: TwinServer) -> None:
    waits: list[float] = []
    blip = twin.inject("GET", f"/chaosengines/{ENGINE}", status=503, times=2)
    assert cluster(twin, waits).find_engine("sock-shop", ENGINE) is None  # 404 after two 503s
    assert blip.hits == 2
    assert waits == [0.5, 1.0]


def test_a_server_that_keeps_failing_gives_up_after_the_bounded_tries(twin: TwinServer) -> None:
    waits: list[float] = []
    down = twin.inject("GET", "/chaosengines", status=500)
    with pytest.raises(ClusterUnreachable, match=r"HTTP 500 from http://127\.0\.0\.1:\d+ .* after 4 tries"):
        cluster(twin, waits, backoff_max_s=1.5).find_engine("sock-shop", ENGINE)
    assert down.hits == 4
    assert waits == [0.5, 1.0, 1.5]  # doubling, capped


def test_timeouts_are_retried_then_reported(twin: TwinServer) -> None:
    waits: list[float] = []
    held = twin.inject("GET", "/chaosengines", hold=True)
    try:
        with pytest.raises(ClusterUnreachable, match="ReadTimeoutError.* after 2 tries"):
            cluster(twin, waits, attempts=2, timeout_s=0.3).find_engine("sock-shop", ENGINE)
    finally:
        twin.heal()
    assert held.hits == 2 and waits == [0.5]


def test_refusals_are_not_retried(twin: TwinServer) -> None:
    waits: list[float] = []
    bad = manifest().model_copy(update={"name": "Not_A_Name"})  # type: ignore[attr-defined]
    with pytest.raises(DryRunFailed):
        cluster(twin, waits).apply_engine(bad, dry_run=True)
    with pytest.raises(NotFound):
        cluster(twin, waits).engine_status("sock-shop", ENGINE, "pod-delete")
    assert waits == []


def test_a_create_whose_answer_was_lost_is_applied_once(twin: TwinServer) -> None:
    """The API server stores the engine but its answer is lost (504 after the write): the retry
    meets 409 and the adapter answers with the engine its first try created."""
    waits: list[float] = []
    lost = twin.inject("POST", "/chaosengines", dry_run=False, status=504, after=True, times=1)
    kube = cluster(twin, waits)
    ref = kube.apply_engine(manifest(), dry_run=False)  # type: ignore[arg-type]
    assert lost.hits == 1 and waits == [0.5]
    assert ref.name == ENGINE and ref.created and ref.uid
    assert [e.name for e in kube.list_engines("sock-shop")] == [ENGINE]
    assert ref.uid == kube.list_engines("sock-shop")[0].uid


def test_a_dry_run_failing_transiently_is_not_mistaken_for_an_invalid_manifest(twin: TwinServer) -> None:
    twin.inject("POST", "/chaosengines", dry_run=True, status=503)
    with pytest.raises(ClusterUnreachable, match="HTTP 503"):
        cluster(twin, [], attempts=2).apply_engine(manifest(), dry_run=True)  # type: ignore[arg-type]


def test_list_engines_reports_state_and_run(twin: TwinServer) -> None:
    kube = cluster(twin, [])
    kube.apply_engine(manifest("r0000002"), dry_run=False)  # type: ignore[arg-type]
    [info] = kube.list_engines("sock-shop")
    assert info.run_id == "r0000002" and info.active and info.created_at is not None
    kube.stop_engine("sock-shop", "ca-r0000002")
    assert not kube.list_engines("sock-shop")[0].active


def test_a_deadline_bounds_one_call_whatever_its_tries(twin: TwinServer) -> None:
    # Real time on purpose: the deadline is a promise about wall-clock time (4 tries x 2 s
    # timeouts would take 8 s and more; the deadline cuts it at about 1 s).
    import time

    held = twin.inject("GET", "/chaosengines", hold=True)
    api = connect(host=twin.url, kubeconfig=None, context=None,
                  retry=RetryPolicy(timeout_s=2.0, attempts=4, backoff_s=0.1, deadline_s=1.0))
    started = time.monotonic()
    try:
        with pytest.raises(ClusterUnreachable):
            api.find_engine("sock-shop", ENGINE)
    finally:
        twin.heal()
    took = time.monotonic() - started
    assert held.hits >= 1 and took < 2.5, took  # one 1 s timeout, no second full try
