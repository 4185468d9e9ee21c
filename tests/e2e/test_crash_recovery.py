"""The crash matrix: the agent killed with SIGKILL at each point of a run, then `recover`.

The cluster outlives the agent, as a real one would: the twin is served by this test process
and the agent attaches to it (``twin.url``). Each kill point is reached without sleeping: the
twin (or the loopback OpenAI-compatible server) holds the request that marks the point, the
test waits for that request to arrive, then kills the agent. After a restart nothing recorded
is lost, nothing is applied twice, no engine is left injecting, and every run ends with a report.
"""

from __future__ import annotations

import json
import os
import pty
import queue
import select
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kubernetes import client

from tests.integration.openai_server import OpenAIServer
from twin import TwinServer

NS = "sock-shop"
WAIT_S = 120
RAN = (0, 3, 4, 5)  # the exit codes of a run that ran: held, refuted, aborted, inconclusive


@dataclass
class Crash:
    """The surviving cluster, the agent's working directory and how to run and kill the agent."""

    twin: TwinServer
    workdir: Path
    env: dict[str, str]

    def spawn(self, *args: str, **popen: object) -> subprocess.Popen[bytes]:
        kwargs: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                                     "stderr": subprocess.DEVNULL} | popen
        return subprocess.Popen([sys.executable, "-m", "agent", *args, "--config", str(self.workdir / "stack.yaml")],
                                cwd=self.workdir, env=self.env, **kwargs)  # type: ignore[call-overload]

    def cli(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        """Run the CLI; its exit code must be one of ``ok`` (agent/report/verdict.py: a run that ran ends
        0, 3, 4 or 5 by its verdict, one left waiting 7)."""
        done = subprocess.run([sys.executable, "-m", "agent", *args, "--config", str(self.workdir / "stack.yaml")],
                              cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=240)
        assert done.returncode in ok, done.stdout + done.stderr
        return done.stdout

    def engines(self) -> list[dict[str, object]]:
        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=self.twin.url)))
        items: list[dict[str, object]] = api.list_namespaced_custom_object(
            "litmuschaos.io", "v1alpha1", NS, "chaosengines")["items"]
        return items

    def runs(self) -> list[str]:
        with sqlite3.connect(self.workdir / ".chaos-advisor" / "checkpoints.sqlite") as db:
            return sorted(r[0] for r in db.execute("SELECT DISTINCT thread_id FROM checkpoints"))

    def reports(self, run_id: str) -> list[Path]:
        return sorted((self.workdir / "reports").glob(f"*_{run_id}.md"))


def kill(agent: subprocess.Popen[bytes]) -> None:
    agent.send_signal(signal.SIGKILL)
    assert agent.wait(timeout=30) == -signal.SIGKILL


@pytest.fixture
def crash(workdir: Path, tmp_path: Path) -> Iterator[Crash]:
    with TwinServer(tmp_path / "cluster.json", start_time=1_800_000_000.0) as twin:
        env = os.environ | {
            "CHAOS_ADVISOR_TWIN__URL": twin.url,
            "CHAOS_ADVISOR_TWIN__SPEED": "1000000",  # virtual time without waiting
            "CHAOS_ADVISOR_K8S__RETRY_BACKOFF_S": "0",
            "COLUMNS": "250",
            "PYTHONUNBUFFERED": "1",
        }
        yield Crash(twin, workdir, env)
        twin.heal()


def only_engine(crash: Crash) -> dict[str, object]:
    [engine] = crash.engines()  # never two
    return engine


def ended(engine: dict[str, object]) -> bool:
    """Not injecting any more: completed by the operator or stopped."""
    status = (engine.get("status") or {}).get("engineStatus")  # type: ignore[attr-defined]
    return status in ("completed", "stopped")


def ended_once(crash: Crash, run: str, *, applied: bool) -> None:
    """What every kill point must end with after ``recover``: one report, one outcome line in
    the audit, at most one engine, and (when chaos was applied) the pre-chaos baseline kept."""
    assert len(crash.reports(run)) == 1
    outcomes = [line for line in (crash.workdir / ".chaos-advisor" / "audit.jsonl").read_text().splitlines()
                if f'"run_id":"{run}"' in line and '"action":"run_outcome"' in line]
    assert len(outcomes) == 1, outcomes
    assert len(crash.engines()) == (1 if applied else 0)
    if applied:
        baseline = json.loads((crash.workdir / ".chaos-advisor" / "runs" / run / "baseline.json").read_text())
        assert baseline["tick"] <= 0  # measured before the chaos, not re-read after a replay
        errors = [s.get("error_rate_pct") for s in baseline["services"].values()]
        assert max(e for e in errors if e is not None) < 5, errors  # Sock Shop's steady state


def test_killed_between_dry_run_and_apply_applies_nothing_after(crash: Crash) -> None:
    held = crash.twin.inject("POST", "/chaosengines", dry_run=False, hold=True)  # before it lands
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert held.seen.wait(WAIT_S)
    kill(agent)
    crash.twin.heal()
    [run] = crash.runs()
    assert crash.engines() == []
    out = crash.cli("recover", "--twin")
    assert "interrupted before execute" in out and "resumed: failed" in out
    assert "engine_apply started, no answer on record" in out
    assert crash.engines() == []  # recover applies no new chaos
    [report] = crash.reports(run)
    assert "nothing was applied" in report.read_text()
    assert "Nothing to recover" in crash.cli("recover", "--twin")  # idempotent
    ended_once(crash, run, applied=False)


def test_killed_right_after_apply_watches_the_engine_it_finds(crash: Crash) -> None:
    held = crash.twin.inject("POST", "/chaosengines", dry_run=False, hold=True, after=True)  # lands, answer lost
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert held.seen.wait(WAIT_S)
    kill(agent)
    crash.twin.heal()
    [run] = crash.runs()
    engine = only_engine(crash)
    assert engine["metadata"]["name"] == f"ca-{run}" and not ended(engine)  # type: ignore[index]
    out = crash.cli("recover", "--twin")
    assert "interrupted before execute" in out and "resumed: completed" in out
    assert "cut off mid-write: engine_apply started, no answer on record" in out  # the audit's trace
    assert ended(only_engine(crash))
    report = crash.reports(run)[0].read_text()
    assert "engine already exists" in report or "already applied" in report
    audit = crash.cli("audit", run)
    assert "run_recovered" in audit
    ended_once(crash, run, applied=True)


@pytest.mark.parametrize("stop", [False, True], ids=["watch-again", "stop"])
def test_killed_mid_monitor_is_watched_again_or_stopped(crash: Crash, stop: bool) -> None:
    held = crash.twin.inject("GET", "/chaosresults/", hold=True, skip=3)  # the 4th tick hangs
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert held.seen.wait(WAIT_S)
    kill(agent)
    crash.twin.heal()
    [run] = crash.runs()
    assert not ended(only_engine(crash))
    out = crash.cli("recover", "--twin", *(["--stop"] if stop else []))
    assert "interrupted before monitor" in out
    engine = only_engine(crash)
    assert ended(engine)
    if stop:
        assert engine["spec"]["engineState"] == "stop"  # type: ignore[index]
        assert "resumed: aborted" in out
    else:
        assert "resumed: completed" in out
    assert len(crash.reports(run)) == 1
    ended_once(crash, run, applied=True)


def test_killed_while_paused_loses_nothing(crash: Crash) -> None:
    main, side = pty.openpty()  # a terminal, so run-graph asks and waits there
    agent = crash.spawn("run-graph", "--twin", stdin=side, stdout=side, stderr=side)
    os.close(side)
    seen = b""
    while b"Approve which experiment" not in seen:
        ready, _, _ = select.select([main], [], [], WAIT_S)
        assert ready, seen.decode(errors="replace")
        seen += os.read(main, 65536)
    kill(agent)
    os.close(main)
    [run] = crash.runs()
    assert run in crash.cli("approvals")
    assert "waiting for approval" in crash.cli("recover", "--twin")
    crash.cli("resume", run, "--approve", "1", ok=RAN)
    assert ended(only_engine(crash)) and len(crash.reports(run)) == 1
    ended_once(crash, run, applied=True)


def test_a_claim_left_by_a_dead_claimer_is_released(crash: Crash) -> None:
    crash.cli("run-graph", "--twin", ok=(7,))  # no terminal: pauses and exits (7)
    [run] = crash.runs()
    claimer = subprocess.Popen([sys.executable, "-c", CLAIM, str(crash.workdir / "stack.yaml"), run],
                               cwd=crash.workdir, env=crash.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert claimer.stdout is not None and claimer.stdout.readline().strip() == b"claimed"
    kill(claimer)  # died between its claim and its answer's checkpoint
    refused = subprocess.run([sys.executable, "-m", "agent", "resume", run, "--approve", "1", "--config",
                              str(crash.workdir / "stack.yaml")], cwd=crash.workdir, env=crash.env,
                             capture_output=True, text=True, timeout=240)
    assert refused.returncode == 1 and "already answered" in refused.stdout
    assert crash.engines() == []
    assert "released the claim" in crash.cli("recover", "--twin")
    crash.cli("resume", run, "--approve", "1", ok=RAN)
    assert ended(only_engine(crash))


CLAIM = """
import sys
from pathlib import Path

from agent.config import load_settings
from agent.wiring import open_checkpointer, open_store
from graphs import runner
from graphs.builder import build

settings = load_settings(Path(sys.argv[1]))
with open_checkpointer(settings) as saver, open_store(settings) as store:
    view = runner.view(build(saver), sys.argv[2])
    with store.lease(sys.argv[2]):
        assert store.claim(sys.argv[2], view.interrupt_id)
        print("claimed", flush=True)
        sys.stdin.read()
"""


@pytest.fixture
def llm(crash: Crash) -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        crash.env |= {
            "CHAOS_ADVISOR_LLM__ENABLED": "true",
            "CHAOS_ADVISOR_LLM__BASE_URL": server.base_url,
            "CHAOS_ADVISOR_LLM__API_KEY": "test",
        }
        yield server


def test_killed_during_design_resumes_to_the_approval(crash: Crash, llm: OpenAIServer) -> None:
    llm.hold()  # the design request hangs: discover is checkpointed, design is not
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert llm.wait_for(1, WAIT_S)
    kill(agent)
    [run] = crash.runs()
    out = crash.cli("recover", "--twin")  # the model now answers 500: the planner designs
    assert "interrupted before design" in out and "waiting for approval again" in out
    assert crash.engines() == []  # approval is asked again: the --approve of the dead process is gone
    crash.cli("resume", run, "--approve", "1", ok=RAN)
    assert ended(only_engine(crash)) and len(crash.reports(run)) == 1
    ended_once(crash, run, applied=True)


def test_killed_during_narrate_writes_the_report_once(crash: Crash, llm: OpenAIServer) -> None:
    llm.fail(500)  # design: the planner takes over
    llm.hold()  # narration hangs
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert llm.wait_for(2, WAIT_S)
    kill(agent)
    [run] = crash.runs()
    assert crash.reports(run) == []
    assert ended(only_engine(crash))
    out = crash.cli("recover", "--twin")
    assert "interrupted before narrate" in out and "resumed: completed" in out
    assert len(crash.reports(run)) == 1 and len(crash.engines()) == 1
    ended_once(crash, run, applied=True)


def test_a_restarted_slack_server_recovers_what_the_dead_one_left(crash: Crash) -> None:
    from tests.e2e.test_slack_cli import enable_slack
    from tests.integration.slack_server import SlackServer

    with SlackServer() as slack:
        enable_slack(crash.workdir, slack)
        held = crash.twin.inject("GET", "/chaosresults/", hold=True, skip=3)
        agent = crash.spawn("run-graph", "--twin", "--approve", "1")  # a server's run, mid-monitor
        assert held.seen.wait(WAIT_S)
        kill(agent)
        crash.twin.heal()
        [run] = crash.runs()
        server = crash.spawn("slack", "serve", "--port", "0", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = server.stdout
        assert out is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(raw.decode()) for raw in out], daemon=True).start()
        try:
            seen = []
            while not seen or not seen[-1].startswith(f"recover: run {run}"):
                seen.append(lines.get(timeout=WAIT_S))  # the server prints as it goes
            assert "interrupted before monitor" in seen[-1] and "-> resumed: completed" in seen[-1], seen
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    assert ended(only_engine(crash)) and len(crash.reports(run)) == 1
    ended_once(crash, run, applied=True)


def test_recover_exits_1_when_a_cluster_cannot_be_reached(crash: Crash) -> None:
    crash.env["CHAOS_ADVISOR_K8S__KUBECONFIG"] = str(crash.workdir / "no-such-kubeconfig")
    done = subprocess.run([sys.executable, "-m", "agent", "recover", "--config", str(crash.workdir / "stack.yaml")],
                          cwd=crash.workdir, env=crash.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "not reached" in done.stdout and "no cluster" in done.stdout
