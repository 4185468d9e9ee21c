"""``python -m agent templates`` and the shipped example, through the real CLI on the twin."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import ROOT

Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_templates_lists_each_with_its_validity(cli: Cli, workdir: Path) -> None:
    out = cli("templates")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no templates in" in out.stdout  # none beside this stack.yaml yet

    shutil.copytree(ROOT / "templates", workdir / "templates")
    (workdir / "templates" / "typo.yaml").write_text(
        (ROOT / "templates" / "checkout-latency.yaml").read_text(encoding="utf-8").replace(
            "name: checkout-latency", "name: typo").replace("network_latency_ms: {default: 2000", "network_latency_ms: {default: 9000"),
        encoding="utf-8")

    table = cli("templates")
    assert table.returncode == 1 and "Traceback" not in table.stderr  # a refused template fails the command
    [valid] = [line for line in table.stdout.splitlines() if line.startswith("checkout-latency")]
    assert "pod-network-latency" in valid and "services payment" in valid and "valid" in valid
    assert "parameters.network_latency_ms.default: 9000 is outside its bounds 500..4000" in table.stdout

    rows = json.loads(cli("templates", "-o", "json").stdout)
    assert [(r["name"], r["status"]) for r in rows] == [("checkout-latency", "valid"), (None, "refused")]
    assert rows[1]["file"].endswith("typo.yaml")


def test_the_shipped_schema_is_the_one_the_model_generates(cli: Cli) -> None:
    out = cli("templates", "--schema", config=False)
    assert out.returncode == 0
    shipped = json.loads((ROOT / "templates" / "template.schema.json").read_text(encoding="utf-8"))
    assert json.loads(out.stdout) == shipped, (
        "templates/template.schema.json is stale (a fault or a parameter changed): "
        "python -m agent templates --schema > templates/template.schema.json")


def test_suggest_proposes_the_shipped_template_for_payment_only(cli: Cli, workdir: Path) -> None:
    shutil.copytree(ROOT / "templates", workdir / "templates")
    out = cli("suggest", "--twin", "--dry-run", "-n", "12", "-o", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    used = [c["spec"] for c in json.loads(out.stdout)["candidates"]
            if c["spec"]["rationale"].startswith("from template checkout-latency")]
    assert [s["target_selector"]["service"] for s in used] == ["payment"]
    assert used[0]["parameters"]["network_latency_ms"] == 2000
    assert used[0]["abort_threshold"]["service"] == "front-end"
    assert "users wait longer at front-end" in used[0]["hypothesis"]["statement"]
