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
