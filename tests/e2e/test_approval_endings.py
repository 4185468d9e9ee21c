"""How an approval ends when nobody can be asked again, and how the prompt leaves a run paused.

``run-graph --approve N`` is decided before the proposals are known (a script): an N that does
not exist ends the run as refused, audited with the reason. At the interactive prompt (a real
pseudo-terminal), Ctrl-C (a real SIGINT), Ctrl-D and ``n`` leave the run paused and print the
resume and reject commands.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_pause_resume import engines

Cli = Callable[..., subprocess.CompletedProcess[str]]
WAIT_S = 120.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def audit(workdir: Path, run_id: str) -> list[dict[str, str]]:
    lines = (workdir / ".chaos-advisor" / "audit.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["run_id"] == run_id]


def test_an_approval_of_a_proposal_that_does_not_exist_ends_the_run_as_refused(cli: Cli, workdir: Path) -> None:
    out = cli("run-graph", "--twin", "--approve", "9")
    text = out.stdout + out.stderr
    run_id = re.search(r"Run (\w+) on the Sock Shop twin", text).group(1)  # type: ignore[union-attr]
    assert f"Run {run_id}: refused (approval refused: no proposal 9; there are 3)" in text
    assert "waits for approval" not in text
    assert "No run is waiting for approval." in cli("approvals").stdout  # not left paused
    refused = [e for e in audit(workdir, run_id) if e["action"] == "decision_refused"]
    assert [e["result"] for e in refused] == ["refused: no proposal 9; there are 3"]
    report = Path(re.search(r"Report: (\S+)", text).group(1)).read_text()  # type: ignore[union-attr]
    assert "no proposal 9; there are 3" in report
    assert engines(workdir) == []


def test_resume_with_a_proposal_that_does_not_exist_leaves_the_run_paused(cli: Cli, workdir: Path) -> None:
    run_id = re.search(r"resume (\w+) --approve N", cli("run-graph", "--twin").stdout).group(1)  # type: ignore[union-attr]
    bad = cli("resume", run_id, "--approve", "9")
    assert bad.returncode == 1
    assert f"run {run_id}: no proposal 9; there are 3: choose 1..3" in bad.stdout + bad.stderr
    assert run_id in cli("approvals").stdout  # the person can answer again
    assert engines(workdir) == []


class Terminal:
    """The CLI on a pseudo-terminal: what it printed so far, and keys typed into it."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.master, slave = os.openpty()
        env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "40", "LINES": "25", "TERM": "dumb"}  # narrow
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent", *args, "--config", str(workdir / "stack.yaml")],
            cwd=workdir, env=env, stdin=slave, stdout=slave, stderr=slave,
        )
        os.close(slave)
        self.seen = ""

    def wait_for(self, text: str) -> str:
        while text not in self.seen:
            ready, _, _ = select.select([self.master], [], [], WAIT_S)
            assert ready, f"no {text!r} within {WAIT_S} s; saw:\n{self.seen}"
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the process closed the terminal
                chunk = b""
            assert chunk, f"exited before {text!r}; saw:\n{self.seen}"
            self.seen += ANSI.sub("", chunk.decode(errors="replace")).replace("\r", "")
        return self.seen

    def close(self) -> int:
        code = self.proc.wait(timeout=WAIT_S)
        os.close(self.master)
        return code


@pytest.mark.parametrize("key", ["ctrl-c", "ctrl-d", "n"])
def test_the_prompt_leaves_the_run_paused_and_says_how_to_go_on(cli: Cli, workdir: Path, key: str) -> None:
    term = Terminal(workdir, "run-graph", "--twin")
    try:
        term.wait_for("Approve which experiment?")
        if key == "ctrl-c":
            term.proc.send_signal(signal.SIGINT)  # what the terminal sends on Ctrl-C
        else:
            os.write(term.master, b"\x04" if key == "ctrl-d" else b"n\n")
        seen = term.wait_for("--reject")
    finally:
        code = term.close()
    assert code == 7, seen  # left waiting for an approval (agent/report/verdict.py)
    run_id = re.search(r"Run (\w+) on the Sock Shop twin", seen).group(1)  # type: ignore[union-attr]
    assert "Left paused: nothing was applied" in seen
    assert re.search(rf"-m agent resume {run_id} --approve N +\(1\.\.3\)", seen)
    assert re.search(rf"-m agent resume {run_id} --reject", seen)
    assert "Traceback" not in seen
    assert run_id in cli("approvals").stdout
    assert engines(workdir) == []


def test_the_printed_next_command_runs_as_printed_in_a_fresh_shell(cli: Cli, workdir: Path) -> None:
    # scripts/demo.sh runs .venv/bin/python without activating the venv: `python -m agent` would
    # not find the project in a fresh shell, so the command names this interpreter.
    out = cli("run-graph", "--twin")
    [command] = [line.strip() for line in out.stdout.splitlines() if line.strip().endswith("--reject")]
    fresh = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "CHAOS_ADVISOR_TWIN__SPEED": "1000000"}
    if subprocess.run(["bash", "-c", "command -v python"], env=fresh, capture_output=True, text=True).stdout.strip() \
            != sys.executable:
        assert not command.startswith("python ")
    done = subprocess.run(["bash", "-c", command], cwd=workdir, env=fresh, capture_output=True, text=True, timeout=240)
    assert done.returncode == 6, done.stdout + done.stderr  # rejected
    assert re.search(r"Run \w+: rejected", done.stdout)


def test_an_edited_spec_watching_off_the_predicted_path_is_warned_about_before_approval(cli: Cli, workdir: Path) -> None:
    assert cli("suggest", "--twin", "-n", "1").returncode == 0
    [saved] = (workdir / "experiments").glob("*.json")
    spec = json.loads(saved.read_text())
    spec["abort_threshold"] = {"service": "catalogue", "error_rate_pct": 5}  # the user's edit
    saved.write_text(json.dumps(spec))
    out = cli("run", str(saved), "--twin")  # no terminal: it stops at the approval
    assert "Stops itself: abort when catalogue error rate > 5%" in out.stdout
    assert re.search(r"warning: the abort condition watches catalogue, off the predicted path \S+ → .* → front-end → "
                     r"users: .* unless catalogue is watched on purpose", out.stdout), out.stdout
    assert "waits for approval" in out.stdout  # warned, not refused
