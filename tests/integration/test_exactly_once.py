"""Concurrent answers to one approval resume the run once: exactly one ChaosEngine."""

from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import pytest
from rich.console import Console

from agent.config import load_settings
from agent.errors import ApprovalError
from agent.models import Decision
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import build

ROOT = Path(__file__).resolve().parents[2]


def test_fifty_concurrent_approvals_create_one_engine(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            paused = runner.start(build(saver), deps, run_id="once0001", count=2, cluster={"twin": True})
        assert paused.interrupt_id
        results: list[str] = []
        lock = threading.Lock()
        go = threading.Event()

        def click(i: int) -> None:
            decision = Decision(verdict="approve", choice=1, approver=f"u{i}", channel="cli", at=deps.clock.now())
            go.wait()
            with open_checkpointer(settings) as own:  # each "process" its own connection
                try:
                    runner.resume(build(own), deps, "once0001", decision, interrupt_id=paused.interrupt_id)
                    outcome = "resumed"
                except ApprovalError as e:
                    outcome = str(e)
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=click, args=(i,)) for i in range(50)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(timeout=120)
        from kubernetes import client

        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
        items = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")["items"]
    assert results.count("resumed") == 1
    assert len(results) == 50
    assert all("nothing changed" in r for r in results if r != "resumed")
    assert [e["metadata"]["name"] for e in items] == ["ca-once0001"]


def test_a_decision_for_a_stale_interrupt_changes_nothing(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            graph = build(saver)
            runner.start(graph, deps, run_id="once0002", count=2, cluster={"twin": True})
            d = Decision(verdict="approve", choice=1, approver="u", channel="cli", at=deps.clock.now())
            with pytest.raises(ApprovalError, match="no longer pending"):
                runner.resume(graph, deps, "once0002", d, interrupt_id="not-the-one")
            assert runner.view(graph, "once0002").waiting is not None
