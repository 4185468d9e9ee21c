"""The policy in force at every step, through the real CLI on the twin: a plan paused under one
policy meets the policy of the moment it is approved; the kill switch refuses every apply."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.e2e.test_pause_resume import engines

Cli = Callable[..., subprocess.CompletedProcess[str]]


def paused_run(cli: Cli) -> str:
    first = cli("run-graph", "--twin")
    assert first.returncode == 7, first.stderr + first.stdout  # left waiting for an approval
    return re.search(r"resume (\w+) --approve N", first.stdout).group(1)  # type: ignore[union-attr]


def audit(workdir: Path) -> list[dict[str, object]]:
    lines = (workdir / ".chaos-advisor" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def edit_policy(workdir: Path, **changes: object) -> None:
    stack = yaml.safe_load((workdir / "stack.yaml").read_text())
    stack["policy"].update(changes)
    (workdir / "stack.yaml").write_text(yaml.safe_dump(stack))


def test_a_policy_narrowed_after_the_pause_refuses_the_approval_with_every_rule(cli: Cli, workdir: Path) -> None:
    run_id = paused_run(cli)
    edit_policy(workdir, namespaces=["other-ns"], actions=["pod-cpu-hog"], max_duration_s=5)

    out = cli("resume", run_id, "--approve", "1")

    assert engines(workdir) == []  # nothing touched the cluster
    assert f"Run {run_id}: refused" in out.stdout
    for rule in ("policy.namespaces", "policy.actions", "policy.max_duration_s"):
        assert rule in out.stdout
    refused = [e for e in audit(workdir) if e["run_id"] == run_id and e["action"] == "decision_refused"]
    assert len(refused) == 1 and "policy.namespaces" in str(refused[0]["result"])
    report = Path(re.search(r"Report: (\S+)", out.stdout).group(1)).read_text()  # type: ignore[union-attr]
    assert "refused" in report and "policy.max_duration_s" in report
    assert not (workdir / "reports" / "latest.md").exists()  # the last run that applied a fault: none yet
    status = cli("status", run_id)
    assert "refused" in status.stdout


def test_the_kill_switch_refuses_applies_until_unfrozen_and_is_audited(cli: Cli, workdir: Path) -> None:
    run_id = paused_run(cli)
    frozen = cli("freeze", "--reason", "incident 42")
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr

    out = cli("resume", run_id, "--approve", "1")
    assert "policy.frozen" in out.stdout and f"Run {run_id}: refused" in out.stdout
    assert out.returncode == 6  # refused by the policy in force
    assert engines(workdir) == []

    assert cli("unfreeze").returncode == 0
    second = paused_run(cli)
    done = cli("resume", second, "--approve", "1")
    assert done.returncode == 3, done.stdout + done.stderr  # it ran: carts-db's single replica is a weakness
    assert engines(workdir) == [f"ca-{second}"]
    actions = [e["action"] for e in audit(workdir) if e["action"] in ("freeze", "unfreeze")]
    assert actions == ["freeze", "unfreeze"]


def test_policy_frozen_in_stack_yaml_refuses_too(cli: Cli, workdir: Path) -> None:
    run_id = paused_run(cli)
    edit_policy(workdir, frozen=True)
    out = cli("resume", run_id, "--approve", "1")
    assert "policy.frozen" in out.stdout
    assert engines(workdir) == []


def test_every_proposal_shows_its_exact_selector_pods_and_abort_condition(cli: Cli, workdir: Path) -> None:
    first = cli("run-graph", "--twin", "--count", "2")
    out = " ".join(first.stdout.split())  # Rich wraps long lines when piped
    hits = re.findall(r"Hits: (\S+) on sock-shop/(\S+), selector name=(\S+) \((deployment|statefulset)\), 1 pod: (\S+)", out)
    assert len(hits) == 2
    for _, service, label, _, pod in hits:
        assert label == service and pod.startswith(f"{service}-")
    assert out.count("Stops itself: abort when front-end error rate > 50%") == 2
