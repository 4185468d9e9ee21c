"""One experiment per blast radius: a second run in a namespace whose chaos is still running is
refused, naming the run that holds it; the lock ends with that run."""

from __future__ import annotations

from dataclasses import replace

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.models import Decision
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete
from tests.integration.test_replay_safety import Crash, CrashAfterApply


def approve(deps: Deps) -> Decision:
    return Decision(verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())


def test_a_second_run_in_a_busy_namespace_is_refused_until_the_first_ends(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(5)))
    graph = build(InMemorySaver())
    dying = replace(deps, cluster=CrashAfterApply(deps.cluster))  # type: ignore[arg-type]
    runner.start(graph, dying, run_id="lock0001", count=1, cluster={"twin": True})
    with pytest.raises(Crash):  # its chaos runs on, nobody watches it
        runner.resume(graph, dying, "lock0001", approve(dying))

    runner.start(graph, deps, run_id="lock0002", count=1, cluster={"twin": True})
    second = runner.resume(graph, deps, "lock0002", approve(deps)).state
    assert second["outcome"] == "refused", second["reason"]
    assert "namespace sock-shop is in use by run lock0001 ('Catalogue pod delete'" in str(second["reason"])
    assert [e.name for e in deps.cluster.list_engines("sock-shop")] == ["ca-lock0001"]

    # recover finishes the first run; its end frees the namespace.
    graph.invoke(None, runner.config("lock0001", deps), context=replace(deps, recovering=True), durability="sync")  # type: ignore[call-overload]
    runner.start(graph, deps, run_id="lock0003", count=1, cluster={"twin": True})
    third = runner.resume(graph, deps, "lock0003", approve(deps)).state
    assert third["outcome"] in ("completed", "aborted"), third.get("reason")
    assert sorted(e.name for e in deps.cluster.list_engines("sock-shop")) == ["ca-lock0001", "ca-lock0003"]


def test_blast_radius_mode_lets_unrelated_targets_run_side_by_side(deps: Deps) -> None:
    from agent.inventory.discovery import discover
    from agent.run.locks import LockHolder, lock_keys, take

    inv = discover(deps)
    spec = catalogue_delete(5)
    keys = lock_keys(spec, inv, "blast-radius")
    assert "svc:sock-shop:catalogue" in keys and "svc:sock-shop:front-end" in keys
    assert lock_keys(spec, inv, "namespace") == ["ns:sock-shop"]
    holder = LockHolder(run_id="aaaa0001", title="a", at=deps.wall_now())
    assert take(deps.store, "aaaa0001", keys, holder) is None
    other = spec.model_copy(update={"target_selector": spec.target_selector.model_copy(
        update={"service": "queue-master", "labels": {"name": "queue-master"}})})
    assert "svc:sock-shop:front-end" not in lock_keys(other, inv, "blast-radius")
    assert take(deps.store, "bbbb0001", lock_keys(other, inv, "blast-radius"), holder.model_copy(update={"run_id": "bbbb0001"})) is None
    clash = take(deps.store, "cccc0001", keys, holder.model_copy(update={"run_id": "cccc0001"}))
    assert clash is not None and "in use by run aaaa0001" in clash
