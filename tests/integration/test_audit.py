"""The append-only audit log on the twin: every decision and every cluster write, in order.

Runs the graph through the real wiring (open_deps: the file audit log and the audited cluster on
the twin), then the CLI in subprocesses for the cross-process and `audit RUN` checks.
"""

from __future__ import annotations

import getpass
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.adapters.audit_file import FileAuditLog
from agent.config import Settings
from agent.engines.litmus import ChaosEngineManifest
from agent.errors import ApprovalError
from agent.models import AuditEntry
from agent.ports import Deps
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete, lenient
from tests.integration.test_agent_on_twin import decide, engines, run_to_end

ROOT = Path(__file__).resolve().parents[2]


def actions(entries: list[AuditEntry]) -> list[str]:
    """The actions in order, repeats collapsed (a stop is re-sent each tick until it took)."""
    out: list[str] = []
    for e in entries:
        if not out or out[-1] != e.action:
            out.append(e.action)
    return out


def test_a_breached_run_logs_decision_dry_run_apply_stop_outcome_in_order(deps: Deps, settings: Settings) -> None:
    assert settings.litmus.job_cleanup_policy == "retain"  # stack.yaml's setting: keep the evidence
    deps = replace(deps, designer=OneSpec(catalogue_delete(max_front_end_errors=5)))
    state = run_to_end(deps, "aud00001").state
    assert state["outcome"] == "aborted"
    logged = FileAuditLog(settings.path(settings.paths.state_dir) / "audit.jsonl").entries("aud00001")
    assert actions(logged) == ["decision", "engine_dry_run", "engine_apply", "engine_stop", "run_outcome"]
    assert {e.run_id for e in logged} == {"aud00001"}
    # Each cluster write twice: "started" before it is sent, then how it ended.
    writes = [(e.action, e.result) for e in logged if e.action.startswith("engine_")]
    assert writes == [("engine_dry_run", "started"), ("engine_dry_run", "ok"), ("engine_apply", "started"),
                      ("engine_apply", "ok"), ("engine_stop", "started"), ("engine_stop", "ok")]
    assert all(e.result == "ok" for e in logged if not e.action.startswith("engine_"))
    decision = logged[0]
    assert (decision.who, decision.channel) == ("tester", "cli")
    assert decision.what == "approve #1 'Catalogue pod delete'"
    assert all(e.who == "agent" for e in logged[1:])
    apply = next(e for e in logged if e.action == "engine_apply")
    assert "sock-shop/ca-aud00001" in apply.what and "jobCleanUpPolicy retain" in apply.what
    assert logged[-1].what.startswith("aborted: front-end error rate")
    # Both clocks: wall-clock UTC never goes back; the run's (virtual) clock is recorded beside it.
    assert [e.at for e in logged] == sorted(e.at for e in logged)
    assert all(e.at.utcoffset() is not None and e.run_at is not None for e in logged)
    # Evidence survives the abort: the engine (kept, retain), its samples and the report.
    [engine] = engines(deps)
    assert engine["spec"]["engineState"] == "stop"  # type: ignore[index]
    assert engine["spec"]["jobCleanUpPolicy"] == "retain"  # type: ignore[index]
    assert deps.store.load("aud00001", "manifest", ChaosEngineManifest).cleanup == "retain"
    samples = deps.store.samples("aud00001")
    assert len(samples) > 6 and samples[-1].tick > 0  # baseline and monitor ticks
    report = Path(state["report_path"])
    assert report.exists() and report.with_suffix(".json").exists()
    assert "| Status | aborted" in report.read_text()


def test_the_engine_uses_the_configured_cleanup_policy(deps: Deps, settings: Settings) -> None:
    litmus = settings.litmus.model_copy(update={"job_cleanup_policy": "delete"})
    deps = replace(deps, settings=settings.model_copy(update={"litmus": litmus}))
    run_to_end(replace(lenient(deps), designer=OneSpec(catalogue_delete(90))), "aud00002")
    assert engines(deps)[0]["spec"]["jobCleanUpPolicy"] == "delete"  # type: ignore[index]


def test_a_rejected_run_logs_the_decision_and_no_cluster_write(deps: Deps) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="aud00003", count=3, cluster={"twin": True})
    runner.resume(graph, deps, "aud00003", decide(deps, None))
    logged = deps.audit.entries("aud00003")
    assert [e.action for e in logged] == ["decision", "run_outcome"]
    assert (logged[0].who, logged[0].what, logged[0].result) == ("tester", "reject", "ok")
    assert logged[1].what.startswith("rejected: rejected by cli:tester")
    assert engines(deps) == []


def test_refused_answers_are_logged_as_refused(deps: Deps) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="aud00004", count=3, cluster={"twin": True})
    outsider = decide(deps, 1).model_copy(update={"channel": "slack", "approver": "U0NOTALLOWED"})
    with pytest.raises(ApprovalError):
        runner.resume(graph, deps, "aud00004", outsider)
    with pytest.raises(ApprovalError, match="no longer pending"):
        runner.resume(graph, deps, "aud00004", decide(deps, 1), interrupt_id="stale")
    runner.resume(graph, deps, "aud00004", decide(deps, None))
    with pytest.raises(ApprovalError, match="not waiting"):  # a duplicate: the run was answered
        runner.resume(graph, deps, "aud00004", decide(deps, 1).model_copy(update={"approver": "late"}))
    logged = deps.audit.entries("aud00004")
    assert [(e.action, e.who) for e in logged] == [
        ("decision_refused", "U0NOTALLOWED"),
        ("decision_refused", "tester"),
        ("decision", "tester"),
        ("run_outcome", "agent"),
        ("decision_refused", "late"),
    ]
    assert logged[0].channel == "slack" and logged[0].result.startswith("refused: ")
    assert "no longer pending" in logged[1].result and "not waiting" in logged[4].result
    assert engines(deps) == []


def test_concurrent_writers_append_whole_lines(tmp_path: Path) -> None:
    log = FileAuditLog(tmp_path / "audit.jsonl")

    def write(i: int) -> None:
        for j in range(50):
            log.record(AuditEntry(run_id=f"r{i}", who="agent", action="engine_stop", what=f"{j} " + "x" * 500))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 400 and all(json.loads(line)["who"] == "agent" for line in lines)
    assert [int(e.what.split()[0]) for e in log.entries("r3")] == list(range(50))


def test_the_cli_appends_across_processes_and_audit_shows_a_run(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "250"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agent", *args, "--config", str(tmp_path / "stack.yaml")],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240,
        )

    audit = tmp_path / ".chaos-advisor" / "audit.jsonl"
    first = cli("run-graph", "--twin")
    run_id = re.search(r"resume (\w+) --approve N", first.stdout).group(1)  # type: ignore[union-attr]
    assert not audit.exists()  # pausing for approval decides and writes nothing
    resumed = cli("resume", run_id, "--approve", "1")
    assert resumed.returncode == 3, resumed.stderr + resumed.stdout  # ran, and found carts-db's weakness
    after_run = audit.read_bytes()
    again = cli("resume", run_id, "--approve", "1")  # another process answers again: refused
    assert again.returncode == 1 and "nothing changed" in again.stdout
    other = cli("run-graph", "--twin", "--reject")
    assert other.returncode == 6, other.stderr + other.stdout  # rejected
    final = audit.read_bytes()
    assert final.startswith(after_run) and len(final) > len(after_run)  # appended, never rewritten
    logged = FileAuditLog(audit).entries(run_id)
    assert actions(logged)[:3] == ["decision", "engine_dry_run", "engine_apply"]
    assert actions(logged)[-2:] == ["run_outcome", "decision_refused"]
    assert logged[0].who == getpass.getuser()
    assert len({e.run_id for e in FileAuditLog(audit).entries(None)}) == 2

    shown = cli("audit", run_id)
    assert shown.returncode == 0, shown.stderr + shown.stdout
    out = shown.stdout
    assert f"Audit log of run {run_id}" in out
    for action in ("decision", "engine_dry_run", "engine_apply", "run_outcome", "decision_refused"):
        assert action in out
    assert f"cli:{getpass.getuser()}" in out and f"ca-{run_id}" in out
    everything = cli("audit")
    assert everything.returncode == 0 and everything.stdout.count("decision ") >= 2
    assert "No audit entries for run nosuch" in cli("audit", "nosuch").stdout


def test_abort_logs_who_asked_from_where_and_the_stop(deps: Deps) -> None:
    from agent.engines.litmus import render
    from agent.run.abort import abort

    manifest = render(catalogue_delete(90), run_id="aud00005", service_account="litmus-admin", cleanup="retain")
    ref = deps.cluster.apply_engine(manifest, dry_run=False)
    done = abort(deps, "aud00005", ref, "pod-delete", who="oncall", channel="chat", timeout_s=5)
    assert done.patched and done.status is not None and done.status.verdict == "Stopped"
    asked, started, stop = deps.audit.entries("aud00005")[-3:]
    assert (asked.action, asked.who, asked.channel, asked.result) == ("abort_requested", "oncall", "chat", "ok")
    assert (started.action, started.who, started.result) == ("engine_stop", "agent", "started")
    assert (stop.action, stop.who, stop.result) == ("engine_stop", "agent", "ok")


def test_aborting_an_ended_run_logs_the_request_and_writes_nothing(deps: Deps, settings: Settings) -> None:
    from agent.cli.status import abort_run
    from agent.wiring import open_checkpointer

    with open_checkpointer(settings) as saver:
        graph = build(saver)
        runner.start(graph, deps, run_id="aud00006", count=1, cluster={"twin": True})
        runner.resume(graph, deps, "aud00006", decide(deps, 1))
    before = len(deps.audit.entries("aud00006"))
    abort_run(Console(file=io.StringIO()), settings, "aud00006", timeout_s=5, who="oncall")
    [asked] = deps.audit.entries("aud00006")[before:]
    assert (asked.action, asked.who, asked.channel) == ("abort_requested", "oncall", "cli")
    assert asked.result == "already ended: nothing was running"
