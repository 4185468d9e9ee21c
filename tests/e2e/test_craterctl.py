"""`craterctl`, the seed's command line: global options before the command, the same behaviour
as `python -m agent`. Runs the installed console script (or `python -m agent.cli.craterctl`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Crater = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def craterctl(workdir: Path) -> Crater:
    """Run ``craterctl ARGS`` in the work directory, without a terminal."""
    script = shutil.which("craterctl", path=str(Path(sys.executable).parent))
    argv0 = [script] if script else [sys.executable, "-m", "agent.cli.craterctl"]
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*argv0, *args], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=240)

    return run


def test_inventory_takes_the_config_before_or_after_the_command(craterctl: Crater, workdir: Path) -> None:
    config = str(workdir / "stack.yaml")
    before = craterctl("-c", config, "inventory", "--twin")
    after = craterctl("inventory", "--config", config, "--twin")
    assert before.returncode == 0, before.stderr + before.stdout
    server = re.compile(r"127\.0\.0\.1:\d+")  # each process serves the twin on its own port
    assert server.sub("", before.stdout) == server.sub("", after.stdout)
    assert "front-end" in before.stdout and "carts-db" in before.stdout


def test_suggest_then_run_status_and_abort_a_spec(craterctl: Crater, workdir: Path) -> None:
    config = str(workdir / "stack.yaml")
    dry = craterctl("-c", config, "suggest", "--count", "2", "--dry-run", "--twin")
    assert dry.returncode == 0 and "dry run: nothing saved" in dry.stdout
    out = workdir / "specs"
    saved = craterctl("-c", config, "suggest", "--count", "2", "--output", str(out), "--twin")
    assert saved.returncode == 0, saved.stderr + saved.stdout
    specs = sorted(out.glob("*.json"))
    assert len(specs) == 2 and json.loads(specs[0].read_text())["title"]

    ran = craterctl("-c", config, "run", str(specs[0]), "--twin", "--monitor", "--yes")
    assert ran.returncode == 3, ran.stderr + ran.stdout  # the top suggestion finds its weakness (exit 3)
    run_id = re.search(r"Run (\w+):", ran.stdout).group(1)  # type: ignore[union-attr]
    assert f"Run {run_id}: completed" in ran.stdout
    assert (workdir / "reports" / "latest.md").exists()

    status = craterctl("-c", config, "status", run_id)
    assert status.returncode == 0, status.stderr + status.stdout
    assert "completed" in status.stdout and f"ca-{run_id}" in status.stdout
    aborted = craterctl("--config", config, "abort", run_id)
    assert aborted.returncode == 0, aborted.stderr + aborted.stdout
    assert f"Run {run_id}: engine" in aborted.stdout


def test_errors_are_one_line_and_verbose_shows_the_traceback(craterctl: Crater, workdir: Path) -> None:
    (workdir / "stack.yaml").write_text("policy:\n  max_duration: 10\n")
    quiet = craterctl("-c", str(workdir / "stack.yaml"), "inventory", "--twin")
    assert quiet.returncode == 2
    assert "did you mean 'max_duration_s'?" in quiet.stdout and "Traceback" not in quiet.stdout + quiet.stderr
    loud = craterctl("-v", "-c", str(workdir / "stack.yaml"), "status", "nope")
    assert loud.returncode != 0 and "Traceback" in loud.stderr
