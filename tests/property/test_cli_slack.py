"""Any request to ``python -m agent slack serve``: the real command, run in-process, its server on
loopback, and Hypothesis posting bodies at it from another thread (signed and not, well-formed
clicks and noise). Whatever arrives: a 200, 400, 401 or 413 (never a 5xx), no worker that dies
with a traceback, and the command itself ends cleanly on SIGTERM, as in a pod.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.property.cli_harness import CASES, invoke
from tests.property.cli_inputs import STACK
from tests.property.strategies import JSON, mutated

SECRET = "s3cret"
APPROVER = "UAPPROVER"
CLICK = {
    "type": "block_actions", "user": {"id": APPROVER}, "channel": {"id": "C1"},
    "container": {"message_ts": "1.2", "channel_id": "C1"},
    "actions": [{"action_id": "run_1", "value": json.dumps({"run": "9b34d0d2", "choice": 1})}],
}
BODIES = st.one_of(
    st.binary(max_size=300),
    mutated(CLICK).map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
    JSON.map(lambda d: urlencode({"payload": json.dumps(d)}).encode()),
    st.text(max_size=80).map(lambda t: urlencode({"payload": t}).encode()),
)
HEADERS = st.dictionaries(st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num"]),
                          st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40), max_size=3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def _post(port: int, body: bytes, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/slack/events", body=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("CHAOS_ADVISOR_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    nobody = _free_port()  # Slack's Web API here refuses connections: replies fail, as a warning
    doc = {**STACK, "policy": {**STACK["policy"], "approvers": ["cli:*", f"slack:{APPROVER}"]},
           "slack": {"enabled": True, "bot_token": "xoxb-test", "signing_secret": SECRET, "retries": 0,
                     "timeout_s": 1, "base_url": f"http://127.0.0.1:{nobody}/api/"}}
    path = tmp_path / "stack.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_any_request_to_slack_serve(config: Path, caplog: pytest.LogCaptureFixture) -> None:
    port, up, served = _free_port(), threading.Event(), threading.Event()
    statuses: Counter[int] = Counter()
    failures: list[BaseException] = []

    @settings(derandomize=True, deadline=None, database=None, max_examples=350,
              suppress_health_check=[HealthCheck.too_slow])
    @given(body=BODIES, signed=st.booleans(), headers=HEADERS)
    @example(body=urlencode({"payload": json.dumps(CLICK)}).encode(), signed=True, headers={})
    @example(body=b"payload=" + b"x" * 300_000, signed=True, headers={})
    @example(body=b"payload=%ff%fe", signed=True, headers={"X-Slack-Retry-Num": "1"})
    def requests(body: bytes, signed: bool, headers: dict[str, str]) -> None:
        CASES["slack serve"] += 1
        status = _post(port, body, {**headers, **(_signed(body) if signed else {})})
        statuses[status] += 1
        assert status in (200, 400, 401, 413), status

    def client() -> None:
        try:
            if up.wait(60) and not served.is_set():
                requests()
        except BaseException as e:  # re-raised in the test's thread below
            failures.append(e)
        finally:
            # Until `serve` has installed its SIGTERM handler (just after printing its URL), ours
            # swallows the signal: send it until the command returned.
            while up.is_set() and not served.wait(0.2):
                os.kill(os.getpid(), signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    caplog.set_level(logging.WARNING)
    thread = threading.Thread(target=client, name="slack-client")
    thread.start()
    try:
        outcome = invoke("slack", "serve", "--port", str(port), "--no-recover", "--config", config,
                         case="slack serve", ready=(f"127.0.0.1:{port}", up))
    finally:
        served.set()
        up.set()  # a command that never served: the client gives up at once
        thread.join(60)
        signal.signal(signal.SIGTERM, previous)
    if failures:
        raise failures[0]
    assert outcome.check().code == 0, outcome.out
    assert CASES["slack serve"] >= 350 and statuses[401] and statuses[400] and statuses[200]
    # slack_sdk logs its own refused connections as errors; the agent's workers log a crash.
    died = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("agent")]
    assert died == [], [r.getMessage() for r in died]
