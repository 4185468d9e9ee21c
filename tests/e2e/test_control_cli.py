"""`run SPEC --control` through the real CLI on the twin: a no-fault control still waits for an
approval (exit 7), and approved it watches with nothing applied and exits 0 with a control's report."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema

Cli = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "agent" / "report" / "data" / "result.schema.json").read_text())


def carts_delete(workdir: Path) -> Path:
    spec = {"title": "carts pod delete", "description": "Delete a carts pod.", "action": "pod-delete",
            "target_selector": {"service": "carts", "namespace": "sock-shop", "labels": {"name": "carts"}},
            "parameters": {"duration_s": 30, "chaos_interval_s": 30},
            "abort_threshold": {"service": "front-end", "error_rate_pct": 5},
            "expected_impact": "see the steady state", "risk_level": "low"}
    path = workdir / "carts.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_control_waits_for_its_approval_like_any_run(cli: Cli, workdir: Path) -> None:
    out = cli("run", str(carts_delete(workdir)), "--control", "--twin")  # no terminal, no --yes
    assert out.returncode == 7, out.stdout + out.stderr
    assert "Control run: carts pod delete" in out.stdout and "Action: control" in out.stdout


def test_an_approved_control_applies_nothing_and_holds(cli: Cli, workdir: Path) -> None:
    result = workdir / "out" / "control.json"
    out = cli("run", str(carts_delete(workdir)), "--control", "--twin", "--yes", "--result", str(result))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Verdict: held (exit 0)" in out.stdout
    data = json.loads(result.read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["spec"]["action"] == "control" and data["spec"]["parameters"]["duration_s"] == 30
    assert [a["action"] for a in data["executed"]] == ["apply"] and "no ChaosEngine" in data["executed"][0]["detail"]
    report = Path(data["report"])
    assert report.read_text().startswith("# Control run: carts pod delete (nothing injected)")
    audit = [json.loads(line) for line in (workdir / ".chaos-advisor" / "audit.jsonl").read_text().splitlines()]
    assert [a for a in audit if a["action"] == "engine_apply"] == []  # nothing reached the cluster
