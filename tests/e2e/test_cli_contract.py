"""What scripts rely on, through the real CLIs without a terminal: exit codes (documented in
``--help``), spec files in the seed's shape, ``-o json`` of recover and status with the seed's
fields, shell completion, and a ``--help`` that loads none of the heavy libraries."""

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

from agent.design.propose import load_spec
from agent.models import ExperimentSpec

Cli = Callable[..., subprocess.CompletedProcess[str]]

TIGHT = {  # one carts-db pod, aborting at 1% errors at the front end: it breaches, on the twin
    "title": "Carts-db pod delete (tight)",
    "description": "Delete the carts-db pod; stop at the first errors users see.",
    "action": "pod-delete",
    "target_selector": {"service": "carts-db", "namespace": "sock-shop", "labels": {"name": "carts-db"}},
    "parameters": {"duration_s": 30, "chaos_interval_s": 30},
    "abort_threshold": {"service": "front-end", "error_rate_pct": 1},
    "expected_impact": "errors at front-end",
    "risk_level": "high",
}


@pytest.fixture
def craterctl(workdir: Path) -> Cli:
    script = shutil.which("craterctl", path=str(Path(sys.executable).parent))
    argv0 = [script] if script else [sys.executable, "-m", "agent.cli.craterctl"]
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*argv0, "-c", str(workdir / "stack.yaml"), *args], cwd=workdir, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=240)

    return run


def spec_file(workdir: Path, **changes: object) -> Path:
    path = workdir / "tight.json"
    path.write_text(json.dumps(TIGHT | changes))
    return path


def test_usage_is_2_bad_input_1_and_help_documents_every_code(cli: Cli, craterctl: Cli, workdir: Path) -> None:
    assert cli("run").returncode == 2  # a missing argument
    assert craterctl("suggest", "--count", "zero").returncode == 2
    assert cli("run", str(workdir / "missing.json"), "--twin").returncode == 1
    for out in (cli("--help", config=False), craterctl("--help")):
        text = " ".join(out.stdout.split())
        assert out.returncode == 0
        assert re.search(r"Exit codes: 0 the steady state held .*; 1 bad input or an error; 2 usage .*; 3 the steady "
                         r"state did not hold \(a weakness found\); 4 aborted by an abort threshold .*; 5 inconclusive .*; "
                         r"6 refused by the policy or at the approval .*; 7 left waiting for an approval", text), text


def test_a_threshold_abort_is_4_and_a_refusal_6_in_run_and_craterctl_run(cli: Cli, craterctl: Cli, workdir: Path) -> None:
    aborted = cli("run", str(spec_file(workdir)), "--twin", "--yes")
    assert aborted.returncode == 4, aborted.stdout + aborted.stderr
    assert re.search(r"Run \w+: aborted \(front-end error rate [\d.]+% > 1%\)", aborted.stdout)
    assert craterctl("run", str(spec_file(workdir)), "--twin", "--yes").returncode == 4
    too_long = spec_file(workdir, parameters={"duration_s": 3600, "chaos_interval_s": 30})
    refused = craterctl("run", str(too_long), "--twin", "--yes")
    assert refused.returncode == 6 and "refused" in refused.stdout and "policy.max_duration_s" in refused.stdout
    dry = cli("run", str(spec_file(workdir)), "--twin", "--dry-run")
    assert dry.returncode == 0 and "dry_run" in dry.stdout


def test_a_paused_run_graph_is_7_and_a_refused_resume_6(cli: Cli) -> None:
    paused = cli("run-graph", "--twin")
    assert paused.returncode == 7 and "waits for approval" in paused.stdout
    run_id = re.search(r"Run (\w+) on the Sock Shop twin", paused.stdout).group(1)  # type: ignore[union-attr]
    assert cli("freeze", "--reason", "exit code test").returncode == 0
    refused = cli("resume", run_id, "--approve", "1")
    assert refused.returncode == 6 and f"Run {run_id}: refused" in refused.stdout


def test_suggest_writes_the_seeds_shape_and_run_reads_it_back(cli: Cli, craterctl: Cli, workdir: Path) -> None:
    out = cli("suggest", "--twin", "-n", "3", "--format", "seed", "--output", str(workdir / "seed"), "-o", "json")
    assert out.returncode == 0, out.stderr
    candidates = json.loads(out.stdout)["candidates"]
    assert len(candidates) == 3
    for c in candidates:
        data = json.loads(Path(c["saved_path"]).read_text())
        assert data["chaos_engine"] == "litmuschaos" and "label_selector" in data["target_selector"]
        assert load_spec(Path(c["saved_path"])) == ExperimentSpec.model_validate(c["spec"])
    crater = craterctl("suggest", "--twin", "--count", "1", "--format", "seed", "--output", str(workdir / "c"))
    assert crater.returncode == 0, crater.stderr
    [written] = (workdir / "c").glob("*.json")
    assert json.loads(written.read_text())["parameters"]["duration"].endswith("s")
    dry = cli("run", str(written), "--twin", "--dry-run")
    assert dry.returncode == 0 and "dry_run" in dry.stdout, dry.stdout + dry.stderr


def test_status_shows_the_seeds_fields_and_recover_prints_json(cli: Cli, craterctl: Cli, workdir: Path) -> None:
    done = cli("run", str(spec_file(workdir)), "--twin", "--yes")
    run_id = re.search(r"Run (\w+): aborted", done.stdout).group(1)  # type: ignore[union-attr]
    status = json.loads(cli("status", run_id, "-o", "json").stdout)
    assert (status["status"], status["metrics_service"], status["slack_updates"]) == ("aborted", "front-end", None)
    assert set(status["current_metrics"]) == {"error_rate", "latency_p95", "cpu_usage"}
    assert 0 <= status["current_metrics"]["error_rate"] <= 1  # a fraction, as the seed shows it
    assert status["started"].startswith("20")
    seed = craterctl("status", run_id)
    lines = [line.strip() for line in seed.stdout.splitlines()]
    assert lines[:4] == [f"📊 Run ID: {run_id}", "Status: aborted", f"Started: {lines[2].split(': ', 1)[1]}",
                         "Current Metrics: (front-end)"]
    assert re.fullmatch(r"error_rate: [\d.e-]+", lines[4]), seed.stdout
    slack = os.environ | {"CHAOS_ADVISOR_SLACK__ENABLED": "true", "CHAOS_ADVISOR_SLACK__CHANNEL": "#sre-chaos",
                          "CHAOS_ADVISOR_SLACK__BOT_TOKEN": "xoxb-test"}
    on = subprocess.run([sys.executable, "-m", "agent", "status", run_id, "-o", "json", "-c", str(workdir / "stack.yaml")],
                        cwd=workdir, env=slack, capture_output=True, text=True, timeout=120)
    assert json.loads(on.stdout)["slack_updates"] == "https://slack.com/app_redirect?channel=sre-chaos", on.stderr
    for fmt, parse in (("json", json.loads), ("yaml", lambda text: text.strip())):
        recovered = cli("recover", "--twin", "-o", fmt)
        assert recovered.returncode == 0 and parse(recovered.stdout) in ([], "[]"), recovered.stdout + recovered.stderr


@pytest.mark.parametrize("argv0", [["-m", "agent"], ["-m", "agent.cli.craterctl"]], ids=["agent", "craterctl"])
def test_shell_completion_prints_a_script_that_completes(argv0: list[str]) -> None:
    out = subprocess.run([sys.executable, *argv0, "--show-completion", "bash"], capture_output=True, text=True, timeout=60)
    prog = "craterctl" if "craterctl" in argv0[-1] else "chaos-advisor"
    assert out.returncode == 0 and f"-F _{prog.replace('-', '_')}_completion {prog}" in out.stdout, out.stdout
    var = f"_{prog.replace('-', '_').upper()}_COMPLETE"
    env = os.environ | {var: "complete_bash", "COMP_WORDS": f"{prog} inv", "COMP_CWORD": "1"}
    # The shell runs the installed command, which sees its own name in argv[0].
    script = shutil.which(prog, path=str(Path(sys.executable).parent))
    assert script, f"{prog} is installed with the project (pyproject [project.scripts])"
    words = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60).stdout.split()
    assert words == ["inventory"]


HEAVY = ("langgraph", "langchain_core", "kubernetes", "pydantic")


@pytest.mark.parametrize("entry", ["agent.cli.main", "agent.cli.craterctl"])
def test_help_imports_none_of_the_heavy_libraries(entry: str) -> None:
    probe = ("import json, sys\n"
             f"from {entry} import main\n"
             "sys.argv = ['x', '--help']\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    loaded = {m.split(".")[0] for m in json.loads(out.stderr.strip().splitlines()[-1])}
    assert "typer" in loaded and not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
