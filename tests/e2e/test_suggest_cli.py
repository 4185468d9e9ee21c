"""`suggest` prints the ranked list like the seed and saves specs; `--dry-run` saves nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from agent.models import ExperimentSpec

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_suggest_saves_ranked_specs(cli: Cli, workdir: Path) -> None:
    out = cli("suggest", "--twin", "--count", "4", "--output", str(workdir / "mine"))
    assert out.returncode == 0, out.stderr + out.stdout
    files = sorted((workdir / "mine").glob("*.json"))
    assert len(files) == 4
    for f in files:
        spec = ExperimentSpec.model_validate(json.loads(f.read_text()))
        assert spec.hypothesis is not None and spec.rationale
        assert f"File: {f}" in out.stdout
    for word in ("📋 1.", "Action:", "Target: sock-shop/", "Risk:", "Duration:"):
        assert word in out.stdout


def test_suggest_dry_run_saves_nothing(cli: Cli, workdir: Path) -> None:
    out = cli("suggest", "--twin", "--dry-run")
    assert out.returncode == 0, out.stderr + out.stdout
    assert "nothing saved" in out.stdout
    assert list((workdir / "experiments").glob("*.json")) == []


def test_schema_is_the_spec_json_schema(cli: Cli) -> None:
    out = cli("schema", config=False)
    assert out.returncode == 0
    schema = json.loads(out.stdout)
    assert schema["title"] == "ExperimentSpec"
    assert {"hypothesis", "action", "target_selector", "abort_threshold"} <= set(schema["properties"])


def test_suggest_never_replaces_a_spec_the_user_edited(cli: Cli, workdir: Path) -> None:
    first = cli("suggest", "--twin", "-n", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    [spec] = sorted((workdir / "experiments").glob("*.json"))
    again = cli("suggest", "--twin", "-n", "1")  # unchanged since written: replaced in place
    assert sorted((workdir / "experiments").glob("*.json")) == [spec] and "kept" not in again.stdout
    edited = spec.read_text().replace('"duration_s": 30', '"duration_s": 20')
    assert edited != spec.read_text()
    spec.write_text(edited)
    third = cli("suggest", "--twin", "-n", "1")
    assert spec.read_text() == edited  # the user's edit survives
    second = spec.with_name(spec.stem + "-2.json")
    assert second.exists() and "kept" in third.stdout and second.name in " ".join(third.stdout.split())
    forced = cli("suggest", "--twin", "-n", "1", "--force")
    assert forced.returncode == 0 and spec.read_text() != edited
