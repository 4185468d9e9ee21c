"""The Slack app as ``slack serve`` wires it (``agent.cli.slack.build_listener``): every
click is audited exactly once, refused or accepted, in the agent's audit log; approvers are
those of the policy in force at the click (stack.yaml edited while serving); the HTTP edges.

Runs start in this process on the twin and pause; the loopback Slack Web API records what Slack
would show; clicks are signed as Slack signs them. Waits are on the app draining its workers.
"""

from __future__ import annotations

import io
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from agent.cli.slack import build_listener
from agent.config import load_settings
from agent.models import AuditEntry
from agent.wiring import ClusterBinding, open_deps, open_store
from tests.integration.slack_server import SlackServer, click_payload, form_body, post_click
from tests.integration.test_slack import APPROVER, DEADLINE_S, SECRET, Harness, slack_settings

STRANGER = "U0STRANGER"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    with SlackServer() as slack:
        slack_settings(tmp_path, slack)
        edit(tmp_path / "stack.yaml", lambda d: d["twin"].update(speed=1_000_000))  # approved runs finish at once
        settings = load_settings(tmp_path / "stack.yaml")
        out = io.StringIO()
        console = Console(file=out, width=200)
        with open_deps(settings, ClusterBinding(twin=True), console=console, realtime=False) as deps, \
                open_store(settings) as store, build_listener(settings, store) as server:
            yield Harness(settings, deps, slack, server, out)


def edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data))


def answers(h: Harness, run_id: str) -> list[AuditEntry]:
    """The run's audited decisions, accepted and refused, in order."""
    return [e for e in h.deps.audit.entries(run_id) if e.action in ("decision", "decision_refused")]


def test_a_user_outside_policy_approvers_is_audited_once(h: Harness) -> None:
    message = h.start("srv00001")
    assert h.click(message, "run_1", user=STRANGER)[0] == 200
    assert h.click(message, "reject", user=STRANGER)[0] == 200
    h.drain()
    assert h.view("srv00001").waiting is not None and h.engines() == []
    first, second = answers(h, "srv00001")
    assert (first.action, first.who, first.channel, first.run_id) == ("decision_refused", STRANGER, "slack", "srv00001")
    assert first.what == "approve #1" and second.what == "reject"
    assert first.result == f'refused: slack:{STRANGER} is not an approver: add "slack:{STRANGER}" to policy.approvers in stack.yaml'


def test_concurrent_clicks_one_accepted_and_audited_once_every_loser_audited_once(h: Harness) -> None:
    message = h.start("srv00002")
    shown = form_body(click_payload(message, "reject", APPROVER))  # the button as it was shown
    go, statuses, lock = threading.Event(), [], threading.Lock()

    def click(i: int) -> None:
        go.wait()
        status, _ = h.click(message, "run_1", retry=1 if i % 5 == 0 else None)  # some are Slack's retries
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=DEADLINE_S)
    h.drain()
    assert statuses == [200] * 20 and h.engines() == ["ca-srv00002"]
    found = answers(h, "srv00002")
    assert len(found) == 20  # one line a click
    [accepted] = [e for e in found if e.action == "decision"]
    assert accepted.who == APPROVER and accepted.channel == "slack" and accepted.what.startswith("approve #1 ")
    refused = [e for e in found if e.action == "decision_refused"]
    assert len(refused) == 19 and all(e.who == APPROVER and e.channel == "slack" for e in refused)
    assert all("already answered" in e.result or "is not waiting for approval" in e.result for e in refused), refused
    # The 4 retries' refusals say so; the accepted answer is the runner's line, which does not.
    assert sum(e.what.endswith("(Slack retry)") for e in refused) in (3, 4)

    assert post_click(h.server.url, SECRET, shown)[0] == 200  # later, on a stale screen
    h.drain()
    stale = answers(h, "srv00002")[-1]
    assert len(answers(h, "srv00002")) == 21 and stale.action == "decision_refused" and stale.what == "reject"
    assert stale.result == "refused: run srv00002 is not waiting for approval (it is completed); nothing changed"


def test_a_plan_the_policy_in_force_refuses_is_audited_once(h: Harness) -> None:
    message = h.start("srv00003")
    action = h.deps.store.candidates("srv00003")[0].spec.action.value
    edit(h.settings.source or Path(), lambda d: d["policy"].update(actions=[a for a in d["policy"]["actions"] if a != action]))
    assert h.click(message, "run_1")[0] == 200
    h.drain()
    assert h.view("srv00003").state["outcome"] == "refused" and h.engines() == []
    [refused] = answers(h, "srv00003")
    assert (refused.action, refused.who, refused.channel) == ("decision_refused", APPROVER, "slack")
    assert refused.result.startswith("refused: ") and "policy.actions" in refused.result


def test_approvers_are_those_of_the_policy_in_force_at_the_click(h: Harness) -> None:
    message = h.start("srv00004")
    newcomer = "U0NEWCOMER"
    edit(h.settings.source or Path(), lambda d: d["policy"].update(approvers=["cli:*", f"slack:{newcomer}"]))
    assert h.click(message, "run_1")[0] == 200  # removed from stack.yaml after the server started
    h.drain()
    assert h.view("srv00004").waiting is not None and h.engines() == []
    [told] = h.slack.ephemerals()
    assert told.body["user"] == APPROVER and "you may not answer chaos runs" in told.body["text"]

    assert h.click(message, "reject", user=newcomer)[0] == 200  # added after it started
    h.drain()
    assert h.view("srv00004").state["reason"] == f"rejected by slack:{newcomer}"
    removed, added = answers(h, "srv00004")
    assert (removed.who, removed.action) == (APPROVER, "decision_refused") and "is not an approver" in removed.result
    assert (added.who, added.action, added.result) == (newcomer, "decision", "ok")


def test_get_on_the_events_path_is_405_saying_post(h: Harness) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(h.server.url, timeout=5)
    assert caught.value.code == 405 and caught.value.headers["Allow"] == "POST"
    assert "use POST" in caught.value.read().decode()
    with pytest.raises(urllib.error.HTTPError) as other:
        urllib.request.urlopen(h.server.url.replace("/slack/events", "/nowhere"), timeout=5)
    assert other.value.code == 404


@pytest.mark.parametrize(("length", "status", "says"), [
    ("300000", 413, "body over 262144 bytes; nothing changed"),
    ("-5", 400, "Invalid HTTP request"),  # h11 (uvicorn's parser) refuses it
    ("abc", 400, "Invalid HTTP request"),
])
def test_a_bad_content_length_is_refused_before_reading(h: Harness, length: str, status: int, says: str) -> None:
    host, port = h.server.url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
        answer = s.makefile("rb").read()  # the server answers, then hangs up: the body was not read
    head, _, body = answer.decode().partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ") and says in body
    assert "connection: close" in head.lower()


def test_each_candidate_and_its_confirm_dialog_name_the_selector_and_its_pods(h: Harness) -> None:
    from kubernetes import client

    message = h.start("srv00005")
    core = client.CoreV1Api(client.ApiClient(client.Configuration(host=h.deps.cluster.server)))  # type: ignore[attr-defined]
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    candidates = h.deps.store.candidates("srv00005")
    assert len(sections) == len(candidates) == 2
    for c, section, button in zip(candidates, sections, message.buttons(), strict=False):
        sel = c.spec.target_selector
        live = sorted(str(p.metadata and p.metadata.name)
                      for p in core.list_namespaced_pod(sel.namespace, label_selector=sel.label_selector).items)
        count = f"{len(live)} pod" + ("" if len(live) == 1 else "s")
        head = f"{c.spec.action.value} on {sel.namespace}/{sel.service}, selector {sel.label_selector} ({sel.kind}), {count}: "
        [line] = [t.removeprefix("Target: ") for t in section.split("\n") if t.startswith("Target: ")]
        assert line.startswith(head) and sorted(line.removeprefix(head).split(", ")) == live, line
        confirm = button["confirm"]["text"]["text"]
        assert confirm.startswith(line + ". Runs ") and len(confirm) <= 300
