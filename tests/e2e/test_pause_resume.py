"""The main loop across processes: pause at the approval in one, resume in another."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from kubernetes import client

from twin import TwinServer

Cli = Callable[..., subprocess.CompletedProcess[str]]


def engines(workdir: Path) -> list[str]:
    """ChaosEngines in the twin the runs used, read through the real kubernetes client."""
    with TwinServer(workdir / ".chaos-advisor" / "twin" / "sock-shop.json") as twin:
        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=twin.url)))
        found = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")
    return [e["metadata"]["name"] for e in found["items"]]


def test_pause_in_one_process_resume_in_another(cli: Cli, workdir: Path) -> None:
    first = cli("run-graph", "--twin")
    assert first.returncode == 7, first.stderr + first.stdout  # left waiting for an approval
    assert "waits for approval" in first.stdout
    run_id = re.search(r"resume (\w+) --approve N", first.stdout).group(1)  # type: ignore[union-attr]
    saved = sorted(p.name for p in (workdir / "experiments").glob("*.json"))
    assert len(saved) == 3
    assert engines(workdir) == []  # nothing touched the cluster before the approval

    listed = cli("approvals")
    assert run_id in listed.stdout

    second = cli("resume", run_id, "--approve", "1")
    assert second.returncode == 3, second.stderr + second.stdout  # carts-db has one replica: a weakness found
    assert engines(workdir) == [f"ca-{run_id}"]

    report = (workdir / "reports" / "latest.md").read_text()
    dated = list((workdir / "reports").glob(f"*_{run_id}.md"))
    assert len(dated) == 1 and dated[0].read_text() == report
    assert "```mermaid\nsequenceDiagram" in report
    assert "## Timeline" in report and "## Impact analysis" in report and "## Key findings" in report
    timeline = report.split("## Timeline")[1].split("##")[0]
    # Steps before the interrupt did not re-run on resume; execute ran once.
    assert timeline.count("| discovered |") == 1
    assert timeline.count("| notified |") == 1
    assert timeline.count("| applied |") == 1
    assert "| approved |" in timeline

    again = cli("resume", run_id, "--approve", "1")
    assert again.returncode == 1
    assert "not waiting for approval" in again.stdout
    assert engines(workdir) == [f"ca-{run_id}"]


def test_reject_writes_an_honest_report_and_applies_nothing(cli: Cli, workdir: Path) -> None:
    out = cli("run-graph", "--twin", "--reject")
    assert out.returncode == 6, out.stderr + out.stdout  # refused at the approval
    report = Path(re.search(r"Report: (\S+)", out.stdout).group(1)).read_text()  # type: ignore[union-attr]
    assert not (workdir / "reports" / "latest.md").exists()  # latest.md is the last run that applied a fault
    assert "rejected" in report
    assert "No chaos was injected" in report
    assert engines(workdir) == []


def test_config_error_is_one_line_without_traceback(cli: Cli, workdir: Path) -> None:
    (workdir / "stack.yaml").write_text("policy:\n  max_duration: 10\n")
    out = cli("inventory", "--twin")
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert "policy.max_duration: unknown key; did you mean 'max_duration_s'?" in out.stdout


def test_what_a_person_reads_is_the_real_time(cli: Cli, workdir: Path) -> None:
    # The twin's virtual clock starts elsewhere in time and runs a million times faster; report
    # names, the timeline's clock column and the wait for approval are the real time.
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC).replace(microsecond=0)
    run_id = re.search(r"resume (\w+) --approve N", cli("run-graph", "--twin").stdout).group(1)  # type: ignore[union-attr]
    cli("resume", run_id, "--approve", "1")
    after = datetime.now(UTC) + timedelta(seconds=1)
    [report] = (workdir / "reports").glob(f"*_{run_id}.md")
    stamp = datetime.strptime(report.name.split("_")[0], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert before <= stamp <= after
    timeline = report.read_text().split("## Timeline")[1].split("\n## ")[0]
    times = re.findall(r"^\| (\d\d:\d\d:\d\d) \|", timeline, flags=re.M)
    same_day = before.date() == after.date()  # clock strings compare only within one day
    assert times and (not same_day or all(before.strftime("%H:%M:%S") <= t <= after.strftime("%H:%M:%S") for t in times)), times
    assert re.search(r"\| approved \| '.*' by cli:\S+ after \d+ min \d+ s \|", timeline)
    assert "twin's virtual clock" in timeline
