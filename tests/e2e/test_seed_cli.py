"""The seed's spec files, piped output and run history through the real CLI, without a terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "tests" / "data" / "seed" / "redis_primary_pod_kill.json"


def adapted(workdir: Path) -> Path:
    """The origin document's example with Sock Shop's labels: its Redis is session-db, labelled
    name=session-db, and a Deployment (the policy refuses resource_type statefulset for it)."""
    data = json.loads(EXAMPLE.read_text())
    data["target_selector"] |= {"label_selector": "name=session-db", "resource_type": "deployment"}
    path = workdir / "redis_primary_pod_kill.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_the_seeds_example_runs_on_the_twin_and_shows_in_runs_status_and_audit(cli: Cli, workdir: Path) -> None:
    done = cli("run", str(adapted(workdir)), "--twin", "--yes")
    assert done.returncode in (0, 3, 4, 5), done.stderr + done.stdout  # it ran (agent/report/verdict.py)
    runs = cli("runs", "-o", "json")
    assert runs.returncode == 0, runs.stderr
    [row] = json.loads(runs.stdout)
    assert (row["experiment"], row["target"], row["state"]) == ("Redis Primary Pod Kill", "sock-shop/session-db", "done")
    assert row["outcome"] in ("completed", "aborted")
    verdict = re.search(r"^Verdict: (\w+) \(exit (\d)\)", done.stdout, re.M)  # held 0, refuted 3, aborted 4
    assert verdict and int(verdict.group(2)) == done.returncode, done.stdout
    assert (verdict.group(1) == "aborted") == (row["outcome"] == "aborted")
    if row["outcome"] == "aborted":  # the seed's 0.05 error-rate fraction became 5 %
        assert row["reason"].endswith("> 5%")
    assert Path(row["report_path"]).is_file()
    status = json.loads(cli("status", row["run_id"], "-o", "json").stdout)
    assert (status["run_id"], status["outcome"]) == (row["run_id"], row["outcome"])
    audit = json.loads(cli("audit", row["run_id"], "-o", "json").stdout)
    assert audit[0]["action"] == "decision"
    assert json.loads(cli("approvals", "-o", "json").stdout) == []
    assert json.loads(cli("runs", "--status", "running", "-o", "json").stdout) == []


def test_the_seeds_example_as_written_is_refused_naming_the_selector(cli: Cli, workdir: Path) -> None:
    done = cli("run", str(EXAMPLE), "--twin", "--yes")
    assert "refused" in done.stdout and "redis" in done.stdout, done.stdout + done.stderr


def test_craterctl_runs_a_seed_spec(workdir: Path) -> None:
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000"}
    done = subprocess.run(
        [sys.executable, "-m", "agent.cli.craterctl", "-c", str(workdir / "stack.yaml"), "run", str(adapted(workdir)),
         "--twin", "--yes"], cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)
    outcome = re.findall(r"^Run \w+: (\w+)", done.stdout, re.M)[-1]  # the last line says how it ended
    verdict = re.search(r"^Verdict: (\w+) \(exit (\d)\)", done.stdout, re.M)
    assert verdict and int(verdict.group(2)) == done.returncode, done.stderr + done.stdout
    assert outcome != "aborted" or done.returncode == 4
    assert "Redis Primary Pod Kill" in done.stdout


def test_piped_tables_keep_names_whole_and_plain(workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR", "TTY_COMPATIBLE")}
    done = subprocess.run([sys.executable, "-m", "agent", "inventory", "--twin", "--config", str(workdir / "stack.yaml")],
                          cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    for name in ("catalogue-db", "queue-master"):  # whole, and the first column of its row, as kubectl prints
        assert any(row[:2] == [name, "Deployment"] for row in rows), done.stdout
    assert "\x1b[" not in done.stdout
    assert not set(done.stdout) & set("│┃━─┏┓┗┛┡┩╇"), done.stdout  # plain columns: no box characters


def test_schema_documents_both_dialects(cli: Cli) -> None:
    seed = json.loads(cli("schema", "--dialect", "seed", config=False).stdout)
    text = json.dumps(seed)
    assert "label_selector" in seed["$defs"]["SeedTargetSelector"]["properties"]
    assert "cpu_load_pct" in text and "0.05 = 5%" in text
    assert "duration_s" in json.loads(cli("schema", config=False).stdout)["$defs"]["Parameters"]["properties"]
