"""End-to-end fixtures: the real CLI in subprocesses, on a private copy of stack.yaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of stack.yaml; its state, experiments and reports land beside it."""
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    return tmp_path


@pytest.fixture
def cli(workdir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m agent ARGS --config <workdir>/stack.yaml`` without a terminal."""
    env = os.environ | {
        # The twin's virtual clock then advances without waiting in real time.
        "CHAOS_ADVISOR_TWIN__SPEED": "1000000",
        "COLUMNS": "200",
    }

    def run(*args: str, config: bool = True) -> subprocess.CompletedProcess[str]:
        extra = ["--config", str(workdir / "stack.yaml")] if config else []
        return subprocess.run(
            [sys.executable, "-m", "agent", *args, *extra],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240,
        )

    return run
