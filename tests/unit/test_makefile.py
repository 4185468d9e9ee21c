"""The Makefile's targets for a real cluster (docs/real-cluster.md): they exist under the seed's
names, expand (``make -n``, nothing runs), name files that exist, pin the versions the project's
copies come from, and install the faults the policy allows; the doc and README point at them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from agent.deploy.doctor_checks import TAGS

ROOT = Path(__file__).resolve().parents[2]
REAL_CLUSTER = ("k8s-install-litmus", "k8s-install-experiments", "k8s-deploy-sock-shop", "k8s-install-prometheus",
                "k8s-rbac")
LOCAL = re.compile(r"^(?:scripts|twin|deploy|docs|agent)/[\w./-]+$")

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry(target: str, *overrides: str) -> str:
    run = subprocess.run(["make", "-n", target, *overrides], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout


def variable(name: str) -> str:
    found = re.search(rf"^{name} \?= (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert found, name
    return found.group(1).strip()


@pytest.mark.parametrize("target", [*REAL_CLUSTER, "doctor", "install", "inventory", "suggest", "demo", "test"])
def test_each_target_expands_and_its_local_files_exist(target: str) -> None:
    commands = dry(target)
    local = [t.removeprefix("./") for t in commands.split() if LOCAL.match(t.removeprefix("./"))]
    assert [t for t in local if not (ROOT / t).exists()] == []
    if target in ("k8s-deploy-sock-shop", "install", "demo", "test"):
        assert local, f"{target} names no file of the repository: {commands}"
    if target in REAL_CLUSTER:
        text = (ROOT / "Makefile").read_text()
        assert re.search(rf"^{target}:.*## \[real cluster\]", text, re.MULTILINE), f"{target} is not marked"


def test_sock_shop_is_the_projects_copy_of_upstream() -> None:
    commands = dry("k8s-deploy-sock-shop")
    assert "kubectl apply -f twin/data/complete-demo.yaml" in commands
    sources = (ROOT / "twin" / "data" / "SOURCES.md").read_text()
    assert variable("SOCK_SHOP_REF").startswith(re.search(r"complete-demo\.yaml \| .* \| (\w+) ", sources).group(1))


def test_litmus_is_pinned_to_the_version_the_twins_crds_and_faults_come_from() -> None:
    version = variable("LITMUS_VERSION")
    sources = (ROOT / "twin" / "data" / "SOURCES.md").read_text()
    for copied in ("litmus/chaos_crds.yaml", "litmus/operator.yaml", "litmus/faults/<fault>.yaml"):
        assert re.search(rf"\| {re.escape(copied)} \|.*\| tag {re.escape(version)} = ", sources), copied
    assert TAGS["3.x"] == version  # doctor's fixes name the same files
    commands = dry("k8s-install-litmus")
    assert f"chaos-operator/{version}/deploy/chaos_crds.yaml" in commands
    assert f"s/:ci$/:{version}/" in commands  # upstream's operator.yaml says image tag ci


def test_the_experiments_installed_are_the_faults_the_policy_allows() -> None:
    stack = yaml.safe_load((ROOT / "stack.yaml").read_text())
    assert variable("FAULTS").split() == stack["policy"]["actions"]
    commands = dry("k8s-install-experiments", "NS=shop")
    for fault in stack["policy"]["actions"]:
        assert f"/faults/kubernetes/{fault}/fault.yaml" in commands
    assert "create serviceaccount litmus-admin" in commands and "-n shop" in commands


def test_the_doc_walks_through_every_target_and_the_readme_links_it() -> None:
    doc = (ROOT / "docs" / "real-cluster.md").read_text()
    for target in (*REAL_CLUSTER, "doctor"):
        assert f"make {target}" in doc, target
    for command in ("python -m agent doctor", "python -m agent suggest", "python -m agent run"):
        assert command in doc
    assert "[real cluster]" in doc
    assert "(docs/real-cluster.md)" in (ROOT / "README.md").read_text()
