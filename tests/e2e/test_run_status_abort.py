"""`run SPEC`, `status` and `abort` across processes, on the twin."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]

LONG_LATENCY = {
    "title": "Carts network latency (long)",
    "description": "Slow carts down for five minutes.",
    "env": "k8s",
    "action": "network-delay",  # the seed's alias of pod-network-latency
    "target_selector": {"service": "carts", "namespace": "sock-shop", "labels": {"name": "carts"}, "kind": "deployment"},
    "parameters": {"duration_s": 300, "network_latency_ms": 500, "jitter_ms": 0},
    "abort_threshold": {"service": "front-end", "error_rate_pct": 50},
    "expected_impact": "carts slower",
    "risk_level": "medium",
    "chaos_engine": "litmus",
}


def write_spec(workdir: Path, spec: dict[str, object]) -> Path:
    path = workdir / "spec.json"
    path.write_text(json.dumps(spec))
    return path


def test_run_a_saved_spec_dry_run_applies_nothing(cli: Cli, workdir: Path) -> None:
    out = cli("run", str(write_spec(workdir, LONG_LATENCY)), "--twin", "--dry-run", "--yes")
    assert out.returncode == 0, out.stderr + out.stdout
    assert "dry_run" in out.stdout
    report = Path(re.search(r"Report: (\S+)", out.stdout).group(1)).read_text()  # type: ignore[union-attr]
    assert not (workdir / "reports" / "latest.md").exists()  # a dry run applied nothing
    assert "dry run: the server accepted the ChaosEngine; nothing was applied" in report


def test_run_refuses_a_spec_outside_the_policy(cli: Cli, workdir: Path) -> None:
    bad = LONG_LATENCY | {"parameters": {"duration_s": 3600, "network_latency_ms": 500}}
    out = cli("run", str(write_spec(workdir, bad)), "--twin", "--yes")
    assert out.returncode == 6  # refused by the policy (agent/report/verdict.py)
    assert "policy.max_duration_s" in out.stdout
    assert "refused" in out.stdout


def test_bad_spec_file_is_one_clear_line(cli: Cli, workdir: Path) -> None:
    bad = LONG_LATENCY | {"action": "drop-table"}
    out = cli("run", str(write_spec(workdir, bad)), "--twin", "--yes")
    assert out.returncode == 1
    assert "spec.json action" in out.stdout and "Traceback" not in out.stdout + out.stderr


def start_run(workdir: Path, spec: Path) -> tuple[subprocess.Popen[str], str]:
    """`run SPEC --yes` in the background, paced at 10x real time so it is still running."""
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "10", "COLUMNS": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", str(spec), "--twin", "--yes", "--config", str(workdir / "stack.yaml")],
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    run_id = re.match(r"Run (\w+):", first)
    assert run_id, first
    return proc, run_id.group(1)


def wait_until_running(cli: Cli, run_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a condition with a deadline, not a timed sleep
        out = cli("status", run_id)
        if "phase" in out.stdout and "running" in out.stdout and "initialized" in out.stdout:
            return out.stdout
    pytest.fail(f"run {run_id} never reached the running phase")


def test_abort_from_another_process_while_the_monitor_runs(cli: Cli, workdir: Path) -> None:
    proc, run_id = start_run(workdir, write_spec(workdir, LONG_LATENCY))
    try:
        status = wait_until_running(cli, run_id)
        assert f"ca-{run_id}" in status and "carts" in status
        out = cli("abort", run_id)
        assert out.returncode == 0, out.stderr + out.stdout
        assert "verdict Stopped" in out.stdout
        rest, _ = proc.communicate(timeout=120)
        assert proc.returncode == 5, rest  # stopped by a person: inconclusive
    finally:
        proc.kill()
    assert "aborted" in rest
    report = (workdir / "reports" / "latest.md").read_text()
    assert "stopped from outside the monitor" in report
    final = cli("status", run_id)
    assert "aborted" in final.stdout and "Stopped" in final.stdout


def test_abort_after_the_agent_process_died(cli: Cli, workdir: Path) -> None:
    proc, run_id = start_run(workdir, write_spec(workdir, LONG_LATENCY))
    try:
        wait_until_running(cli, run_id)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    out = cli("abort", run_id)
    assert out.returncode == 0, out.stderr + out.stdout
    assert "verdict Stopped" in out.stdout


def test_a_dry_run_needs_no_approval(cli: Cli, workdir: Path) -> None:
    out = cli("run", str(write_spec(workdir, LONG_LATENCY)), "--twin", "--dry-run")  # no --yes, no terminal
    assert out.returncode == 0, out.stderr + out.stdout
    assert "dry_run" in out.stdout and "waits for approval" not in out.stdout
