"""The twin's Chaos Mesh controller plays an IOChaos latency as slow file I/O inside the target's
handler: its own server-side p95 rises by the delay (a slow disk slows the handler itself, unlike a
network delay), and so do its callers'; a volumePath that is not a mount point fails the injection."""

from __future__ import annotations

import pytest

from twin import chaos_mesh
from twin.model import served, signals
from twin.seed import DEFAULT_MANIFESTS, seed_state
from twin.state import State
from twin.workloads import stamp

T0 = 1_800_000_000.0
NS = "sock-shop"


@pytest.fixture(scope="module")
def seeded() -> State:
    state = seed_state(DEFAULT_MANIFESTS, seed=42, now=T0)
    state.now = T0 + 600  # every pod long Ready
    chaos_mesh.install(state, state.now)
    return state


@pytest.fixture
def state(seeded: State) -> State:
    return seeded.model_copy(deep=True)


def _io_chaos(state: State, volume: str, *, delay: str = "400ms", percent: int = 100) -> dict[str, object]:
    obj = stamp(state, {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "IOChaos", "metadata": {
        "name": "ca-r1", "namespace": NS}, "spec": {
        "action": "latency", "mode": "one", "selector": {"namespaces": [NS], "labelSelectors": {"name": "carts-db"}},
        "volumePath": volume, "path": f"{volume}/**/*", "delay": delay, "percent": percent, "duration": "60s"}}, state.now)
    state.bucket("chaos-mesh.org/v1alpha1/iochaos")[f"{NS}/ca-r1"] = obj
    chaos_mesh.reconcile(state, state.now)
    return obj


def _p95(state: State) -> tuple[dict[str, float], dict[str, float]]:
    """(p95 as callers see each service, p95 its own process records), ms."""
    return ({n: s.latency_p95_ms for n, s in signals(state, NS, state.now).items()},
            {n: s.latency_p95_ms for n, s in served(state, NS, state.now).items()})


def test_io_latency_slows_the_handler_itself_and_its_callers(state: State) -> None:
    seen, own = _p95(state)
    obj = _io_chaos(state, "/tmp")  # carts-db's emptyDir in complete-demo.yaml
    conditions = {c["type"]: c["status"] for c in obj["status"]["conditions"]}  # type: ignore[index]
    assert conditions["AllInjected"] == "True"
    [run] = state.runs
    assert (run.fault, run.params["IO_DELAY_MS"], run.params["IO_PERCENT"]) == ("io-latency", "400.0", "100")
    state.now += 5
    seen_during, own_during = _p95(state)
    assert seen_during["carts-db"] - seen["carts-db"] == pytest.approx(400, abs=30)
    assert own_during["carts-db"] - own["carts-db"] == pytest.approx(400, abs=30)  # its own histogram: the handler
    assert seen_during["carts"] - seen["carts"] > 300 and own_during["carts"] - own["carts"] > 300  # its caller
    assert own_during["catalogue"] == pytest.approx(own["catalogue"], rel=0.1)  # not on carts-db's path
    state.now += 60
    chaos_mesh.reconcile(state, state.now)
    assert run.phase == "completed" and _p95(state)[1]["carts-db"] == pytest.approx(own["carts-db"], rel=0.1)


def test_a_few_delayed_operations_leave_the_p95_alone(state: State) -> None:
    seen = _p95(state)[0]
    _io_chaos(state, "/tmp", percent=5)
    state.now += 5
    assert _p95(state)[0]["carts"] == pytest.approx(seen["carts"], rel=0.1)


def test_a_volume_path_that_is_not_a_mount_point_fails_the_injection(state: State) -> None:
    obj = _io_chaos(state, "/data/db")  # mongo's data directory: no volume there in complete-demo.yaml
    [run] = state.runs
    assert run.phase == "error" and "volumePath /data/db is not a mount point of container carts-db" in run.events[-1].message
    status = obj["status"]
    assert status["experiment"]["containerRecords"][0]["events"][0]["type"] == "Failed"  # type: ignore[index]
