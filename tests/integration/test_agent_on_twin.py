"""The agent's own adapters and graph against the twin, through the real kubernetes client."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.runtime import Runtime

from agent.design.planner import PlannerDesigner
from agent.design.policy import check
from agent.engines.litmus import render
from agent.errors import DryRunFailed, NotFound
from agent.inventory.discovery import discover
from agent.models import (
    AbortThreshold,
    Decision,
    Fault,
)
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from graphs.nodes.execute import execute
from tests.factories import OneSpec, catalogue_delete, lenient


def decide(deps: Deps, choice: int | None) -> Decision:
    verdict = "approve" if choice else "reject"
    return Decision(verdict=verdict, choice=choice, approver="tester", channel="cli", at=deps.clock.now())  # type: ignore[arg-type]


def run_to_end(deps: Deps, run_id: str = "t0000001") -> runner.RunView:
    graph = build(InMemorySaver())
    paused = runner.start(graph, deps, run_id=run_id, count=3, cluster={"twin": True})
    assert paused.waiting is not None
    return runner.resume(graph, deps, run_id, decide(deps, 1))


def engines(deps: Deps) -> list[dict[str, object]]:
    from kubernetes import client

    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
    items: list[dict[str, object]] = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")["items"]
    return items


def test_discovery_finds_the_upstream_sock_shop(deps: Deps) -> None:
    inv = discover(deps)
    assert sum(w.kind == "Deployment" for w in inv.workloads) == 14
    assert len(inv.services) == 14
    assert all(t.workload is not None and len(t.pods) == 1 for t in inv.targets)
    front = inv.target("front-end")
    assert front and front.workload and front.workload.labels == {}  # upstream: no Deployment labels
    catalogue = inv.target("catalogue")
    assert catalogue and catalogue.workload
    assert catalogue.workload.containers[0].readiness and catalogue.workload.containers[0].readiness.initial_delay_s == 180
    assert catalogue.workload.containers[0].cpu_limit_m == 200
    assert catalogue.workload.containers[0].memory_limit_mib == 200
    assert "pod-delete" in inv.litmus.experiments["sock-shop"]
    assert "chaosengines.litmuschaos.io" in inv.litmus.crds


def test_planner_candidates_pass_the_policy_on_the_real_inventory(deps: Deps) -> None:
    inv = discover(deps)
    cands = PlannerDesigner(actions=deps.settings.policy.actions).rank(inv, 6)
    assert len({c.spec.action for c in cands}) >= 5  # varied
    for c in cands:
        check(c.spec, inv, deps.settings.policy)
    # Upstream facts the planner must see: 500 MB (Litmus default) > 200Mi limit of payment/user/
    # catalogue means an OOM kill; the single-replica MongoDB behind carts has the widest reach.
    assert cands[0].spec.title == "carts-db pod delete"
    hog = next(c.spec for c in cands if c.spec.action == Fault.POD_MEMORY_HOG)
    assert "500 MB against a 200 MiB limit: an OOM kill" in hog.rationale


def test_dry_run_stores_nothing_and_an_invalid_engine_fails_it(deps: Deps) -> None:
    manifest = render(catalogue_delete(50), run_id="dry00001", service_account="litmus-admin", cleanup="retain")
    deps.cluster.apply_engine(manifest, dry_run=True)
    assert deps.cluster.find_engine("sock-shop", manifest.name) is None
    bad = manifest.model_copy(update={"appkind": "cronjob"})
    with pytest.raises(DryRunFailed, match="appkind"):
        deps.cluster.apply_engine(bad, dry_run=True)
    gone = manifest.model_copy(update={"namespace": "nowhere", "appns": "nowhere"})
    with pytest.raises(NotFound):
        deps.cluster.apply_engine(gone, dry_run=True)


def test_full_run_completes_and_execute_is_idempotent(deps: Deps) -> None:
    view = run_to_end(deps)
    state = view.state
    assert state["outcome"] == "completed"
    kinds = [e["kind"] for e in state["events"]]
    assert kinds.count("applied") == 1 and "completed" in kinds and "recovered" in kinds
    assert [e["metadata"]["name"] for e in engines(deps)] == ["ca-t0000001"]
    # A repeated execute (a crash before its checkpoint) finds the engine instead of creating one.
    again = execute(state, Runtime(context=deps))
    assert [e["kind"] for e in again["events"]] == ["engine_found"]
    assert len(engines(deps)) == 1
    assert Path(state["report_path"]).exists()


def test_breach_aborts_with_engine_state_stop(deps: Deps) -> None:
    deps = replace(deps, designer=OneSpec(catalogue_delete(max_front_end_errors=5)))
    state = run_to_end(deps, "t0000002").state
    assert state["outcome"] == "aborted"
    assert state["reason"].startswith("front-end error rate")
    kinds = [e["kind"] for e in state["events"]]
    assert kinds.index("threshold_breached") < kinds.index("abort_requested") < kinds.index("stopped")
    [engine] = engines(deps)
    assert engine["spec"]["engineState"] == "stop"  # type: ignore[index]
    assert state["engine_status"]["verdict"] == "Stopped"
    report = Path(state["report_path"]).read_text()
    assert "| Status | aborted — front-end error rate" in report


def test_rejection_applies_nothing(deps: Deps) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="t0000004", count=3, cluster={"twin": True})
    state = runner.resume(graph, deps, "t0000004", decide(deps, None)).state
    assert state["outcome"] == "rejected"
    assert engines(deps) == []


def test_steady_state_precheck_refuses_a_system_already_breaching(deps: Deps) -> None:
    from agent.models import AbortCondition

    spec = catalogue_delete(90).model_copy(update={"abort_threshold": AbortThreshold(
        service="front-end", conditions=[AbortCondition(signal="latency_p95_ms", op=">", value=1.0, service="front-end")],
    )})
    state = run_to_end(replace(lenient(deps), designer=OneSpec(spec)), "t0000005").state
    assert state["outcome"] == "failed"
    assert state["reason"].startswith("steady state already breaches the abort threshold before any chaos (front-end p95")
    assert engines(deps) == []


def test_missing_chaos_experiment_says_what_to_install_and_applies_nothing(deps: Deps) -> None:
    from kubernetes import client

    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
    api.delete_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosexperiments", "pod-delete")
    state = run_to_end(replace(lenient(deps), designer=OneSpec(catalogue_delete(90))), "t0000006").state
    assert state["outcome"] == "failed"
    assert "ChaosExperiment 'pod-delete' is not installed in namespace sock-shop" in state["reason"]
    assert "faults/kubernetes/pod-delete/fault.yaml" in state["reason"]
    assert engines(deps) == []
