"""The commands a new user runs on an app nobody configured, through `python -m agent` itself:
`init` drafts a stack.yaml and keeps their edits, `inventory`/`suggest`/`init` answer `-o json`,
and bad input is one sentence and exit 1, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agent.config import load_settings
from agent.models import Candidate, Inventory

ROOT = Path(__file__).resolve().parents[2]
BOUTIQUE = ROOT / "tests/data/boutique/boutique.yaml"


def agent(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m agent ARGS --config <workdir>/stack.yaml``, no terminal, the twin's clock unpaced."""
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "agent", *args, "--config", str(workdir / "stack.yaml")],
                          cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)


def test_init_drafts_a_commented_stack_that_loads_and_advises(tmp_path: Path) -> None:
    out = agent(tmp_path, "init", "--manifests", str(BOUTIQUE))
    assert out.returncode == 0, out.stdout + out.stderr
    text = (tmp_path / "stack.yaml").read_text()
    assert "# entry yes: Service frontend-external type LoadBalancer" in text
    assert "# store redis: image redis:alpine" in text
    assert "# env CART_SERVICE_ADDR=cartservice:7070" in text
    settings = load_settings(tmp_path / "stack.yaml")
    assert settings.k8s.namespaces == ["boutique"] and len(settings.k8s.target_services) == 11
    assert {t.name: t.tier for t in settings.k8s.target_services}["frontend"] == "edge"
    assert len(settings.k8s.dependencies) == 15
    assert settings.policy.namespaces == ["boutique"] and not settings.policy.allow_high_risk
    suggest = agent(tmp_path, "suggest", "--manifests", str(BOUTIQUE), "--dry-run")
    assert suggest.returncode == 0, suggest.stdout + suggest.stderr
    assert "📋 1. redis-cart pod delete" in suggest.stdout


def test_init_again_keeps_what_the_user_edited(tmp_path: Path) -> None:
    assert agent(tmp_path, "init", "--manifests", str(BOUTIQUE)).returncode == 0
    doc = yaml.safe_load((tmp_path / "stack.yaml").read_text())
    email = next(t for t in doc["k8s"]["target_services"] if t["name"] == "emailservice")
    email.update(criticality="low", type="python")
    doc["k8s"]["target_services"] = [t for t in doc["k8s"]["target_services"] if t["name"] != "adservice"]
    doc["k8s"]["dependencies"] = [d for d in doc["k8s"]["dependencies"] if d["target"] != "adservice"]
    doc["policy"]["max_duration_s"] = 90
    doc["monitor"] = {"poll_interval_s": 2}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(doc))
    out = agent(tmp_path, "init", "--manifests", str(BOUTIQUE), "-o", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == ["adservice"] and report["dropped"] == []
    settings = load_settings(tmp_path / "stack.yaml")
    email_now = next(t for t in settings.k8s.target_services if t.name == "emailservice")
    assert (email_now.criticality, email_now.type) == ("low", "python")
    assert settings.policy.max_duration_s == 90 and settings.monitor.poll_interval_s == 2
    assert ("frontend", "adservice") in {(d.source, d.target) for d in settings.k8s.dependencies}


def test_init_for_another_namespace_keeps_the_first(tmp_path: Path) -> None:
    shop = _manifests(tmp_path, SHOP, WEB)
    assert agent(tmp_path, "init", "--manifests", str(BOUTIQUE), "--manifests", shop, "--namespace", "boutique").returncode == 0
    refused = agent(tmp_path, "init", "--manifests", str(BOUTIQUE), "--manifests", shop, "--namespace", "shop")
    assert refused.returncode == 1 and "namespace 'shop' of --namespace is not allowed" in " ".join(refused.stdout.split())
    doc = yaml.safe_load((tmp_path / "stack.yaml").read_text())
    doc["policy"]["namespaces"].append("shop")  # the user widens their policy first
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(doc))
    out = agent(tmp_path, "init", "--manifests", str(BOUTIQUE), "--manifests", shop, "--namespace", "shop", "-o", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["added"] == ["web"] and json.loads(out.stdout)["dropped"] == []
    settings = load_settings(tmp_path / "stack.yaml")
    assert settings.k8s.namespaces == ["boutique", "shop"] and len(settings.k8s.target_services) == 12


def test_init_dry_run_writes_nothing(tmp_path: Path) -> None:
    out = agent(tmp_path, "init", "--manifests", str(BOUTIQUE), "--dry-run")
    assert out.returncode == 0 and out.stdout.startswith("# Chaos Advisor stack for boutique")
    assert not (tmp_path / "stack.yaml").exists()


def test_inventory_and_suggest_answer_json(tmp_path: Path) -> None:
    (tmp_path / "stack.yaml").write_text("k8s: {namespaces: [boutique]}\npolicy: {namespaces: [boutique]}\n")
    inv = agent(tmp_path, "inventory", "--manifests", str(BOUTIQUE), "-o", "json")
    assert inv.returncode == 0, inv.stderr
    inventory = Inventory.model_validate_json(inv.stdout)
    assert len(inventory.targets) == 11 and len(inventory.dependencies) == 15
    sug = agent(tmp_path, "suggest", "--manifests", str(BOUTIQUE), "--dry-run", "-n", "2", "--output-format", "json")
    assert sug.returncode == 0, sug.stderr
    data = json.loads(sug.stdout)
    cands = [Candidate.model_validate(c) for c in data["candidates"]]
    assert [c.rank for c in cands] == [1, 2] and data["designer"] == "planner"


def _stack(tmp_path: Path, k8s: str, policy: str = "{namespaces: [shop]}") -> None:
    (tmp_path / "stack.yaml").write_text(f"k8s: {k8s}\npolicy: {policy}\n")


def _manifests(tmp_path: Path, *docs: str) -> str:
    (tmp_path / "app.yaml").write_text("---\n".join(docs))
    return str(tmp_path / "app.yaml")


SHOP = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n"
WEB = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n"
       "  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n")


@pytest.mark.parametrize(("command", "k8s", "policy", "docs", "says"), [
    ("suggest", "{namespaces: [shop]}", "{namespaces: [shop]}", (SHOP, WEB.replace("shop", "other")),
     "namespace 'shop' is empty or does not exist"),
    ("inventory", "{namespaces: [shop]}", "{namespaces: [shop]}", (SHOP, SERVICE),
     "namespace 'shop' runs no Deployment, StatefulSet or DaemonSet (1 Service(s)"),
    ("suggest", "{namespaces: [kube-system]}", "{namespaces: [shop]}", (SHOP, WEB),
     "policy.namespaces: namespace 'kube-system' of k8s.namespaces is not allowed"),
    ("suggest", "{namespaces: [shop], target_services: [{name: wbe, namespace: shop, type: go, tier: edge}]}",
     "{namespaces: [shop]}", (SHOP, WEB), "k8s.target_services[0] 'wbe': no workload in namespace 'shop'"),
    ("init", "{namespaces: [kube-system]}", "{namespaces: [shop]}", (SHOP, WEB),
     "namespace 'kube-system' of k8s.namespaces is not allowed"),
])
def test_bad_input_is_one_sentence_and_exit_1(tmp_path: Path, command: str, k8s: str, policy: str,
                                              docs: tuple[str, ...], says: str) -> None:
    _stack(tmp_path, k8s, policy)
    manifests = _manifests(tmp_path, *docs)
    before = sorted(tmp_path.rglob("*"))
    out = agent(tmp_path, command, "--manifests", manifests)
    assert out.returncode == 1, out.stdout + out.stderr
    assert sorted(tmp_path.rglob("*")) == before  # refused after discovery, yet no state left behind
    assert "Traceback" not in out.stdout + out.stderr
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and says in " ".join(out.stdout.split()), out.stdout


def test_init_drafts_no_policy_for_a_system_namespace(tmp_path: Path) -> None:
    out = agent(tmp_path, "init", "--twin", "--namespace", "kube-system")
    assert out.returncode == 1 and "'kube-system' is a system namespace" in " ".join(out.stdout.split())
    assert not (tmp_path / "stack.yaml").exists()


def test_did_you_mean_for_a_misspelt_service(tmp_path: Path) -> None:
    _stack(tmp_path, "{namespaces: [shop], target_services: [{name: wbe, namespace: shop, type: go, tier: edge, "
                     "selector: {app: wbe}}]}")
    out = agent(tmp_path, "inventory", "--manifests", _manifests(tmp_path, SHOP, WEB))
    assert out.returncode == 1 and "did you mean 'web'?" in " ".join(out.stdout.split())
