"""`--junit` and `--result` through the real CLI on the twin, as a CI job runs it (no terminal, `--yes`):
a run whose steady state held (0), one that found a weakness (3), one aborted by its threshold (4),
one left waiting (7) and then resumed, one refused (6); every file valid against Jenkins' xUnit
JUnit schema and the shipped result JSON Schema, and readable by junitparser."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import junitparser
import xmlschema

Cli = Callable[..., subprocess.CompletedProcess[str]]
ROOT = Path(__file__).resolve().parents[2]
XSD = xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit" / "junit-10.xsd"))
SCHEMA = json.loads((ROOT / "agent" / "report" / "data" / "result.schema.json").read_text())


def pod_delete(workdir: Path, service: str, *, max_errors: float, **extra: object) -> Path:
    spec = {"title": f"{service} pod delete", "description": f"Delete the {service} pod.", "action": "pod-delete",
            "target_selector": {"service": service, "namespace": "sock-shop", "labels": {"name": service}},
            "parameters": {"duration_s": 30, "chaos_interval_s": 30},
            "abort_threshold": {"service": "front-end", "error_rate_pct": max_errors},
            "expected_impact": "see the steady state", "risk_level": "low"} | extra
    path = workdir / f"{service}-{max_errors:g}.json"
    path.write_text(json.dumps(spec))
    return path


def artifacts(workdir: Path, name: str) -> tuple[Path, Path]:
    return workdir / "out" / f"{name}.xml", workdir / "out" / f"{name}.json"


def read(junit: Path, result: Path) -> tuple[dict[str, object], dict[str, list[tuple[str, str]]]]:
    """Both files checked as CI reads them; the test cases by suite: (name, outcome, message)."""
    data = json.loads(result.read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    XSD.validate(str(junit))
    suites: dict[str, list[tuple[str, str]]] = {}
    for suite in junitparser.JUnitXml.fromfile(str(junit)):
        for case in suite:
            outcome = next((type(r).__name__ for r in case.result), "Passed")
            message = next((r.message or "" for r in case.result), "")
            suites.setdefault(suite.name.split(": ")[-1], []).append((f"{case.name}: {outcome}", message))
    return data, suites


def test_held_refuted_and_aborted_runs_write_valid_artifacts_and_exit_0_3_4(cli: Cli, workdir: Path) -> None:
    # rabbitmq: only shipping calls it, asynchronously: users never notice its pod going.
    junit, result = artifacts(workdir, "held")
    held = cli("run", str(pod_delete(workdir, "rabbitmq", max_errors=5)), "--twin", "--yes",
               "--junit", str(junit), "--result", str(result))
    assert held.returncode == 0, held.stdout + held.stderr
    data, suites = read(junit, result)
    assert (data["verdict"], data["exit_code"], data["outcome"]) == ("held", 0, "completed")
    assert [c for c, _ in suites["run"]] == ["run: Passed"]
    assert all(c.endswith("Passed") for c, _ in suites["steady state"])
    assert str(data["plan_hash"]).startswith("sha256:") and data["approval"]["channel"] == "cli"  # type: ignore[index]
    assert [a["action"] for a in data["executed"]] == ["dry_run", "apply"]  # type: ignore[index,union-attr]
    # times: the run's case from the injection to the last sample read, each check's case its samples' span
    ends = [c["window"]["to_s"] for c in data["steady_state"] if c["window"]["to_s"] is not None]  # type: ignore[index,union-attr]
    xml = junitparser.JUnitXml.fromfile(str(junit))
    [run_case] = [case for suite in xml if suite.name.endswith(": run") for case in suite]
    assert run_case.time == round(max(ends), 3) > 0
    steady = [case for suite in xml if suite.name.endswith(": steady state") for case in suite]
    assert all(0 < case.time <= run_case.time for case in steady)

    # carts-db has one replica: users see errors at front-end (a weakness), below the 50% abort.
    junit, result = artifacts(workdir, "refuted")
    refuted = cli("run", str(pod_delete(workdir, "carts-db", max_errors=50)), "--twin", "--yes",
                  "--junit", str(junit), "--result", str(result))
    assert refuted.returncode == 3, refuted.stdout + refuted.stderr
    assert "Verdict: refuted (exit 3)" in refuted.stdout
    data, suites = read(junit, result)
    assert data["verdict"] == "refuted" and data["abort_reason"] is None
    [(case, message)] = [c for c in suites["steady state"] if c[0].startswith("front-end error rate")]
    assert case.endswith("Failure")
    assert re.search(r"front-end error rate left its band [\d.]+–[\d.]+% \(baseline mean [\d.]+%\): [\d.]+% at T\+\d+s",
                     message), message
    check = next(c for c in data["steady_state"] if c["id"] == "steady_state.front-end.error_rate_pct")  # type: ignore[union-attr,attr-defined]
    assert check["query"] and check["baseline"]["samples"] >= 1 and len(check["samples"]) >= 3
    assert check["window"]["from_s"] > 0 and check["threshold"]["op"] == "within"

    junit, result = artifacts(workdir, "aborted")
    aborted = cli("run", str(pod_delete(workdir, "carts-db", max_errors=1)), "--twin", "--yes",
                  "--junit", str(junit), "--result", str(result))
    assert aborted.returncode == 4, aborted.stdout + aborted.stderr
    data, suites = read(junit, result)
    assert data["verdict"] == "aborted" and re.fullmatch(r"front-end error rate [\d.]+% > 1%", str(data["abort_reason"]))
    assert [a["action"] for a in data["executed"]] == ["dry_run", "apply", "stop"]  # type: ignore[index,union-attr]
    [(case, message)] = [c for c in suites["steady state"] if c[0].startswith("abort when")]
    assert case.endswith("Failure") and re.search(r"held at T\+\d+s \(front-end [\d.]+%\)", message), message
    assert suites["run"][0][0] == "run: Failure" and "aborted (exit 4)" in suites["run"][0][1]

    # --result is a copy of what narrate wrote beside the report (built from the run's data alone).
    beside = Path(str(data["report"])).with_suffix(".result.json")
    assert beside.read_text() == result.read_text()


def test_a_run_left_waiting_exits_7_then_resume_and_a_refusal_write_theirs(cli: Cli, workdir: Path) -> None:
    junit, result = artifacts(workdir, "waiting")
    paused = cli("run-graph", "--twin", "--junit", str(junit), "--result", str(result))
    assert paused.returncode == 7 and "waits for approval" in paused.stdout, paused.stdout + paused.stderr
    data, suites = read(junit, result)
    run_id = str(data["run_id"])
    assert (data["verdict"], data["exit_code"], data["outcome"]) == ("waiting", 7, None)
    assert suites == {"run": [("run: Skipped", "waiting (exit 7): waiting for an approval")]}

    junit, result = artifacts(workdir, "resumed")
    done = cli("resume", run_id, "--approve", "1", "--junit", str(junit), "--result", str(result))
    data, _ = read(junit, result)
    assert data["run_id"] == run_id and done.returncode == data["exit_code"] != 7, done.stdout + done.stderr
    assert data["approval"]["choice"] == 1 and data["spec"]["title"]  # type: ignore[index]

    junit, result = artifacts(workdir, "refused")
    too_long = pod_delete(workdir, "carts-db", max_errors=50, parameters={"duration_s": 3600, "chaos_interval_s": 30})
    refused = cli("run", str(too_long), "--twin", "--yes", "--junit", str(junit), "--result", str(result))
    assert refused.returncode == 6, refused.stdout + refused.stderr
    data, suites = read(junit, result)
    assert data["verdict"] == "refused" and "policy.max_duration_s" in str(data["reason"])
    assert [s["action"] for s in data["skipped"]] == ["dry_run", "apply"]  # type: ignore[union-attr,index]
    assert suites["run"][0][0] == "run: Failure" and "policy.max_duration_s" in suites["run"][0][1]


def test_an_unwritable_artifact_path_is_a_usage_error_before_anything_runs(cli: Cli, workdir: Path) -> None:
    (workdir / "out").mkdir()
    out = cli("run", str(pod_delete(workdir, "rabbitmq", max_errors=5)), "--twin", "--yes", "--junit", str(workdir / "out"))
    assert out.returncode == 2 and "--junit" in out.stdout + out.stderr and "is a directory" in out.stdout + out.stderr
    assert not (workdir / ".chaos-advisor").exists()  # nothing ran: no state, no run
