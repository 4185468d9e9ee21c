"""The agent checks for itself, on the twin through the real kubernetes client, that the fault took
effect and that its chaos was cleaned up (graphs.nodes.verify); time is the twin's virtual clock."""

from __future__ import annotations

import urllib.request
from dataclasses import replace
from pathlib import Path

from kubernetes import client
from langgraph.runtime import Runtime

from agent.models import CleanupResult, EffectResult
from agent.models.verify import PodsBefore
from agent.ports import Deps
from graphs.nodes.narrate import narrate
from graphs.nodes.verify import verify
from tests.factories import OneSpec, catalogue_delete
from tests.integration.test_agent_on_twin import run_to_end

NS = "sock-shop"


def core(deps: Deps) -> client.CoreV1Api:
    return client.CoreV1Api(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]


def report(state: dict[str, object]) -> str:
    return Path(str(state["report_path"])).read_text(encoding="utf-8")


def test_pod_delete_effect_is_seen_as_new_uids_and_cleanup_verified_after_complete(deps: Deps) -> None:
    view = run_to_end(deps, "e0000001")
    assert view.state["outcome"] == "completed"
    effect = deps.store.load("e0000001", "effect", EffectResult)
    before = deps.store.load("e0000001", "pods_before", PodsBefore).pods
    assert effect.observed and effect.kind == "replaced" and len(effect.checks) >= 3
    spec_labels = {"name": before[0].labels["name"]}
    now = core(deps).list_namespaced_pod(NS, label_selector=f"name={spec_labels['name']}").items
    assert {p.metadata.uid for p in now}.isdisjoint({p.uid for p in before})  # replaced, as the checks said
    assert (effect.checks[-1].at - effect.checks[0].at).total_seconds() >= deps.settings.monitor.effect_window_s
    cleanup = deps.store.load("e0000001", "cleanup", CleanupResult)
    assert cleanup.verified and cleanup.leftovers == []
    text = report(view.state)
    assert "| Effect | observed at T+" in text and "pods replaced" in text
    assert "| Cleanup | Cleanup verified at T+" in text


def test_a_broken_engine_makes_the_run_inconclusive_with_the_effect_line(deps: Deps) -> None:
    request = urllib.request.Request(f"{deps.cluster.server}/twin/v1/litmus/broken", data=b'{"broken": true}',  # type: ignore[attr-defined]
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
    # No Litmus probes here: a Continuous httpProbe on front-end can meet one of its baseline 500s
    # (0.3 %), and the engine's word would then be Fail; this test is about a Pass that proves nothing.
    litmus = deps.settings.litmus.model_copy(update={"probes": False})
    deps = replace(deps, settings=deps.settings.model_copy(update={"litmus": litmus}))
    view = run_to_end(deps, "e0000002")
    state = view.state
    assert state["engine_status"]["verdict"] == "Pass"  # the engine's word
    assert state["outcome"] == "inconclusive"
    assert state["reason"].startswith("inconclusive: the fault had no observable effect")
    text = report(state)
    assert "| Effect | inconclusive: the fault had no observable effect; checked target pods replaced" in text
    assert "Inconclusive: the fault had no observable effect" in text
    assert "| Status | completed" not in text


def test_cleanup_is_verified_after_an_abort(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(max_front_end_errors=5)))
    view = run_to_end(deps, "e0000003")
    assert view.state["outcome"] == "aborted"
    cleanup = deps.store.load("e0000003", "cleanup", CleanupResult)
    assert cleanup.verified, cleanup.leftovers
    uid = view.state["engine"]["uid"]
    assert core(deps).list_namespaced_pod(NS, label_selector=f"chaosUID={uid}").items == []  # the abort removed them
    assert "| Cleanup | Cleanup verified at T+" in report(view.state)


def test_a_runner_pod_left_behind_is_listed(deps: Deps) -> None:
    view = run_to_end(deps, "e0000004")
    state = dict(view.state)
    engine = state["engine"]
    core(deps).create_namespaced_pod(NS, {  # a runner the operator never cleaned up (still running)
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "ca-e0000004-runner-stale", "labels": {"chaosUID": engine["uid"]}},  # type: ignore[index]
        "spec": {"containers": [{"name": "chaos-runner", "image": "litmuschaos/chaos-runner:3.18.0"}]},
    })
    monitor = deps.settings.monitor.model_copy(update={"cleanup_timeout_s": 6.0})
    quick = replace(deps, settings=deps.settings.model_copy(update={"monitor": monitor}))
    started = quick.clock.now()
    verify(state, Runtime(context=quick))  # type: ignore[arg-type]
    waited = (quick.clock.now() - started).total_seconds()
    assert waited >= 6.0  # it kept checking for the whole timeout before giving up
    cleanup = deps.store.load("e0000004", "cleanup", CleanupResult)
    assert not cleanup.verified
    assert [x for x in cleanup.leftovers if "ca-e0000004-runner-stale" in x]
    narrate(state, Runtime(context=quick))  # type: ignore[arg-type]
    text = report(state)
    assert "| Cleanup | NOT verified at T+" in text and "ca-e0000004-runner-stale" in text
