"""Nodes that replay after a crash decide from the durable store, not from state they never
returned: the pre-chaos baseline survives, one report and one outcome line per run, and a run
id is never reused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.config import Settings
from agent.engines.litmus import ChaosEngineManifest
from agent.errors import ApprovalError
from agent.models import Decision, EngineRef, Sample
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete


class Crash(BaseException):
    """The process dies here (BaseException: nothing in the graph catches it)."""


class CrashAfterApply:
    """The cluster, except that the process dies right after the live apply lands."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        ref: EngineRef = self._inner.apply_engine(manifest, dry_run=dry_run)  # type: ignore[attr-defined]
        if not dry_run:
            raise Crash()
        return ref


class CrashWhenFinished:
    """A notifier whose process dies after the report is written (the end of narrate)."""

    def __init__(self, inner: object) -> None:
        self._inner, self.calls = inner, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        self.calls += 1
        if self.calls == 1:
            raise Crash()


def approve(deps: Deps) -> Decision:
    return Decision(verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())


def test_a_replayed_execute_keeps_the_pre_chaos_baseline(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(5)))
    dying = replace(deps, cluster=CrashAfterApply(deps.cluster))  # type: ignore[arg-type]
    graph = build(InMemorySaver())
    runner.start(graph, dying, run_id="base0001", count=1, cluster={"twin": True})
    with pytest.raises(Crash):
        runner.resume(graph, dying, "base0001", approve(dying))
    before = deps.store.load("base0001", "baseline", Sample)
    deps.clock.sleep(40)  # the chaos goes on while the agent is dead
    graph.invoke(None, runner.config("base0001", deps), context=replace(deps, recovering=True), durability="sync")  # type: ignore[call-overload]
    after = deps.store.load("base0001", "baseline", Sample)
    assert after == before and after.tick <= 0
    assert after.services["catalogue"].error_rate_pct is not None and after.services["catalogue"].error_rate_pct < 5
    assert [e.name for e in deps.cluster.list_engines("sock-shop")] == ["ca-base0001"]


def test_a_replayed_narrate_writes_one_report_and_one_outcome_line(deps: Deps, settings: Settings) -> None:
    notifier = CrashWhenFinished(deps.notifier)
    deps = replace(deps, designer=OneSpec(catalogue_delete(5)), notifier=notifier)  # type: ignore[arg-type]
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="narr0001", count=1, cluster={"twin": True})
    with pytest.raises(Crash):
        runner.resume(graph, deps, "narr0001", approve(deps))
    graph.invoke(None, runner.config("narr0001", deps), context=deps, durability="sync")  # type: ignore[call-overload]
    assert runner.view(graph, "narr0001").state["report_path"]
    reports = settings.path(settings.paths.reports)
    assert len(list(reports.glob("*_narr0001.md"))) == 1
    assert [e.action for e in deps.audit.entries("narr0001")].count("run_outcome") == 1


def test_a_run_id_is_never_reused(deps: Deps) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="same0001", count=1, cluster={"twin": True})
    with pytest.raises(ApprovalError, match="already exists"):
        runner.start(graph, deps, run_id="same0001", count=1, cluster={"twin": True})


def test_a_caller_cannot_seed_internal_keys_and_a_run_without_an_id_takes_its_threads(deps: Deps) -> None:
    graph = build(InMemorySaver())
    seeded = {"count": 1, "cluster": {"twin": True}, "outcome": "completed", "phase": "done", "tick": 99,
              "engine": {"name": "ca-x", "namespace": "sock-shop", "uid": "u"}}
    graph.invoke(seeded, {"configurable": {"thread_id": "3f2a9c1e-77aa-4b1c-9d0e-123456789abc"}}, context=deps,  # type: ignore[call-overload]
                 durability="sync")
    state = graph.get_state({"configurable": {"thread_id": "3f2a9c1e-77aa-4b1c-9d0e-123456789abc"}}).values
    assert state["run_id"] == "3f2a9c1e"  # from the thread: two Studio threads never share an engine
    assert state.get("outcome") is None and state.get("engine") is None and state.get("tick") is None
    assert graph.get_state({"configurable": {"thread_id": "3f2a9c1e-77aa-4b1c-9d0e-123456789abc"}}).next == ("approve",)


def test_an_engine_of_the_same_name_that_is_not_this_runs_is_never_adopted(deps: Deps) -> None:
    from kubernetes import client

    body = {"apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
            "metadata": {"name": "ca-adop0001", "namespace": "sock-shop",
                         "labels": {"app.kubernetes.io/managed-by": "chaos-advisor", "chaos-advisor.io/run-id": "other001"}},
            "spec": {"engineState": "active", "appinfo": {"appns": "sock-shop", "applabel": "name=carts", "appkind": "deployment"},
                     "chaosServiceAccount": "litmus-admin", "experiments": [{"name": "pod-delete"}]}}
    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
    api.create_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines", body)
    deps = replace(deps, designer=OneSpec(catalogue_delete(5)))
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="adop0001", count=1, cluster={"twin": True})
    state = runner.resume(graph, deps, "adop0001", approve(deps)).state
    assert state["outcome"] == "failed" and "is not this run's" in str(state["reason"])
    assert state.get("engine") is None  # not watched as if it were ours
