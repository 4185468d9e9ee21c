"""The twin's state file, virtual clock and determinism, and kubectl against it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

NS = "sock-shop"
TWIN_START = 1_800_000_000.0  # as in conftest: every test twin starts here


def test_state_survives_a_new_server_on_the_same_file(state_path: Path, make_engine,
                                                      twin_at) -> None:
    with twin_at(state_path) as twin:
        pods = sorted(p.metadata.name for p in twin.core.list_namespaced_pod(NS).items)
        twin.create_engine(make_engine("long", "pod-delete", "name=catalogue",
                                       env={"TOTAL_CHAOS_DURATION": "60", "CHAOS_INTERVAL": "30"}))
        clock = twin.advance(10)
        uid = twin.get("chaosengines", "long")["metadata"]["uid"]
    assert state_path.exists()
    with twin_at(state_path, start_time=TWIN_START + 999, seed=7) as twin:
        assert twin.now() == clock  # the stored clock, not the new start time
        engine = twin.get("chaosengines", "long")
        assert engine["metadata"]["uid"] == uid
        assert engine["status"]["engineStatus"] == "initialized"
        now_pods = sorted(p.metadata.name for p in twin.core.list_namespaced_pod(NS).items
                          if "chaosUID" not in (p.metadata.labels or {}))  # not Litmus's runner and experiment
        assert len(set(now_pods) - set(pods)) == 1  # the replaced catalogue pod
        assert len(twin.pods(f"chaosUID={uid}")) == 2  # which the second server still serves
        twin.advance(60)  # the run started by the first server finishes on the second
        assert twin.get("chaosengines", "long")["status"]["engineStatus"] == "completed"


def test_two_servers_share_one_state_file(state_path: Path, make_engine, twin_at) -> None:
    with twin_at(state_path) as twin_a, twin_at(state_path, start_time=None) as twin_b:
        twin_a.create_engine(make_engine("shared", "pod-delete", "name=carts", state="stop"))
        assert twin_b.get("chaosengines", "shared")["metadata"]["name"] == "shared"
        twin_b.advance(42)
        assert twin_a.now() == TWIN_START + 42
        twin_b.custom.patch_namespaced_custom_object(
            "litmuschaos.io", "v1alpha1", NS, "chaosengines", "shared",
            {"spec": {"engineState": "active"}})
        assert twin_a.get("chaosengines", "shared")["status"]["engineStatus"] == "initialized"


def test_another_process_serves_the_same_cluster(state_path: Path, make_engine, twin_at,
                                                 connect_url) -> None:
    with twin_at(state_path) as local:
        child = subprocess.Popen(
            [sys.executable, "-m", "twin", "--state", str(state_path)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert child.stdout is not None
            match = re.search(r"http://127\.0\.0\.1:\d+", child.stdout.readline())
            assert match, "the twin process did not print its URL"
            remote = connect_url(match.group(0))
            local.create_engine(make_engine("paused", "pod-delete", "name=user", state="stop"))
            assert remote.get("chaosengines", "paused")["spec"]["engineState"] == "stop"
            remote.custom.patch_namespaced_custom_object(
                "litmuschaos.io", "v1alpha1", NS, "chaosengines", "paused",
                {"spec": {"engineState": "active"}})
            remote.advance(20)
            assert local.now() == TWIN_START + 20
            assert local.get("chaosengines", "paused")["status"]["engineStatus"] == "completed"
        finally:
            child.terminate()
            child.wait(timeout=10)


def test_same_seed_same_cluster(tmp_path: Path, twin_at) -> None:
    def names_and_uids(path: Path, seed: int) -> list[tuple[str, str]]:
        with twin_at(path, seed=seed, start_time=None) as twin:
            pods = twin.core.list_pod_for_all_namespaces().items
        return sorted((p.metadata.name, p.metadata.uid) for p in pods)

    first = names_and_uids(tmp_path / "a.json", 42)
    assert first == names_and_uids(tmp_path / "b.json", 42)
    assert {n for n, _ in first} != {n for n, _ in names_and_uids(tmp_path / "c.json", 43)}


def test_same_seed_same_chaos(tmp_path: Path, make_engine, twin_at) -> None:
    def run(path: Path) -> list[str]:
        with twin_at(path) as twin:
            twin.create_engine(make_engine("same", "pod-delete", "name=user"))
            twin.advance(100)
            return twin.events("same") + [json.dumps(twin.signals(), sort_keys=True)]

    assert run(tmp_path / "a.json") == run(tmp_path / "b.json")


def test_clock_moves_only_when_told(twin) -> None:
    assert twin.now() == TWIN_START
    twin.core.list_namespaced_pod(NS)
    assert twin.now() == TWIN_START
    assert twin.advance(2.5) == TWIN_START + 2.5
    request = urllib.request.Request(f"{twin.url}/twin/v1/clock/advance",
                                     data=b'{"seconds": -1}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(request)
    assert bad.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as unknown_ns:
        urllib.request.urlopen(f"{twin.url}/twin/v1/signals?namespace=nope")
    assert unknown_ns.value.code == 404


def test_signals_cover_every_workload(twin) -> None:
    signals = twin.signals()
    assert len(signals) == 14
    for values in signals.values():
        assert set(values) == {"error_rate_pct", "latency_p95_ms", "cpu_millicores",
                               "memory_mib", "replicas", "ready_replicas", "restarts"}
        assert values["error_rate_pct"] < 1 and values["replicas"] == values["ready_replicas"]
    # noise is small and deterministic per second
    twin.advance(1)
    again = twin.signals()
    assert again["front-end"]["latency_p95_ms"] == pytest.approx(
        signals["front-end"]["latency_p95_ms"], rel=0.07)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_gets_pods(twin, tmp_path: Path) -> None:
    run = subprocess.run(
        ["kubectl", "--server", twin.url, "--cache-dir", str(tmp_path / "kube-cache"),
         "get", "pods", "-n", NS],
        capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert len(lines) == 15 and all("Running" in line for line in lines[1:])
    engines = subprocess.run(
        ["kubectl", "--server", twin.url, "--cache-dir", str(tmp_path / "kube-cache"),
         "get", "chaosexperiments", "-n", NS, "-o", "name"],
        capture_output=True, text=True, timeout=120, check=False)
    assert engines.returncode == 0, engines.stderr
    assert "chaosexperiment.litmuschaos.io/pod-delete" in engines.stdout.splitlines()


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_applies_an_engine(twin, tmp_path: Path, make_engine) -> None:
    manifest = tmp_path / "engine.json"
    manifest.write_text(json.dumps(make_engine("from-kubectl", "pod-delete", "name=carts")))
    base = ["kubectl", "--server", twin.url, "--cache-dir", str(tmp_path / "kube-cache")]
    applied = subprocess.run([*base, "apply", "-f", str(manifest)], capture_output=True,
                             text=True, timeout=120, check=False)
    assert applied.returncode == 0, applied.stderr
    assert "chaosengine.litmuschaos.io/from-kubectl created" in applied.stdout
    assert twin.get("chaosengines", "from-kubectl")["status"]["engineStatus"] == "initialized"
