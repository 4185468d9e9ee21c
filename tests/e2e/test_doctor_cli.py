"""``python -m agent doctor`` as a person runs it, against the real twin over HTTP: the full twin
passes every check (exit 0), and a twin started without each piece fails exactly the check that
piece answers, with its fix (exit 1). The twin is served by this test process (or by
``python -m agent twin --without ...`` in its own process) and the CLI attaches with ``twin.url``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]


def doctor(workdir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"CHAOS_ADVISOR_TWIN__URL": url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "agent", "doctor", "--twin", *args,
                           "--config", str(workdir / "stack.yaml")],
                          cwd=workdir, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def lines(out: subprocess.CompletedProcess[str], mark: str) -> list[str]:
    return [line for line in out.stdout.splitlines() if line.startswith(mark)]


@pytest.fixture
def served(workdir: Path) -> Iterator[Callable[..., str]]:
    """Serve a twin lacking the pieces named; its URL."""
    servers: list[TwinServer] = []

    def serve(*without: str) -> str:
        server = TwinServer(workdir / f"twin-{'-'.join(without) or 'full'}.json", without=without)
        servers.append(server)
        return server.start()

    yield serve
    for server in servers:
        server.stop()


def test_the_full_twin_passes_every_check(workdir: Path, served: Callable[..., str]) -> None:
    out = doctor(workdir, served())
    assert out.returncode == 0, out.stdout + out.stderr
    checks = [line for line in out.stdout.splitlines()[1:-1] if not line.startswith("    ")]
    assert len(checks) == 9 and all(line.startswith("✓ ") for line in checks), out.stdout
    for what in ("Kubernetes API", "RBAC cluster-wide", "RBAC in namespace sock-shop", "Litmus CRDs",
                 "Litmus chaos operator", "ChaosExperiments in sock-shop", "chaos service account sock-shop/litmus-admin",
                 "metrics of 14 targets", "pods of the 14 targets Ready: 14/14"):
        assert any(what in line for line in checks), what
    assert out.stdout.splitlines()[-1].startswith("Ready: a run can start")


@pytest.mark.parametrize(("piece", "failed", "fix"), [
    ("litmus", ["Litmus CRDs", "Litmus chaos operator"],
     "kubectl apply -f https://raw.githubusercontent.com/litmuschaos/chaos-operator/3.18.0/deploy/chaos_crds.yaml"),
    ("experiments", ["ChaosExperiments in sock-shop"],
     "-f https://raw.githubusercontent.com/litmuschaos/chaos-charts/3.18.0/faults/kubernetes/pod-delete/fault.yaml"),
    ("metrics", ["metrics of 14 targets"], "start it without --without metrics"),
    ("rbac", ["RBAC cluster-wide", "RBAC in namespace sock-shop"], "start it without --without rbac"),
])
def test_a_twin_without_a_piece_fails_that_check_with_its_fix(
    workdir: Path, served: Callable[..., str], piece: str, failed: list[str], fix: str
) -> None:
    out = doctor(workdir, served(piece))
    assert out.returncode == 1, out.stdout + out.stderr
    crossed = lines(out, "✗ ")
    assert [next(w for w in failed if w in line) for line in crossed] == failed, out.stdout
    fixes = [line for line in out.stdout.splitlines() if line.startswith("    fix: ")]
    assert len(fixes) == len(failed) and fix in fixes[0], out.stdout
    assert out.stdout.splitlines()[-1].startswith(f"Not ready: {len(failed)} check(s) failed")
    assert "Traceback" not in out.stderr


def test_without_litmus_the_experiments_are_not_blamed_twice(workdir: Path, served: Callable[..., str]) -> None:
    out = doctor(workdir, served("litmus"), "-o", "json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    status = {c["name"]: c["status"] for c in report["checks"]}
    assert report["ready"] is False and report["twin"] is True
    assert status["litmus-crds"] == status["litmus-operator"] == "fail"
    assert status["experiments:sock-shop"] == "skip"
    assert status["service-account:sock-shop"] == status["pods"] == status["metrics:sock-shop"] == "ok"


def test_the_twin_command_serves_a_cluster_without_litmus_in_its_own_state(workdir: Path) -> None:
    env = os.environ | {"COLUMNS": "200"}
    twin = subprocess.Popen([sys.executable, "-m", "agent", "twin", "--without", "litmus", "--port", "0",
                             "--config", str(workdir / "stack.yaml")],
                            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        assert twin.stdout is not None
        first = twin.stdout.readline()  # printed once it serves
        assert " without litmus" in first, first
        url = first.split(" at ", 1)[1].split()[0]
        out = doctor(workdir, url)
    finally:
        twin.terminate()
        twin.wait(timeout=10)
    assert out.returncode == 1
    assert [line.split(" (")[0] for line in lines(out, "✗ ")] == ["✗ Litmus CRDs", "✗ Litmus chaos operator"]
    states = sorted(p.name for p in (workdir / ".chaos-advisor" / "twin").glob("*.json"))
    assert states == ["sock-shop-without-litmus.json"]  # the full twin's state is not touched


def test_doctor_on_an_unreachable_api_says_so_and_skips_the_rest(workdir: Path) -> None:
    out = doctor(workdir, "http://127.0.0.1:9")  # the discard port: nothing listens
    assert out.returncode == 1, out.stdout + out.stderr
    assert lines(out, "✗ ")[0].startswith("✗ Kubernetes API at http://127.0.0.1:9")
    assert lines(out, "- ") == ["- every other check: skipped: the Kubernetes API did not answer"]
