"""policy.engine_retention on the twin: `recover` deletes the agent's ended engines past the
retention with the pods and ChaosResult Litmus labelled chaosUID=<engine uid>, through the real
kubernetes client; everything else (younger, live runs, other engines, other pods) stays."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer
from kubernetes import client
from langgraph.checkpoint.memory import InMemorySaver
from typer.testing import CliRunner

from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from graphs.recovery import recover
from tests.integration.test_cluster_faults import deps as deps  # noqa: F401 - the fixture
from tests.integration.test_cluster_faults import twin as twin  # noqa: F401 - the fixture
from tests.integration.test_recovery import TWIN, deps_for, orphan
from twin import TwinServer

NS = "sock-shop"
DAY = 86_400
LITMUS = ("litmuschaos.io", "v1alpha1")


def _api(twin: TwinServer) -> tuple[client.CoreV1Api, client.CustomObjectsApi]:
    api = client.ApiClient(client.Configuration(host=twin.url))
    return client.CoreV1Api(api), client.CustomObjectsApi(api)


def _litmus_pods(core: client.CoreV1Api, engine: str, uid: str) -> list[str]:
    """What the operator and litmus-go leave with jobCleanUpPolicy: retain (the twin emulates them)."""
    pods = core.list_namespaced_pod(NS, label_selector=f"chaosUID={uid}").items
    assert {p.metadata.labels.get("app.kubernetes.io/component") for p in pods} == {"chaos-runner", "experiment-job"}
    assert {p.status.phase for p in pods} == {"Succeeded"}
    return _names(pods)


def _ended(deps: Deps, run_id: str, core: client.CoreV1Api) -> str:
    orphan(deps, run_id)
    deps.clock.sleep(120)  # the operator completes it (30 s of chaos)
    [engine] = [e for e in deps.cluster.list_engines(NS) if e.name == f"ca-{run_id}"]
    assert engine.engine_status == "completed"
    _litmus_pods(core, engine.name, engine.uid)
    return engine.uid


def _names(items: list[Any]) -> list[str]:
    return sorted(i["metadata"]["name"] if isinstance(i, dict) else i.metadata.name for i in items)


def test_an_ended_engine_past_the_retention_goes_with_its_chaos_pods_and_result(deps: Deps, twin: TwinServer) -> None:
    core, custom = _api(twin)
    saver = InMemorySaver()
    graph = build(saver)
    uid = _ended(deps, "old00001", core)
    chaos_pods = _litmus_pods(core, "ca-old00001", uid)
    core.create_namespaced_pod(NS, {"metadata": {"name": "someone-elses", "labels": {"chaosUID": "another-engine"}},
                                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    assert recover(graph, saver, deps_for(deps), TWIN) == []  # ended 90 s ago: kept a day
    deps.clock.sleep(DAY)
    planned = recover(graph, saver, deps_for(deps), TWIN, dry_run=True)
    assert [f.action for f in planned] == ["would delete it with its chaos pods and ChaosResults"]
    assert [e.name for e in deps.cluster.list_engines(NS)] == ["ca-old00001"]  # the dry run changed nothing

    [done] = recover(graph, saver, deps_for(deps), TWIN)
    assert done.run_id == "old00001" and done.action == "deleted it, with 2 chaos pods and 1 ChaosResult"
    assert "ended (completed) 24h1m" in done.found and "longer than policy.engine_retention 24h" in done.found
    assert deps.cluster.list_engines(NS) == []
    assert core.list_namespaced_pod(NS, label_selector=f"chaosUID={uid}").items == []
    assert _names(core.list_namespaced_pod(NS, label_selector="chaosUID").items) == ["someone-elses"]
    assert custom.list_namespaced_custom_object(*LITMUS, NS, "chaosresults")["items"] == []
    audited = [(e.action, e.what.split(" of ")[0], e.result) for e in deps.audit.entries("old00001")
               if e.action in ("engine_delete", "leftover_delete")]
    deleted = {what for _, what, result in audited if result == "ok"}
    [experiment_pod] = [n for n in chaos_pods if n != "ca-old00001-runner"]
    assert deleted == {"ChaosEngine sock-shop/ca-old00001 (uid " + uid + ")", "Pod sock-shop/ca-old00001-runner",
                       f"Pod sock-shop/{experiment_pod}", "ChaosResult sock-shop/ca-old00001-pod-delete"}
    assert [r for _, _, r in audited].count("started") == 4  # each one before it was sent
    assert recover(graph, saver, deps_for(deps), TWIN) == []  # nothing left


def test_engines_of_live_runs_others_engines_and_retention_off_are_kept(deps: Deps, twin: TwinServer) -> None:
    core, custom = _api(twin)
    saver = InMemorySaver()
    graph = build(saver)
    runner.start(graph, deps, run_id="wait0001", count=1, cluster=TWIN)  # paused: waiting for approval
    _ended(deps, "wait0001", core)  # (an engine of its name: the run still owns it)
    _ended(deps, "done0001", core)
    foreign = {"apiVersion": "litmuschaos.io/v1alpha1", "kind": "ChaosEngine",
               "metadata": {"name": "ca-foreign1", "namespace": NS},  # named like ours, not labelled
               "spec": {"engineState": "stop", "appinfo": {"appns": NS, "applabel": "name=carts", "appkind": "deployment"},
                        "chaosServiceAccount": "litmus-admin", "experiments": [{"name": "pod-delete"}]}}
    custom.create_namespaced_custom_object(*LITMUS, NS, "chaosengines", foreign)
    deps.clock.sleep(2 * DAY)
    off = replace(deps, settings=deps.settings.model_copy(update={
        "policy": deps.settings.policy.model_copy(update={"engine_retention": 0})}))
    assert [f.found for f in recover(graph, saver, deps_for(off), TWIN)] == ["waiting for approval"]
    found = recover(graph, saver, deps_for(deps), TWIN)
    assert [(f.run_id, f.action.split(",")[0]) for f in found] == [("wait0001", "nothing to do: answer it with python -m agent resume"),
                                                                   ("done0001", "deleted it")]
    assert [e.name for e in deps.cluster.list_engines(NS)] == ["ca-wait0001"]
    left = custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines")["items"]
    assert _names(left) == ["ca-foreign1", "ca-wait0001"]


def test_recover_says_what_the_retention_is(tmp_path: Path) -> None:
    from agent.cli.recover import recover as command

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "stack.yaml").write_text((root / "stack.yaml").read_text() + "\n", encoding="utf-8")
    app = typer.Typer(add_completion=False)
    app.command()(command)
    said = CliRunner().invoke(app, ["--config", str(tmp_path / "stack.yaml"), "--twin", "--dry-run"],
                              env={"CHAOS_ADVISOR_POLICY__ENGINE_RETENTION": "90m"})
    assert said.exit_code == 0, said.output
    assert "Retention: ended engines older than 1h30m are deleted with their chaos pods and ChaosResults" in said.output
