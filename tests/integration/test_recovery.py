"""`recover` in-process against the twin: orphaned engines, dry runs, live runs left alone.
(The SIGKILL crash matrix is in tests/e2e/test_crash_recovery.py.)"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.ports import Deps
from agent.wiring import ClusterBinding, open_deps
from graphs import runner
from graphs.builder import RunGraph, build
from graphs.recovery import recover
from tests.integration.test_agent_on_twin import decide
from tests.integration.test_cluster_faults import deps as deps  # noqa: F401 - the fixture
from tests.integration.test_cluster_faults import twin as twin  # noqa: F401 - the fixture
from twin import TwinServer

TWIN = {"twin": True}


def deps_for(deps: Deps):  # type: ignore[no-untyped-def]
    @contextmanager
    def opened(binding: dict[str, object]) -> Iterator[Deps]:
        assert ClusterBinding.model_validate(binding).twin
        yield deps

    return opened


def orphan(deps: Deps, run_id: str) -> None:
    """An engine of the agent's that no checkpointed run knows (its state store was lost)."""
    from agent.engines.litmus import render
    from tests.factories import catalogue_delete

    manifest = render(catalogue_delete(90), run_id=run_id, service_account="litmus-admin", cleanup="retain")
    deps.cluster.apply_engine(manifest, dry_run=False)


def test_an_engine_no_run_knows_is_left_alone_within_its_plan_and_stopped_after(deps: Deps, twin: TwinServer) -> None:
    """It may be another agent's (its own state store): stopped only when overdue."""
    saver = InMemorySaver()
    graph = build(saver)
    twin.pause_operator()  # Litmus does not end it meanwhile
    orphan(deps, "lost0001")  # 30 s planned; grace 120 s
    [f] = recover(graph, saver, deps_for(deps), TWIN)
    assert f.action.startswith("left alone: within its planned duration (150 s of grace left)"), f
    deps.clock.sleep(151)
    planned = recover(graph, saver, deps_for(deps), TWIN, dry_run=True)
    assert [(f.run_id, f.action) for f in planned] == [("lost0001", "would stop it")]
    assert "outlived its planned duration by 121 s" in planned[0].found  # 151 s after a 30 s plan
    assert deps.cluster.list_engines("sock-shop")[0].active  # the dry run changed nothing
    done = recover(graph, saver, deps_for(deps), TWIN)
    assert [(f.run_id, f.action) for f in done] == [("lost0001", "stopped it (engineState: stop)")]
    [engine] = deps.cluster.list_engines("sock-shop")
    assert engine.engine_state == "stop"
    stops = [e.result for e in deps.audit.entries("lost0001") if e.action == "engine_stop"]
    assert stops == ["started", "ok"]
    assert recover(graph, saver, deps_for(deps), TWIN) == []  # nothing left to do


def test_engines_not_made_by_the_agent_are_never_touched(deps: Deps, twin: TwinServer) -> None:
    from kubernetes import client

    twin.pause_operator()
    body = {"apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
            "metadata": {"name": "ca-someone", "namespace": "sock-shop"},
            "spec": {"engineState": "active", "appinfo": {"appns": "sock-shop", "applabel": "name=carts",
                                                            "appkind": "deployment"},
                     "chaosServiceAccount": "litmus-admin", "experiments": [{"name": "pod-delete"}]}}
    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=twin.url)))
    api.create_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines", body)
    deps.clock.sleep(3600)
    saver = InMemorySaver()
    assert recover(build(saver), saver, deps_for(deps), TWIN) == []
    assert deps.cluster.list_engines("sock-shop") == []  # the agent lists only its own (by label)
    engine = api.get_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines", "ca-someone")
    assert engine["spec"]["engineState"] == "active"  # untouched


def test_a_finished_runs_engine_still_injecting_is_stopped(deps: Deps, twin: TwinServer) -> None:
    # The API went silent mid-run and the operator is down: the run ended without its stop landing.
    twin.pause_operator()
    twin.inject("GET", "/chaosengines/ca-", status=503, skip=2)
    twin.inject("PATCH", "/chaosengines/ca-", status=503)
    graph, saver = _run(deps, "done0001")
    assert runner.view(graph, "done0001").next == ()
    twin.heal()  # the API is back
    assert deps.cluster.list_engines("sock-shop")[0].active
    [f] = recover(graph, saver, deps_for(deps), TWIN)
    assert f.run_id == "done0001" and "its run ended (aborted)" in f.found
    assert f.action == "stopped it (engineState: stop)"
    assert not deps.cluster.list_engines("sock-shop")[0].active


def _run(deps: Deps, run_id: str) -> tuple[RunGraph, InMemorySaver]:
    saver = InMemorySaver()
    graph = build(saver)
    runner.start(graph, deps, run_id=run_id, count=1, cluster=TWIN)
    runner.resume(graph, deps, run_id, decide(deps, 1))
    return graph, saver


def test_a_run_alive_in_another_process_is_left_alone(deps: Deps) -> None:
    saver = InMemorySaver()
    graph = build(saver)
    runner.start(graph, deps, run_id="live0001", count=1, cluster=TWIN)  # paused, waiting
    with deps.store.lease("live0001"):  # as a worker answering it right now would hold it
        [f] = recover(graph, saver, deps_for(deps), TWIN)
    assert f.action == "left alone"
    [f] = recover(graph, saver, deps_for(deps), TWIN)
    assert f.found == "waiting for approval" and f.action.startswith("nothing to do")


@pytest.mark.parametrize("dry_run", [True, False])
def test_an_unreachable_cluster_is_reported_not_raised(tmp_path: Path, dry_run: bool) -> None:
    from agent.config import load_settings

    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "stack.yaml")
    settings = settings.model_copy(update={"twin": settings.twin.model_copy(update={"url": "http://127.0.0.1:9"}),
                                           "k8s": settings.k8s.model_copy(update={"retry_attempts": 1})})

    @contextmanager
    def unreachable(binding: dict[str, object]) -> Iterator[Deps]:
        with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as d:
            yield d

    saver = InMemorySaver()
    [f] = recover(build(saver), saver, unreachable, TWIN, dry_run=dry_run)
    assert f.action.startswith("not reached:") and "cannot reach http://127.0.0.1:9" in f.action
