"""Ctrl-C or SIGTERM in the process that runs an experiment stops its chaos and still writes the
report (the signal handler only raises a flag; the monitor acts on it at its next tick)."""

from __future__ import annotations

from dataclasses import replace

from langgraph.checkpoint.memory import InMemorySaver

from agent.models import Decision
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete


class AskedAfter:
    """``stop_requested`` that answers ``who`` from its ``n``-th question on."""

    def __init__(self, n: int, who: str) -> None:
        self.n, self.who, self.asked = n, who, 0

    def __call__(self) -> str | None:
        self.asked += 1
        return self.who if self.asked >= self.n else None


def approve(deps: Deps) -> Decision:
    return Decision(verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())


def test_ctrl_c_during_the_chaos_stops_the_engine_and_writes_the_report(deps: Deps) -> None:
    # Asked: once before the apply (execute), then once per monitor tick: the 3rd is tick 2.
    deps = replace(deps, designer=OneSpec(catalogue_delete(50, duration_s=120)), stop_requested=AskedAfter(3, "Ctrl-C"))
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="ctrl0001", count=1, cluster={"twin": True})
    state = runner.resume(graph, deps, "ctrl0001", approve(deps)).state
    assert state["outcome"] == "aborted" and str(state["reason"]).startswith("aborted by the user (Ctrl-C) at T+")
    kinds = [e["kind"] for e in state["events"]]
    assert kinds.index("interrupted") < kinds.index("abort_requested") < kinds.index("stopped")
    assert state["report_path"] and "aborted by the user" in open(str(state["report_path"])).read()
    [engine] = deps.cluster.list_engines("sock-shop")
    status = deps.cluster.engine_status("sock-shop", engine.name, "pod-delete")
    assert status.engine_state == "stop" and status.finished


def test_ctrl_c_during_the_baseline_applies_nothing(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(50)), stop_requested=AskedAfter(1, "SIGTERM"))
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="ctrl0002", count=1, cluster={"twin": True})
    state = runner.resume(graph, deps, "ctrl0002", approve(deps)).state
    assert state["outcome"] == "failed" and "interrupted by the user (SIGTERM) before any chaos" in str(state["reason"])
    assert deps.cluster.list_engines("sock-shop") == []


class DeletesEngine:
    """The cluster, except that someone deletes the run's engine (kubectl delete) before the
    monitor's ``n``-th status read."""

    def __init__(self, inner: object, n: int) -> None:
        self._inner, self._n, self.reads = inner, n, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def engine_status(self, namespace: str, name: str, experiment: str) -> object:
        self.reads += 1
        if self.reads == self._n:
            from kubernetes import client

            api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=self._inner.server)))  # type: ignore[attr-defined]
            api.delete_namespaced_custom_object("litmuschaos.io", "v1alpha1", namespace, "chaosengines", name)
        return self._inner.engine_status(namespace, name, experiment)  # type: ignore[attr-defined]


def test_an_engine_deleted_outside_the_agent_ends_its_chaos_and_is_not_patched(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(50, duration_s=120)))
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="gone0001", count=1, cluster={"twin": True})
    watched = replace(deps, cluster=DeletesEngine(deps.cluster, 3))  # type: ignore[arg-type]
    state = runner.resume(graph, watched, "gone0001", approve(watched)).state
    kinds = [e["kind"] for e in state["events"]]
    assert state["outcome"] == "aborted" and "deleted outside the agent" in str(state["reason"])
    assert "engine_removed" in kinds and "cluster_lost" not in kinds and "abort_requested" not in kinds
    assert [e.action for e in deps.audit.entries("gone0001")].count("engine_stop") == 0
