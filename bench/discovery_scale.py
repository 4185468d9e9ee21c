"""Discovery at scale: `inventory` vs `kubectl get ... -A -o json` against the same big twin.

    python bench/discovery_scale.py [--namespaces 50] [--deployments 2000] [--pods 20000] [--runs 3]

Generates manifests (N namespaces, D Deployments with one Service each, P pods in all through
the Deployments' replicas) to a temporary file, seeds a twin state file from them once, then
measures, interleaved, wall time and peak RSS (getrusage of the child) of

  * `python -m agent inventory --manifests FILE --config stack.yaml` attached (twin.url) to the
    twin served by `python -m agent twin --manifests FILE` in the background: the same server
    process kubectl talks to, so both clients are measured alone (the fair comparison);
  * the same `inventory` serving the twin in-process from the same, already seeded, state file
    (as `--twin` runs by default: the client, the server and loading the 33 MB state share one
    process and one GIL);
  * `kubectl --server URL --cache-dir TMP get deploy,sts,svc,pods -A -o json` against the
    served twin.

Prints medians and the ratio agent / kubectl (target: <= 1).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manifests(namespaces: int, deployments: int, pods: int) -> str:
    """YAML (JSON documents, which YAML reads) for the generated stack."""
    per_ns = deployments // namespaces
    replicas = max(1, pods // deployments)
    docs: list[dict[str, object]] = []
    for n in range(namespaces):
        ns = f"team-{n:02d}"
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for d in range(per_ns):
            name = f"svc-{n:02d}-{d:03d}"
            labels = {"name": name}
            docs.append({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels}, "spec": {"containers": [{
                             "name": name, "image": f"registry.example/{name}:1.0",
                             "ports": [{"containerPort": 8080}],
                             "resources": {"limits": {"cpu": "500m", "memory": "512Mi"},
                                           "requests": {"cpu": "100m", "memory": "128Mi"}},
                             "readinessProbe": {"httpGet": {"path": "/health", "port": 8080},
                                                "initialDelaySeconds": 5}}]}}},
            })
            docs.append({"apiVersion": "v1", "kind": "Service",
                         "metadata": {"name": name, "namespace": ns, "labels": labels},
                         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}})
    return "\n---\n".join(json.dumps(d) for d in docs) + "\n"


def stack_yaml(namespaces: int) -> str:
    names = [f"team-{n:02d}" for n in range(namespaces)]
    text = (ROOT / "stack.yaml").read_text()
    out = []
    skip = False
    for line in text.splitlines():
        if line.startswith("  namespaces:"):
            out.append(f"  namespaces: {json.dumps(names)}")
            continue
        if line.startswith("  target_services:") or line.startswith("  dependencies:"):
            out.append(line.split(":")[0] + ": []")
            skip = True
            continue
        if skip and (line.startswith("    ") or line.startswith("  #")):
            continue
        skip = False
        if line.startswith("  namespaces: [sock-shop]"):
            line = f"  namespaces: {json.dumps(names)}"
        out.append(line)
    return "\n".join(out) + "\n"


def run_child(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall s, peak RSS MiB, bytes of stdout) of one child, measured with wait4's rusage."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            raise SystemExit(f"{cmd[:4]} failed ({proc.returncode}): {err.read().decode()[-2000:]}")
        size = out.tell()
    return wall, usage.ru_maxrss / 1024, size


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/version", timeout=2).read()  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"twin at {url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--deployments", type=int, default=2000)
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        manifest = work / "big.yaml"
        manifest.write_text(manifests(args.namespaces, args.deployments, args.pods))
        (work / "stack.yaml").write_text(stack_yaml(args.namespaces))
        py = [sys.executable, "-m", "agent"]
        inventory = [*py, "inventory", "--manifests", str(manifest), "--config", str(work / "stack.yaml")]
        # seed once (the state file is then loaded, not re-seeded, by every later process)
        seed_s, seed_mib, _ = run_child(inventory, work)
        state = next((work / ".chaos-advisor" / "twin").glob("custom-*.json"))
        print(f"generated {args.namespaces} namespaces, {args.deployments} Deployments + Services, "
              f"{args.pods} pods; state file {state.stat().st_size / 1e6:.1f} MB")
        print(f"first inventory (seeds the twin): {seed_s:.2f} s, peak {seed_mib:.0f} MiB")
        port = free_port()
        twin = subprocess.Popen([*py, "twin", "--port", str(port), "--manifests", str(manifest),
                                 "--config", str(work / "stack.yaml")], cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_up(url)
            kube = [kubectl or "kubectl", "--server", url, "--cache-dir", str(work / "kcache"),
                    "--request-timeout", "300s", "get", "deploy,sts,svc,pods", "-A", "-o", "json"]
            if kubectl:
                run_child(kube, work)  # warm: discovery cache, kubectl version pick
            attached = os.environ | {"CHAOS_ADVISOR_TWIN__URL": url}
            agent_runs: list[tuple[float, float, int]] = []
            inproc_runs: list[tuple[float, float, int]] = []
            kube_runs: list[tuple[float, float, int]] = []
            for _ in range(args.runs):
                agent_runs.append(run_child(inventory, work, attached))
                inproc_runs.append(run_child(inventory, work))
                if kubectl:
                    kube_runs.append(run_child(kube, work))
        finally:
            twin.terminate()
            twin.wait(timeout=30)

    def med(rows: list[tuple[float, float, int]], i: int) -> float:
        return statistics.median(r[i] for r in rows)

    print(f"agent inventory, attached to the served twin (paginated, limit 500): wall median "
          f"{med(agent_runs, 0):.2f} s, peak RSS median {med(agent_runs, 1):.0f} MiB  (n={args.runs})")
    print(f"agent inventory, twin in-process: wall median {med(inproc_runs, 0):.2f} s, "
          f"peak RSS median {med(inproc_runs, 1):.0f} MiB  (n={args.runs})")
    if not kube_runs:
        print("kubectl: not on PATH, skipped")
        return
    print(f"kubectl get deploy,sts,svc,pods -A -o json: wall median {med(kube_runs, 0):.2f} s, "
          f"peak RSS median {med(kube_runs, 1):.0f} MiB, output {med(kube_runs, 2) / 1e6:.1f} MB  (n={args.runs})")
    print(f"ratio agent (attached) / kubectl: wall {med(agent_runs, 0) / med(kube_runs, 0):.2f}x, "
          f"peak RSS {med(agent_runs, 1) / med(kube_runs, 1):.2f}x  (target: wall <= 1.00x)")
    print(f"ratio agent (twin in-process) / kubectl: wall {med(inproc_runs, 0) / med(kube_runs, 0):.2f}x")


if __name__ == "__main__":
    main()
