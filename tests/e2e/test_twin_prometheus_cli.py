"""The demo on the twin reads its signals through a real Prometheus (twin.metrics), and without
the binary falls back to the twin's model, saying so once. The real CLI, in subprocesses."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent.adapters.prometheus_local import installed
from tests.integration.prometheus_fixture import poll_until

SOURCE = re.compile(r"\| Signals from \| Prometheus http://127\.0\.0\.1:(\d+) \(PromQL over the twin's exposition\) \|")


def _run(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if k != "CHAOS_ADVISOR_TWIN__METRICS"}
    return subprocess.run(
        [sys.executable, "-m", "agent", *args, "--config", str(workdir / "stack.yaml")],
        cwd=workdir, env=merged | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "200"} | env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240,
    )


def _serving(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _prometheus_on(port: int) -> list[str]:
    """Live processes started with ``--web.listen-address=127.0.0.1:<port>``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue  # ended while listed
        if f"--web.listen-address=127.0.0.1:{port}".encode() in args:
            found.append(cmdline.parent.name)
    return found


@pytest.mark.skipif(installed() is None, reason="prometheus is not on PATH; run ./scripts/system-deps.sh")
def test_the_demo_reads_its_signals_through_promql_and_stops_prometheus_at_exit(workdir: Path) -> None:
    done = _run(workdir, "run-graph", "--twin", "--approve", "1", CHAOS_ADVISOR_TWIN__METRICS="prometheus")
    assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]  # a verdict, not an error
    report = (workdir / "reports" / "latest.md").read_text()
    source = SOURCE.search(report)
    assert source, report[:3000]
    # the impact table names the PromQL each signal was read with (not a twin model field)
    assert re.search(r"`[^`]*(rate\(|container_memory_working_set_bytes)[^`]*`", report), report[:3000]
    assert "twin model" not in report and "/twin/v1/signals" not in report
    assert "prometheus is not installed" not in done.stderr
    port = int(source.group(1))
    assert not _serving(port) and _prometheus_on(port) == []  # gone with the command


def test_without_prometheus_on_path_the_twin_model_is_read_and_that_is_said_once(workdir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = _run(workdir, "run-graph", "--twin", "--approve", "1", PATH=str(empty))  # twin.metrics: auto
    assert done.returncode in (0, 3), done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stderr.count("prometheus is not installed") == 1
    assert "| Signals from | twin model (Prometheus not installed) |" in (workdir / "reports" / "latest.md").read_text()


def test_asking_for_prometheus_without_the_binary_is_one_clear_error(workdir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    done = _run(workdir, "run-graph", "--twin", "--approve", "1", PATH=str(empty), CHAOS_ADVISOR_TWIN__METRICS="prometheus")
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert said.count("twin.metrics: 'prometheus', but no prometheus binary is on PATH") == 1, said
    assert "Traceback" not in said
    assert not (workdir / "reports").exists() or not list((workdir / "reports").glob("*.md"))


def _ours_alive(pid: int) -> bool:
    """``pid`` still runs our Prometheus (not ended, not a zombie, not reused by another program)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return state != "Z" and b"chaos-advisor-prometheus-" in cmdline


def _children(parent: int) -> list[int]:
    """Live Prometheus processes of ours whose parent is ``parent``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # ended while listed
        if int(fields[1]) == parent and b"chaos-advisor-prometheus-" in cmdline and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(installed() is None, reason="prometheus is not on PATH; run ./scripts/system-deps.sh")
def test_an_agent_killed_with_sigkill_leaves_no_prometheus_behind(workdir: Path) -> None:
    merged = {k: v for k, v in os.environ.items() if k != "CHAOS_ADVISOR_TWIN__METRICS"}
    agent = subprocess.Popen(
        [sys.executable, "-m", "agent", "run-graph", "--twin", "--approve", "1", "--config", str(workdir / "stack.yaml")],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=merged | {"CHAOS_ADVISOR_TWIN__METRICS": "prometheus", "CHAOS_ADVISOR_TWIN__SPEED": "2"},  # slow: mid-run
    )
    try:
        [prometheus] = poll_until(lambda: _children(agent.pid), timeout_s=120, what="the agent's Prometheus")
    finally:
        agent.kill()  # SIGKILL: no finally runs in the agent
        agent.wait()
    # Linux's parent-death signal stops it (SIGTERM), with no help from the dead agent
    poll_until(lambda: not _ours_alive(prometheus), timeout_s=30, what="Prometheus to end after the agent's SIGKILL")


@pytest.mark.skipif(installed() is None, reason="prometheus is not on PATH; run ./scripts/system-deps.sh")
def test_the_doctor_on_the_twin_reads_every_preset_and_the_private_prometheus_labels_as_the_stack_says(
    workdir: Path,
) -> None:
    """The stack says kube-prometheus: the private Prometheus labels as a Prometheus Operator does,
    the in-use preset finds the seven HTTP services, and manifests-monitoring's labels find none,
    with the hint that names the preset that fits. Data stores are not counted as missing."""
    stack = workdir / "stack.yaml"
    text = stack.read_text()
    assert "      preset: manifests-monitoring" in text
    stack.write_text(text.replace("      preset: manifests-monitoring", "      preset: kube-prometheus"))
    done = _run(workdir, "doctor", "--twin", CHAOS_ADVISOR_TWIN__METRICS="prometheus")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    lines = done.stdout.splitlines()
    in_use = next(line for line in lines if "label preset kube-prometheus (in use)" in line)
    assert in_use.startswith("✓ ") and "error_rate_pct 7/7, latency_p95_ms 7/7" in in_use, in_use
    assert "export no request metrics by design: carts-db, catalogue-db" in in_use
    other = next(line for line in lines if "label preset manifests-monitoring:" in line)
    assert other.startswith("! ") and "error_rate_pct 0/7" in other, other
    assert "preset kube-prometheus or helm fits" in done.stdout or "preset helm or kube-prometheus fits" in done.stdout
    metrics = next(line for line in lines if line.startswith("✓ metrics of 14 targets"))
    assert "none, by design, for" in metrics and "carts-db" in metrics
