"""Bad input to the real CLI (``python -m agent`` in a subprocess): one line naming the file or
flag, the field and the fix; exit 1 (bad input) or 2 (usage, configuration); no traceback; and
nothing written: the working directory is the same file tree afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.property.cli_harness import invoke

Cli = Callable[..., subprocess.CompletedProcess[str]]
SPEC = {
    "title": "Carts-db pod delete", "description": "Delete the carts-db pod.", "env": "k8s", "action": "pod-delete",
    "target_selector": {"service": "carts-db", "namespace": "sock-shop", "labels": {"name": "carts-db"}},
    "parameters": {"duration_s": 30, "chaos_interval_s": 30, "force": False},
    "abort_threshold": {"service": "front-end", "error_rate_pct": 20}, "expected_impact": "carts fail",
    "risk_level": "medium", "chaos_engine": "litmus",
}


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def refused(cli: Cli, workdir: Path, *args: str, code: int, names: list[str], config: bool = True) -> str:
    """Run the command; assert the exit code, no traceback, one ``error:`` line naming every
    one of ``names``, and no file written. Returns the line."""
    before = tree(workdir)
    out = cli(*args, config=config)
    text = out.stdout + out.stderr
    assert out.returncode == code, text
    assert "Traceback" not in text
    [line] = [x for x in text.splitlines() if x.strip()]
    assert line.startswith("error: "), line
    assert all(n in line for n in names), (names, line)
    assert tree(workdir) == before, tree(workdir) - before
    return line


def usage_error(cli: Cli, workdir: Path, *args: str, flag: str) -> None:
    """A Typer usage error: exit 2, the flag named, no traceback, nothing written."""
    before = tree(workdir)
    out = cli(*args)
    text = out.stdout + out.stderr
    assert out.returncode == 2 and "Traceback" not in text, text
    assert [x for x in text.splitlines() if f"'{flag}'" in x], text
    assert tree(workdir) == before


def edit(workdir: Path, section: str, **values: object) -> None:
    path = workdir / "stack.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc[section] = {**doc.get(section, {}), **values}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


# --- spec files (run SPEC) ----------------------------------------------------------------------------------


def test_dev_zero_a_fifo_a_50_mb_file_and_a_directory_are_refused(cli: Cli, workdir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would block
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # 50 MB of zero bytes, sparse
    for spec, why in ((Path("/dev/zero"), "a character device"), (fifo, "a FIFO"), (huge, "over the limit of 1,048,576"),
                      (tmp_path, "a directory")):
        refused(cli, workdir, "run", str(spec), "--twin", "--yes", code=1, names=[str(spec), why])


def test_each_ends_within_a_second(workdir: Path, tmp_path: Path) -> None:
    # The command itself, in-process (a subprocess adds the interpreter's start-up to the time).
    fifo, huge = tmp_path / "fifo.json", tmp_path / "huge.json"
    os.mkfifo(fifo)
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    for spec in (Path("/dev/zero"), fifo, huge):
        start = time.monotonic()
        outcome = invoke("run", spec, "--twin", "--yes", "--config", workdir / "stack.yaml", case="e2e").check()
        assert time.monotonic() - start < 1.0 and outcome.code == 1 and len(outcome.errors()) == 1


def test_the_size_limit_is_paths_max_spec_bytes(cli: Cli, workdir: Path) -> None:
    edit(workdir, "paths", max_spec_bytes=1024)
    spec = workdir / "spec.json"
    spec.write_text(json.dumps({**SPEC, "description": "x" * 2000}))
    refused(cli, workdir, "run", str(spec), "--twin", "--yes", code=1, names=["spec.json", "paths.max_spec_bytes"])


@pytest.mark.parametrize(("value", "says"), [(10**30, "less than or equal to 604800"), (True, "valid integer"),
                                              ("30", "valid integer")])
def test_a_duration_beyond_64_bits_a_boolean_or_a_string_is_refused(cli: Cli, workdir: Path, value: object,
                                                                     says: str) -> None:
    spec = workdir / "spec.json"
    spec.write_text(json.dumps({**SPEC, "parameters": {**SPEC["parameters"], "duration_s": value}}))
    refused(cli, workdir, "run", str(spec), "--twin", "--yes", code=1,
            names=[str(spec), "parameters.duration_s", says, repr(value)])


# --- stack.yaml and --manifests -------------------------------------------------------------------------------


def test_a_stack_yaml_that_is_not_utf8(cli: Cli, workdir: Path) -> None:
    (workdir / "stack.yaml").write_bytes(b"\xff\xfe\x00\x01garbage")
    refused(cli, workdir, "inventory", "--twin", code=2, names=["stack.yaml", "not UTF-8"])


def test_a_dependency_on_an_unknown_service_names_the_entry(cli: Cli, workdir: Path) -> None:
    path = workdir / "stack.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["k8s"]["dependencies"].append({"source": "front-end", "target": "ghost"})
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    line = refused(cli, workdir, "inventory", "--twin", code=2, names=["k8s.dependencies[15].target", "'ghost'"])
    assert len(line) < 300 and "target_services': [" not in line  # the entry, not the whole k8s section


@pytest.mark.parametrize(("content", "says"), [(b"kind: Service\nmetadata: {name: [\n", "line 3: not valid YAML"),
                                               (b"\xff\xfe\x00\x01garbage", "not UTF-8")])
def test_manifests_that_are_not_yaml(cli: Cli, workdir: Path, tmp_path: Path, content: bytes, says: str) -> None:
    manifests = tmp_path / "bad.yaml"
    manifests.write_bytes(content)
    for command in ("inventory", "run-graph", "twin"):
        refused(cli, workdir, command, "--manifests", str(manifests), code=2, names=[f"--manifests {manifests}", says])


# --- state and output directories -------------------------------------------------------------------------------


def test_a_state_dir_that_cannot_be_made(cli: Cli, workdir: Path) -> None:
    edit(workdir, "paths", state_dir="/proc/nope/state")
    for args in (("inventory", "--twin"), ("suggest", "--twin"), ("run-graph", "--twin", "--reject"), ("approvals",)):
        refused(cli, workdir, *args, code=2, names=["stack.yaml paths.state_dir", "'/proc/nope/state'"])


@pytest.mark.parametrize(("sqlite_path", "says"), [("/", "is a directory"), ("/proc/nope/c.sqlite", "cannot make"),
                                                   ("stack.yaml", "cannot use")])
def test_a_sqlite_path_that_cannot_be_a_database(cli: Cli, workdir: Path, sqlite_path: str, says: str) -> None:
    edit(workdir, "checkpoint", sqlite_path=sqlite_path)
    refused(cli, workdir, "run-graph", "--twin", "--reject", code=2, names=["checkpoint.sqlite_path", says])
    refused(cli, workdir, "status", "9b34d0d2", code=2, names=["checkpoint.sqlite_path"])


def test_output_directories_that_cannot_be_made(cli: Cli, workdir: Path) -> None:
    refused(cli, workdir, "suggest", "--twin", "--output", "/proc/nope", code=2, names=["--output", "'/proc/nope'"])
    refused(cli, workdir, "manifests", "--output-dir", "/proc/nope", code=2, names=["--output-dir", "'/proc/nope'"])
    refused(cli, workdir, "manifests", "--output-dir", str(workdir / "stack.yaml"), code=2,
            names=["--output-dir", "it is a file"])


# --- numbers and ids on the command line --------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "21", "99999999999999999999999"])
def test_approve_out_of_range_is_a_usage_error(cli: Cli, workdir: Path, value: str) -> None:
    usage_error(cli, workdir, "resume", "9b34d0d2", "--approve", value, flag="--approve")
    usage_error(cli, workdir, "run-graph", "--twin", "--approve", value, flag="--approve")


@pytest.mark.parametrize("value", ["0", "-3", "100000"])
def test_count_out_of_range_is_a_usage_error(cli: Cli, workdir: Path, value: str) -> None:
    usage_error(cli, workdir, "suggest", "--twin", "--count", value, flag="--count")
    usage_error(cli, workdir, "run-graph", "--twin", "--count", value, flag="--count")


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_abort_timeout_out_of_range_is_a_usage_error(cli: Cli, workdir: Path, value: str) -> None:
    usage_error(cli, workdir, "abort", "9b34d0d2", "--timeout", value, flag="--timeout")


def test_a_run_id_that_is_not_text_is_a_usage_error(cli: Cli, workdir: Path) -> None:
    usage_error(cli, workdir, "status", "a\tb", flag="run_id")


@pytest.mark.parametrize("field", ["reports", "experiments"])
def test_a_report_or_spec_folder_that_cannot_be_made_stops_the_run_before_any_chaos(tmp_path: Path, field: str) -> None:
    import shutil
    import sys

    shutil.copy(Path(__file__).resolve().parents[2] / "stack.yaml", tmp_path / "stack.yaml")
    stack = yaml.safe_load((tmp_path / "stack.yaml").read_text())
    stack.setdefault("paths", {})[field] = "/proc/nope/" + field
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(stack))
    done = subprocess.run([sys.executable, "-m", "agent", "run-graph", "--twin", "--approve", "1", "--config",
                           str(tmp_path / "stack.yaml")], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert f"paths.{field}: cannot make the directory" in done.stdout
    assert not (tmp_path / ".chaos-advisor" / "twin").exists()  # no cluster was even started
