"""`slack serve` as a user runs it: run-graph pauses in one process and posts the buttons to a
(loopback) Slack; a signed click on the endpoint served by another process resumes the run."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.e2e.test_pause_resume import engines
from tests.integration.slack_server import SlackServer, click_payload, form_body, post_click

Cli = Callable[..., subprocess.CompletedProcess[str]]
SECRET = "e2e-signing-secret"
APPROVER = "U0APPROVER"


def enable_slack(workdir: Path, slack: SlackServer) -> None:
    path = workdir / "stack.yaml"
    data = yaml.safe_load(path.read_text())
    data["slack"] = {"enabled": True, "bot_token": slack.token, "signing_secret": SECRET, "base_url": slack.base_url}
    data["policy"]["approvers"] = ["cli:*", f"slack:{APPROVER}"]
    path.write_text(yaml.safe_dump(data))


def serve(workdir: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `slack serve --port 0`; returns the process and the URL it printed."""
    env = os.environ | {"CHAOS_ADVISOR_TWIN__SPEED": "1000000", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent", "slack", "serve", "--port", "0", "--config", str(workdir / "stack.yaml")],
        cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    out = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in out], daemon=True).start()
    first = lines.get(timeout=20)
    assert first.startswith("Slack app listening at http://127.0.0.1:"), first
    return proc, first.split(" at ", 1)[1].strip()


def test_slack_serve_resumes_the_run_that_run_graph_paused(cli: Cli, workdir: Path) -> None:
    with SlackServer() as slack:
        enable_slack(workdir, slack)
        first = cli("run-graph", "--twin")
        assert first.returncode == 7 and "waits for approval" in first.stdout, first.stdout + first.stderr
        [message] = slack.top_level()
        run_id = json.loads(message.buttons()[0]["value"])["run"]
        proc, url = serve(workdir)
        try:
            assert post_click(url, SECRET, form_body(click_payload(message, "run_1", APPROVER)))[0] == 200
            assert slack.wait_for(lambda: any("Report: `" in m.text for m in slack.replies(message.ts)), timeout=60)
            assert slack.wait_for(lambda: message.updates == 2, timeout=10)
        finally:
            proc.send_signal(signal.SIGTERM)  # SIGINT is ignored when the suite runs as a background job
            proc.wait(timeout=30)
    assert proc.returncode == 0
    assert engines(workdir) == [f"ca-{run_id}"]
    assert message.text.startswith("✅ *Run ") and f"approved by <@{APPROVER}>" in message.text
    assert "No run is waiting for approval." in cli("approvals").stdout


def test_slack_serve_without_a_signing_secret_says_how_to_set_it(cli: Cli) -> None:
    out = cli("slack", "serve", "--port", "0")
    assert out.returncode == 2
    assert "slack.signing_secret: missing" in out.stdout and "CHAOS_ADVISOR_SLACK__SIGNING_SECRET" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
