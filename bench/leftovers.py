"""Leftovers after a crash: the agent SIGKILLed at random points, then `recover`; what is left?

    python bench/leftovers.py [--trials 20] [--seed 7]

Each trial starts a fresh Sock Shop twin in this process (the cluster outlives the agent, as a real
one would) and a real ``python -m agent`` subprocess attached to it, and kills the agent with
SIGKILL at one of five points, reached without sleeping: the twin (or a loopback OpenAI-compatible
server, for narration) holds the request that marks the point and the agent dies while it waits:

- before-apply: the live create of the ChaosEngine, before it lands;
- after-apply: the same create once it landed (the answer is lost);
- mid-monitor: the k-th ChaosResult read of the monitor (k drawn at random);
- during-abort: the stop patch of a run breaching its threshold (before or after it lands);
- during-narrate: the narration request to the LLM.

Then ``python -m agent recover --twin`` runs, and the cluster is read through the official
kubernetes client: a leftover is a ChaosEngine of the run still active, a chaos pod
(``chaosUID=<engine uid>``) still Pending or Running, or a Sock Shop workload short of its desired
Ready replicas. The agent's own verdict (``cleanup.json`` of the run, as ``status`` shows it) is
printed beside. Target: 0 leftovers in every trial.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kubernetes import client  # noqa: E402

from tests.factories import catalogue_delete  # noqa: E402
from tests.integration.openai_server import OpenAIServer  # noqa: E402
from twin import TwinServer  # noqa: E402

NS = "sock-shop"
WAIT_S = 120.0
POINTS = ("before-apply", "after-apply", "mid-monitor", "during-abort", "during-narrate")


class Trial:
    """One fresh cluster and agent working directory."""

    def __init__(self, base: Path, n: int, twin: TwinServer) -> None:
        self.dir = base / f"trial{n:02d}"
        self.dir.mkdir()
        shutil.copy(ROOT / "stack.yaml", self.dir / "stack.yaml")
        self.twin = twin
        self.env = os.environ | {"CHAOS_ADVISOR_TWIN__URL": twin.url, "CHAOS_ADVISOR_TWIN__SPEED": "1000000",
                                 "CHAOS_ADVISOR_K8S__RETRY_BACKOFF_S": "0", "COLUMNS": "250"}

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "agent", *args, "--config", str(self.dir / "stack.yaml")],
                                cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "agent", *args, "--config", str(self.dir / "stack.yaml")],
                              cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=600)
        return done.stdout + done.stderr

    def run_id(self) -> str:
        with sqlite3.connect(self.dir / ".chaos-advisor" / "checkpoints.sqlite") as db:
            return str(db.execute("SELECT DISTINCT thread_id FROM checkpoints").fetchone()[0])


def kill_at(trial: Trial, point: str, rng: random.Random, llm: OpenAIServer | None) -> str:
    """Start the agent, wait for ``point``, SIGKILL it; returns what was held."""
    args: tuple[str, ...] = ("run-graph", "--twin", "--approve", "1")
    held: Callable[[float], bool]
    if point == "before-apply":
        held, what = trial.twin.inject("POST", "/chaosengines", dry_run=False, hold=True).seen.wait, "engine create"
    elif point == "after-apply":
        held = trial.twin.inject("POST", "/chaosengines", dry_run=False, hold=True, after=True).seen.wait
        what = "engine create (landed)"
    elif point == "mid-monitor":
        k = rng.randint(1, 8)
        held = trial.twin.inject("GET", "/chaosresults/", hold=True, skip=k).seen.wait
        what = f"ChaosResult read #{k + 1}"
    elif point == "during-abort":
        spec = trial.dir / "breach.json"
        spec.write_text(catalogue_delete(max_front_end_errors=5).model_dump_json(), encoding="utf-8")
        after = rng.random() < 0.5
        held = trial.twin.inject("PATCH", "/chaosengines/", hold=True, after=after).seen.wait
        args, what = ("run", str(spec), "--twin", "--yes"), f"stop patch{' (landed)' if after else ''}"
    else:
        assert llm is not None
        llm.fail(500)  # design: the planner takes over
        llm.hold()  # narration hangs
        held, what = (lambda timeout: llm.wait_for(2, timeout)), "narration request"
    agent = trial.spawn(*args)
    if not held(WAIT_S):
        agent.kill()
        raise SystemExit(f"{point}: the kill point was never reached")
    agent.send_signal(signal.SIGKILL)
    agent.wait(timeout=30)
    trial.twin.heal()
    return what


def leftovers(url: str, run_id: str) -> list[str]:
    """What the cluster still holds of the run, read through the official client."""
    api = client.ApiClient(client.Configuration(host=url))
    custom, core, apps = client.CustomObjectsApi(api), client.CoreV1Api(api), client.AppsV1Api(api)
    out = []
    for e in custom.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", NS, "chaosengines")["items"]:
        if e["metadata"]["name"] != f"ca-{run_id}":
            continue
        status = (e.get("status") or {}).get("engineStatus")
        if status not in ("completed", "stopped"):
            out.append(f"engine {e['metadata']['name']} {status}")
        for p in core.list_namespaced_pod(NS, label_selector=f"chaosUID={e['metadata']['uid']}").items:
            if p.status and p.status.phase in ("Pending", "Running"):
                out.append(f"chaos pod {p.metadata.name} {p.status.phase}")
    for w in [*apps.list_namespaced_deployment(NS).items, *apps.list_namespaced_stateful_set(NS).items]:
        want, ready = w.spec.replicas or 0, (w.status.ready_replicas or 0) if w.status else 0
        if ready < want:
            out.append(f"{w.metadata.name} {ready}/{want} Ready")
    return out


def agent_verdict(trial: Trial, run_id: str) -> str:
    path = trial.dir / ".chaos-advisor" / "runs" / run_id / "cleanup.json"
    if not path.exists():
        return "not checked (nothing applied)"
    c = json.loads(path.read_text())
    return "verified" if c["verified"] else f"{len(c['leftovers'])} leftover(s): {'; '.join(c['leftovers'])}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    rng = random.Random(args.seed)
    points = [POINTS[i % len(POINTS)] for i in range(args.trials)]
    rng.shuffle(points)
    base = Path(tempfile.mkdtemp(prefix="leftovers-"))
    total, started = 0, time.monotonic()
    print(f"{'trial':>5}  {'kill point':<15} {'held':<26} {'outcome after recover':<24} left  agent's cleanup check")
    try:
        for n, point in enumerate(points, 1):
            with TwinServer(base / f"cluster{n:02d}.json", start_time=1_800_000_000.0, seed=args.seed + n) as twin:
                trial = Trial(base, n, twin)
                llm = OpenAIServer().__enter__() if point == "during-narrate" else None
                try:
                    if llm is not None:
                        trial.env |= {"CHAOS_ADVISOR_LLM__ENABLED": "true", "CHAOS_ADVISOR_LLM__BASE_URL": llm.base_url,
                                      "CHAOS_ADVISOR_LLM__API_KEY": "bench"}
                    what = kill_at(trial, point, rng, llm)
                    out = trial.cli("recover", "--twin")
                finally:
                    if llm is not None:
                        llm.__exit__(None, None, None)
                run_id = trial.run_id()
                outcome = next((part.split("resumed: ", 1)[1].split(" ", 1)[0] for part in out.splitlines()
                                if "resumed: " in part), "?")
                left = leftovers(twin.url, run_id)
                total += len(left)
                print(f"{n:>5}  {point:<15} {what:<26} {outcome:<24} {len(left):>4}  {agent_verdict(trial, run_id)}"
                      + (f"  LEFT: {'; '.join(left)}" if left else ""), flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"\n{args.trials} trials, {total} leftovers in all (target 0); {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
