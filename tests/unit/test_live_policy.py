"""The policy in force is the file's as it is now, compared with the file the settings came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.errors import ConfigError
from agent.models import KillSwitch
from agent.run.files import FileRunStore
from agent.run.switch import LivePolicy

ROOT = Path(__file__).resolve().parents[2]


def test_a_change_made_before_the_source_was_built_still_counts(tmp_path: Path) -> None:
    # A long-lived process (slack serve) loads its settings at start and builds a policy source
    # per run much later: a file changed in between must not go unnoticed.
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    stack = tmp_path / "stack.yaml"
    stack.write_text(stack.read_text().replace("max_duration_s: 300", "max_duration_s: 10"))
    source = LivePolicy(settings, FileRunStore(tmp_path / "runs"))
    assert source.current().max_duration_s == 10


def test_an_unchanged_file_keeps_what_the_process_was_given_and_the_switch_freezes_it(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    given = settings.model_copy(update={"policy": settings.policy.model_copy(update={"max_duration_s": 42})})
    store = FileRunStore(tmp_path / "runs")
    source = LivePolicy(given, store)
    assert source.current().max_duration_s == 42 and not source.current().frozen
    store.set_kill_switch(KillSwitch(on=True, by="cli:t"))
    assert source.current().frozen


def test_a_file_gone_now_fails_closed(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    source = LivePolicy(load_settings(tmp_path / "stack.yaml"), FileRunStore(tmp_path / "runs"))
    (tmp_path / "stack.yaml").unlink()
    with pytest.raises(ConfigError, match="cannot read it now"):
        source.current()
