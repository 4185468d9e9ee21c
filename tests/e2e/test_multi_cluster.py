"""Two clusters at once (issue 20, point 3): two Sock Shop twins behind one kubeconfig with two
contexts, one stack.yaml listing both (``clusters:``), through the real CLI and the real
``kubernetes`` client. Twin A serves Sock Shop in ``sock-shop``, twin B a second install in
``shop-b``; each cluster allows only its own namespace.

- ``inventory`` lists both side by side (``-o json``: one entry per cluster).
- ``suggest`` ranks the candidates of both in one list; every spec names its cluster.
- A run on cluster B applies its ChaosEngine on twin B only; its run record, report and every
  audit entry name cluster B.
- The policy applies per cluster: a spec for ``sock-shop`` sent to cluster B is refused.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from rich.console import Console

from agent.adapters.twin import TwinClock, TwinMetrics, stack_exports
from agent.config import load_settings
from agent.models import Decision
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import build
from tests.integration.prometheus_fixture import free_port
from twin import DEFAULT_MANIFESTS, TwinServer

ROOT = Path(__file__).resolve().parents[2]
LITMUS = ("litmuschaos.io", "v1alpha1")
START = 1_800_000_000.0
CLUSTERS = """
clusters:
  - name: a
    context: ctx-a
    kubeconfig: kubeconfig
    namespaces: [sock-shop]
  - name: b
    context: ctx-b
    kubeconfig: kubeconfig
    namespaces: [shop-b]
"""


@dataclass
class Two:
    workdir: Path
    a: TwinServer
    b: TwinServer

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agent", *args, "--config", str(self.workdir / "stack.yaml")],
                              cwd=self.workdir, env=os.environ | {"COLUMNS": "200"}, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=240)

    def engines(self, twin: TwinServer, namespace: str) -> list[str]:
        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=twin.url)))
        found: Any = api.list_namespaced_custom_object(*LITMUS, namespace, "chaosengines")
        return [e["metadata"]["name"] for e in found["items"]]


@pytest.fixture
def two(tmp_path: Path) -> Iterator[Two]:
    shop_b = tmp_path / "shop-b.yaml"  # a second Sock Shop install, in its own namespace
    shop_b.write_text(DEFAULT_MANIFESTS[0].read_text(encoding="utf-8").replace("sock-shop", "shop-b"), encoding="utf-8")
    with TwinServer(tmp_path / "a.json", start_time=START) as a, \
            TwinServer(tmp_path / "b.json", [shop_b], start_time=START) as b:
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "ctx-a", "users": [{"name": "me", "user": {}}],
            "clusters": [{"name": n, "cluster": {"server": t.url}} for n, t in (("twin-a", a), ("twin-b", b))],
            "contexts": [{"name": f"ctx-{n}", "context": {"cluster": f"twin-{n}", "user": "me"}} for n in "ab"]}))
        (tmp_path / "stack.yaml").write_text((ROOT / "stack.yaml").read_text(encoding="utf-8") + CLUSTERS, encoding="utf-8")
        yield Two(tmp_path, a, b)


def test_inventory_lists_both_clusters_side_by_side(two: Two) -> None:
    table = two.cli("inventory")
    assert table.returncode == 0, table.stdout + table.stderr
    assert "cluster a" in table.stdout and "cluster b" in table.stdout
    assert two.a.url in table.stdout and two.b.url in table.stdout
    done = two.cli("inventory", "-o", "json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["clusters"]
    assert [(c["cluster"], c["context"], c["inventory"]["cluster"]) for c in found] == [
        ("a", "ctx-a", two.a.url), ("b", "ctx-b", two.b.url)]
    assert {t["namespace"] for t in found[0]["inventory"]["targets"]} == {"sock-shop"}
    assert {t["namespace"] for t in found[1]["inventory"]["targets"]} == {"shop-b"}
    only_b = json.loads(two.cli("inventory", "--context", "b", "-o", "json").stdout)
    assert only_b["cluster"] == two.b.url  # one cluster: the inventory itself, as without clusters:


def test_suggest_ranks_across_both_clusters_and_each_spec_names_its_cluster(two: Two) -> None:
    done = two.cli("suggest", "-n", "8", "-o", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    candidates = json.loads(done.stdout)["candidates"]
    assert [c["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores, reverse=True)
    clusters = [c["spec"]["cluster"] for c in candidates]
    assert set(clusters) == {"a", "b"}
    for c in candidates:
        assert c["spec"]["target_selector"]["namespace"] == {"a": "sock-shop", "b": "shop-b"}[c["spec"]["cluster"]]
        saved = json.loads(Path(c["saved_path"]).read_text(encoding="utf-8"))
        assert saved["cluster"] == c["spec"]["cluster"] and Path(c["saved_path"]).name.startswith(f"{saved['cluster']}-")
    assert len({c["saved_path"] for c in candidates}) == len(candidates)  # the same idea on two clusters: two files


def test_a_spec_is_refused_on_a_cluster_whose_policy_does_not_allow_its_namespace(two: Two) -> None:
    done = two.cli("suggest", "-n", "1", "--context", "a", "-o", "json")
    assert done.returncode == 0, done.stderr
    path = Path(json.loads(done.stdout)["candidates"][0]["saved_path"])
    spec = json.loads(path.read_text(encoding="utf-8"))
    assert spec["cluster"] == "a" and spec["target_selector"]["namespace"] == "sock-shop"
    moved = path.with_name("moved.json")
    moved.write_text(json.dumps(spec | {"cluster": "b"}), encoding="utf-8")
    refused = two.cli("run", str(moved), "--yes")
    assert refused.returncode == 6, refused.stdout + refused.stderr
    assert "namespace 'sock-shop' is not allowed on cluster b (allowed: shop-b)" in refused.stdout
    unknown = path.with_name("unknown.json")
    unknown.write_text(json.dumps(spec | {"cluster": "c"}), encoding="utf-8")
    bad = two.cli("run", str(unknown), "--yes")
    assert bad.returncode == 1 and "no such cluster" in bad.stdout and "known: a, b" in bad.stdout, bad.stdout
    clash = two.cli("run", str(path), "--context", "b", "--yes")
    assert clash.returncode == 2 and "names cluster 'a', not 'b'" in clash.stderr, clash.stdout + clash.stderr
    assert two.engines(two.a, "sock-shop") == [] and two.engines(two.b, "shop-b") == []


def test_a_run_on_cluster_b_applies_on_twin_b_only_and_records_its_cluster(two: Two) -> None:
    settings = load_settings(two.workdir / "stack.yaml")
    binding = ClusterBinding(cluster="b")  # what --context b gives run-graph
    exports = stack_exports(load_settings(ROOT / "stack.yaml"))  # the same app: Sock Shop's metrics
    with open_checkpointer(settings) as saver, open_deps(settings, binding, console=Console(file=io.StringIO())) as deps:
        # The cluster path reads Prometheus; here each cluster's signals are its twin's model
        # (what a real install measures), on its virtual clock.
        deps = replace(deps, metrics=TwinMetrics(two.b.url, exports=exports), clock=TwinClock(two.b.url, speed=None),
                       metrics_source=f"twin model ({two.b.url})")
        graph = build(saver)
        view = runner.start(graph, deps, run_id="b0000001", count=1, cluster=binding.model_dump(mode="json"))
        assert view.waiting is not None
        decision = Decision(verdict="approve", choice=1, approver="tester", channel="cli", at=deps.clock.now())
        state = runner.resume(graph, deps, "b0000001", decision).state
    assert state["outcome"] in ("completed", "aborted"), state.get("reason")
    assert two.engines(two.b, "shop-b") == ["ca-b0000001"] and two.engines(two.a, "sock-shop") == []
    runs = json.loads(two.cli("runs", "-o", "json").stdout)
    assert [(r["run_id"], r["cluster"]) for r in runs] == [("b0000001", "b")]
    audit = json.loads(two.cli("audit", "b0000001", "-o", "json").stdout)
    assert audit and {e["cluster"] for e in audit} == {"b"}
    assert {"engine_dry_run", "engine_apply"} <= {e["action"] for e in audit}
    report = Path(str(state["report_path"]))
    assert "| Cluster | b |" in report.read_text(encoding="utf-8")
    sidecar = json.loads(report.with_suffix(".json").read_text(encoding="utf-8"))
    print("TL;DR (cluster b):", sidecar["tldr"])
    mismatch = two.cli("status", "b0000001", "--context", "a")
    assert mismatch.returncode == 2 and "ran on cluster 'b'" in mismatch.stdout + mismatch.stderr


def test_one_cluster_down_leaves_it_out_and_says_so_and_the_other_is_still_shown(two: Two) -> None:
    kubeconfig = yaml.safe_load((two.workdir / "kubeconfig").read_text())
    for c in kubeconfig["clusters"]:
        if c["name"] == "twin-b":
            c["cluster"]["server"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    (two.workdir / "kubeconfig").write_text(yaml.safe_dump(kubeconfig))

    shown = two.cli("inventory", "-o", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    found = json.loads(shown.stdout)
    assert [c["cluster"] for c in found["clusters"]] == ["a"]
    [missed] = found["unreached"]
    assert (missed["cluster"], missed["context"]) == ("b", "ctx-b") and "127.0.0.1" in missed["error"]
    assert "warning: cluster b not reached (" in shown.stderr and "--context b tries it alone" in shown.stderr

    suggested = two.cli("suggest", "-n", "4", "-o", "json", "--dry-run")
    assert suggested.returncode == 0, suggested.stdout + suggested.stderr
    design = json.loads(suggested.stdout)
    assert {c["spec"]["cluster"] for c in design["candidates"]} == {"a"} and design["candidates"]
    assert "cluster b not reached (" in design["notice"] and "--context b tries it alone" in design["notice"]

    alone = two.cli("inventory", "--context", "b")  # asked for by name: its failure is the command's
    assert alone.returncode == 1 and "127.0.0.1" in alone.stdout + alone.stderr


def test_doctor_checks_every_cluster_or_the_context_one(two: Two) -> None:
    both = two.cli("doctor", "-o", "json")
    found = json.loads(both.stdout)
    assert [(c["cluster"], c["report"]["cluster"]) for c in found["clusters"]] == [("a", two.a.url), ("b", two.b.url)]
    for c in found["clusters"]:  # each cluster's own API and Litmus answered
        checks = {x["name"]: x["status"] for x in c["report"]["checks"]}
        assert checks["api"] == checks["litmus-crds"] == "ok", c
    assert both.returncode == (0 if found["ready"] else 1)
    table = two.cli("doctor")
    assert "cluster a" in table.stdout and "cluster b" in table.stdout
    assert f"Checking {two.a.url}" in table.stdout and f"Checking {two.b.url}" in table.stdout
    only_b = two.cli("doctor", "--context", "b", "-o", "json")
    assert json.loads(only_b.stdout)["cluster"] == two.b.url  # one cluster: its report itself


def test_chat_works_on_the_context_cluster(two: Two) -> None:
    said = subprocess.run([sys.executable, "-m", "agent", "chat", "--context", "b", "--config", str(two.workdir / "stack.yaml")],
                          cwd=two.workdir, env=os.environ | {"COLUMNS": "200"}, input="/inventory\n/quit\n",
                          capture_output=True, text=True, timeout=240)
    assert said.returncode == 0, said.stdout + said.stderr
    assert "shop-b" in said.stdout and "sock-shop" not in said.stdout.replace("sock-shop twin", ""), said.stdout
    wrong = subprocess.run([sys.executable, "-m", "agent", "chat", "--context", "c", "--config", str(two.workdir / "stack.yaml")],
                           cwd=two.workdir, input="/quit\n", capture_output=True, text=True, timeout=240)
    assert wrong.returncode == 2 and "no such cluster" in wrong.stdout + wrong.stderr  # as every --context
