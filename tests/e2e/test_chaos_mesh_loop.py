"""The whole loop on Chaos Mesh: ``engines.default: chaos-mesh`` in stack.yaml, a twin with Chaos Mesh
installed (served by this test process, so it outlives a killed agent), the real CLI in subprocesses.

The run's chaos is a Chaos Mesh object (never a ChaosEngine), applied, watched, stopped and found
again through the same port as Litmus (``agent.run.chaos``): a crash between its apply and the
checkpoint leaves an object ``recover`` finds by the agent's label; ``abort`` pauses it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client

from twin import TwinServer

NS = "sock-shop"
WAIT_S = 120
RAN = (0, 3, 4, 5)  # held, refuted, aborted, inconclusive
PAUSE = "experiment.chaos-mesh.org/pause"


@dataclass
class Mesh:
    twin: TwinServer
    workdir: Path
    env: dict[str, str]

    def cli(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        done = subprocess.run([sys.executable, "-m", "agent", *args, "--config", str(self.workdir / "stack.yaml")],
                              cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode in ok, done.stdout + done.stderr
        return done.stdout

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "agent", *args, "--config", str(self.workdir / "stack.yaml")],
                                cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def objects(self, plural: str) -> list[dict[str, object]]:
        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=self.twin.url)))
        group = "litmuschaos.io" if plural == "chaosengines" else "chaos-mesh.org"
        items: list[dict[str, object]] = api.list_namespaced_custom_object(group, "v1alpha1", NS, plural)["items"]  # type: ignore[index]
        return items

    def run_id(self) -> str:
        [run] = [p.name for p in (self.workdir / ".chaos-advisor" / "runs").iterdir() if not p.name.startswith("_")]
        return run

    def killed_after_apply(self) -> str:
        """The id of a run-graph SIGKILLed once its PodChaos landed but before the answer reached it."""
        held = self.twin.inject("POST", "/podchaos", dry_run=False, hold=True, after=True)  # lands, answer lost
        agent = self.spawn("run-graph", "--twin", "--approve", "1")
        assert held.seen.wait(WAIT_S)
        agent.send_signal(signal.SIGKILL)
        assert agent.wait(timeout=30) == -signal.SIGKILL
        self.twin.heal()
        return self.run_id()


def _mesh(workdir: Path, tmp_path: Path, *, installed: bool, dns: bool = True) -> Iterator[Mesh]:
    with (workdir / "stack.yaml").open("a", encoding="utf-8") as f:
        f.write("\nengines:\n  default: chaos-mesh\n")
    with TwinServer(tmp_path / "cluster.json", start_time=1_800_000_000.0, chaos_mesh=installed,
                    chaos_mesh_dns=dns) as twin:
        env = os.environ | {"CHAOS_ADVISOR_TWIN__URL": twin.url, "CHAOS_ADVISOR_TWIN__SPEED": "1000000",
                            "CHAOS_ADVISOR_K8S__RETRY_BACKOFF_S": "0", "COLUMNS": "250"}
        yield Mesh(twin, workdir, env)
        twin.heal()


@pytest.fixture
def mesh(workdir: Path, tmp_path: Path) -> Iterator[Mesh]:
    yield from _mesh(workdir, tmp_path, installed=True)


def _paused(obj: dict[str, object]) -> bool:
    annotations = obj["metadata"].get("annotations") or {}  # type: ignore[attr-defined]
    conditions = {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", [])}  # type: ignore[attr-defined]
    return annotations.get(PAUSE) == "true" and conditions.get("Paused") == "True"


def test_the_whole_loop_runs_on_chaos_mesh_and_the_tldr_names_its_object(mesh: Mesh) -> None:
    out = mesh.cli("run-graph", "--twin", "--approve", "1", ok=RAN)
    run = mesh.run_id()
    [pod_chaos] = mesh.objects("podchaos")
    assert pod_chaos["metadata"]["name"] == f"ca-{run}"  # type: ignore[index]
    assert pod_chaos["metadata"]["labels"] == {  # type: ignore[index]
        "app.kubernetes.io/managed-by": "chaos-advisor", "chaos-advisor.io/run-id": run}
    assert mesh.objects("chaosengines") == []  # Litmus was never asked
    tldr = next(line for line in out.splitlines() if line.startswith("Finding:"))
    assert f"(Chaos Mesh PodChaos {NS}/ca-{run})" in tldr and "completed" in tldr
    conditions = {c["type"]: c["status"] for c in pod_chaos["status"]["conditions"]}  # type: ignore[index]
    assert conditions["AllRecovered"] == "True" and pod_chaos["status"]["experiment"]["desiredPhase"] == "Stop"  # type: ignore[index]
    audit = [json.loads(line) for line in (mesh.workdir / ".chaos-advisor" / "audit.jsonl").read_text().splitlines()]
    writes = [(e["action"], e["what"]) for e in audit if e["action"].startswith("engine_") and e["result"] == "ok"]
    assert writes == [("engine_dry_run", f"PodChaos {NS}/ca-{run}"), ("engine_apply", f"PodChaos {NS}/ca-{run}")]
    [report] = (mesh.workdir / "reports").glob(f"*_{run}.md")
    text = report.read_text()
    assert f"| Chaos object | Chaos Mesh PodChaos {NS}/ca-{run} |" in text
    assert "Litmus verdict" not in text and "Steady-state probes (Litmus)" not in text  # Chaos Mesh has neither
    spec = json.loads(next((mesh.workdir / "experiments").glob("*.json")).read_text())
    assert spec["chaos_engine"] == "chaos-mesh"  # engines.default, written into the spec the policy checked


def test_a_crash_after_the_apply_leaves_an_object_recover_finds_by_label_and_stops(mesh: Mesh) -> None:
    run = mesh.killed_after_apply()
    [orphan] = mesh.objects("podchaos")
    assert orphan["metadata"]["name"] == f"ca-{run}" and not _paused(orphan)  # type: ignore[index]
    plan = mesh.cli("recover", "--twin", "--stop", "--dry-run")
    assert f"PodChaos {NS}/ca-{run} active" in plan and "would stop its engine" in plan
    out = mesh.cli("recover", "--twin", "--stop")
    assert "interrupted before execute" in out and "resumed: aborted" in out, out
    [stopped] = mesh.objects("podchaos")
    assert _paused(stopped)  # paused, not deleted: the report reads the controller's recovery
    assert len(list((mesh.workdir / "reports").glob(f"*_{run}.md"))) == 1
    assert "Nothing to recover" in mesh.cli("recover", "--twin")


def test_abort_pauses_the_runs_chaos_mesh_object(mesh: Mesh) -> None:
    run = mesh.killed_after_apply()
    out = mesh.cli("abort", run)
    assert f"ca-{run}" in out and PAUSE in out, out
    [obj] = mesh.objects("podchaos")
    assert _paused(obj)
    audit = (mesh.workdir / ".chaos-advisor" / "audit.jsonl").read_text()
    assert f"PodChaos {NS}/ca-{run}: paused it ({PAUSE})" in audit


def test_a_fault_chaos_mesh_cannot_do_is_refused_with_the_reason(mesh: Mesh) -> None:
    spec = {
        "title": "Fill carts' disk", "description": "x", "action": "disk-fill",
        "target_selector": {"namespace": NS, "labels": {"name": "carts"}, "service": "carts"},
        "parameters": {"duration_s": 30, "fill_percentage": 80},
        "abort_threshold": {"service": "front-end", "error_rate_pct": 50},
        "expected_impact": "x", "risk_level": "high", "chaos_engine": "chaos-mesh",
    }
    path = mesh.workdir / "disk.json"
    path.write_text(json.dumps(spec))
    out = mesh.cli("run", str(path), "--twin", "--yes", ok=(6,))
    assert "Chaos Mesh has no disk fill" in out and "use chaos_engine: litmus" in out, out
    assert mesh.objects("podchaos") == [] and mesh.objects("chaosengines") == []


def _dns_spec(mesh: Mesh) -> Path:
    """pod-dns-error on front-end: its lookups of catalogue fail (what Litmus's TARGET_HOSTNAMES names)."""
    spec = {
        "title": "Front-end cannot resolve catalogue", "description": "x", "action": "pod-dns-error",
        "target_selector": {"namespace": NS, "labels": {"name": "front-end"}, "service": "front-end"},
        "parameters": {"duration_s": 30, "target_hostnames": ["catalogue"]},
        "abort_threshold": {"service": "front-end", "error_rate_pct": 50},
        "expected_impact": "x", "risk_level": "medium", "chaos_engine": "chaos-mesh",
    }
    path = mesh.workdir / "dns.json"
    path.write_text(json.dumps(spec))
    return path


def test_a_dns_fault_runs_through_chaos_mesh_and_its_callers_see_errors(mesh: Mesh) -> None:
    out = mesh.cli("run", str(_dns_spec(mesh)), "--twin", "--yes", ok=RAN)
    run = mesh.run_id()
    [dns] = mesh.objects("dnschaos")
    assert dns["metadata"]["name"] == f"ca-{run}"  # type: ignore[index]
    assert dns["spec"]["action"] == "error" and dns["spec"]["patterns"] == ["catalogue", "catalogue.*"]  # type: ignore[index]
    conditions = {c["type"]: c["status"] for c in dns["status"]["conditions"]}  # type: ignore[index]
    assert conditions["AllRecovered"] == "True" and dns["status"]["experiment"]["desiredPhase"] == "Stop"  # type: ignore[index]
    assert mesh.objects("chaosengines") == []
    tldr = next(line for line in out.splitlines() if line.startswith("Finding:"))
    assert f"(Chaos Mesh DNSChaos {NS}/ca-{run})" in tldr, tldr
    [report] = (mesh.workdir / "reports").glob(f"*_{run}.md")
    effect = next(line for line in report.read_text().splitlines() if line.startswith("| Effect |"))
    assert "observed at" in effect and "error rate" in effect, effect  # front-end's errors, from the metrics


@pytest.fixture
def no_dns(workdir: Path, tmp_path: Path) -> Iterator[Mesh]:
    yield from _mesh(workdir, tmp_path, installed=True, dns=False)


def test_dns_chaos_is_refused_where_chaos_meshs_dns_server_is_missing(no_dns: Mesh) -> None:
    out = " ".join(no_dns.cli("run", str(_dns_spec(no_dns)), "--twin", "--yes", ok=(6,)).split())  # unwrapped
    assert "DNSChaos needs Chaos Mesh's DNS server (Service chaos-mesh/chaos-mesh-dns-server" in out, out
    assert "use chaos_engine: litmus" in out
    assert no_dns.objects("dnschaos") == [] and no_dns.objects("chaosengines") == []


@pytest.fixture
def bare(workdir: Path, tmp_path: Path) -> Iterator[Mesh]:
    yield from _mesh(workdir, tmp_path, installed=False)


def test_chaos_mesh_is_refused_where_the_cluster_lacks_its_crds(bare: Mesh) -> None:
    out = bare.cli("run-graph", "--twin", "--approve", "1", ok=(6,))
    assert "chaos-mesh is not installed on this cluster" in out, out
    assert bare.objects("chaosengines") == []


def test_the_in_process_twin_has_chaos_mesh_when_it_is_the_default_engine(workdir: Path, cli) -> None:  # type: ignore[no-untyped-def]
    assert "engines: litmus\n" in cli("inventory", "--twin").stdout.replace("\r", "")
    with (workdir / "stack.yaml").open("a", encoding="utf-8") as f:
        f.write("\nengines:\n  default: chaos-mesh\n")
    assert "engines: litmus, chaos-mesh" in cli("inventory", "--twin").stdout


def test_io_latency_runs_as_an_iochaos_and_the_report_shows_the_callers_slower(mesh: Mesh) -> None:
    stack = mesh.workdir / "stack.yaml"  # io-latency is no default action: allow it, as a person would
    stack.write_text(stack.read_text().replace("pod-dns-error]", "pod-dns-error, io-latency]", 1))
    spec = {
        "title": "Slow disk under carts-db", "description": "x", "action": "io-latency",
        "target_selector": {"namespace": NS, "labels": {"name": "carts-db"}, "service": "carts-db"},
        "parameters": {"duration_s": 30, "io_latency_ms": 400, "volume_path": "/tmp"},  # its emptyDir
        "abort_threshold": {"service": "front-end", "error_rate_pct": 50},
        "expected_impact": "x", "risk_level": "medium",  # no chaos_engine: engines.default (chaos-mesh)
    }
    path = mesh.workdir / "io.json"
    path.write_text(json.dumps(spec | {"chaos_engine": "litmus"}))
    refused = " ".join(mesh.cli("run", str(path), "--twin", "--yes", ok=(6,)).split())
    assert "litmus cannot run it: io-latency: Litmus has no I/O latency fault" in refused, refused
    assert "use chaos_engine: chaos-mesh" in refused and mesh.objects("chaosengines") == []
    path.write_text(json.dumps(spec))
    out = mesh.cli("run", str(path), "--twin", "--yes", ok=RAN)
    run = re.search(r"^Run (\w+):", out, re.M).group(1)  # type: ignore[union-attr]  # the refused run has one too
    [io] = mesh.objects("iochaos")
    assert io["metadata"]["name"] == f"ca-{run}"  # type: ignore[index]
    assert {k: io["spec"][k] for k in ("action", "volumePath", "path", "delay", "percent")} == {  # type: ignore[index]
        "action": "latency", "volumePath": "/tmp", "path": "/tmp/**/*", "delay": "400ms", "percent": 100}
    conditions = {c["type"]: c["status"] for c in io["status"]["conditions"]}  # type: ignore[index]
    assert conditions["AllRecovered"] == "True" and io["status"]["experiment"]["desiredPhase"] == "Stop"  # type: ignore[index]
    assert mesh.objects("chaosengines") == []
    tldr = next(line for line in out.splitlines() if line.startswith("Finding:"))
    assert f"(Chaos Mesh IOChaos {NS}/ca-{run})" in tldr, tldr
    [report] = (mesh.workdir / "reports").glob(f"*_{run}.md")
    text = report.read_text()
    for caller in ("carts", "orders"):  # carts-db's direct caller, and its caller: slower by about the delay
        before, peak = map(float, re.search(rf"- {caller} p95 latency: ([\d.]+) ms before, peak ([\d.]+) ms", text).groups())  # type: ignore[union-attr]
        assert peak - before > 300, (caller, before, peak)
    assert "Give the callers of carts-db (carts" in text  # io-latency's advice: timeouts and a breaker
