"""``/craterctl`` and Socket Mode on the slack-bolt app: signed slash commands over HTTP, and the
same app over a loopback WebSocket speaking Slack's envelope protocol; runs on the twin through
the real kubernetes client; the loopback Slack Web API records what Slack would show.

Nothing sleeps to wait: tests wait on the app's workers draining and on recorded calls.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from rich.console import Console

from agent.adapters.slack_blocks import approval_blocks
from agent.adapters.slack_notifier import SlackNotifier
from agent.adapters.slack_web import SlackWeb
from agent.cli.slack import GraphRuns
from agent.cli.slack_ops import REQUESTER, GraphOps, SlackRequester
from agent.config import load_settings
from agent.models import Candidate
from agent.ports import Deps
from agent.slack.commands import Commands
from agent.slack.decisions import Decisions
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, open_store, slack_listener, slack_web
from graphs.builder import RunGraph, build
from tests.factories import spec
from tests.integration.slack_server import APP_TOKEN, SlackServer, click_payload, command_form, post_click
from tests.integration.slack_socket_server import SocketModeServer
from tests.integration.test_slack import APPROVER, PROGRESS, SECRET, Harness, slack_settings

STRANGER = "U0STRANGER"


@contextmanager
def harness(tmp_path: Path, slack: SlackServer, **section: object) -> Iterator[Harness]:
    """The app as ``slack serve --twin`` wires it, on this process's twin; the monitor reports
    progress every 5 s of the run's clock."""
    slack_settings(tmp_path, slack, **section)
    data = yaml.safe_load((tmp_path / "stack.yaml").read_text())
    data.setdefault("monitor", {})["update_interval_s"] = 5.0
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(data))
    settings = load_settings(tmp_path / "stack.yaml")
    out = io.StringIO()
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=out, width=200), realtime=False) as deps:

        @contextmanager
        def on_this_twin(binding: ClusterBinding) -> Iterator[tuple[RunGraph, Deps]]:
            assert binding.twin
            with open_checkpointer(settings) as saver:
                yield build(saver), deps

        web = slack_web(settings)
        decisions = Decisions(replies=web, runs=GraphRuns(settings, open_run=on_this_twin), policy=deps.policy,
                              audit=deps.audit)
        ops = GraphOps(settings, binding=ClusterBinding(twin=True), open_run=on_this_twin)
        commands = Commands(ops=ops, replies=web, policy=deps.policy, audit=deps.audit)
        with slack_listener(settings, decisions, commands) as server:
            yield Harness(settings, deps, slack, server, out)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    with SlackServer() as slack, harness(tmp_path, slack, update_interval_s=1e-9) as h:  # every progress line an edit
        yield h


def command(h: Harness, text: str, user: str = APPROVER) -> tuple[int, str]:
    """``/craterctl <text>`` as Slack posts it (signed); the status and the ack's text."""
    status, body = post_click(h.server.url, SECRET, urlencode(command_form(text, user)).encode())
    return status, json.loads(body)["text"] if body.startswith("{") else body


def told(h: Harness, user: str = APPROVER) -> list[str]:
    return [c.body["text"] for c in h.slack.ephemerals() if c.body["user"] == user]


def test_suggest_then_a_click_runs_it_with_one_progress_message_and_a_tldr(h: Harness) -> None:
    began = time.monotonic()
    status, ack = command(h, "suggest 2")
    assert status == 200 and ack.startswith("working…") and time.monotonic() - began < 3.0
    h.drain()
    [posted] = told(h)
    run_id = posted.split("`")[1]
    assert posted == f"Run `{run_id}`: 2 experiment(s) posted in #chaos; nothing runs until an approver clicks [Run …]"
    [message] = h.slack.top_level()
    view = h.view(run_id)
    assert view.waiting is not None  # paused at approve, as run-graph pauses
    assert [b["text"]["text"] for b in message.buttons()] == [f"Run {t}" for t in view.waiting.candidates] + \
        ["💾 Save Only", "Reject"]
    assert h.deps.store.load(run_id, REQUESTER, SlackRequester).user == APPROVER
    shown = f"{message.text} {[b['text']['text'] for b in message.buttons()]}"

    assert h.click(message, "run_1")[0] == 200
    h.drain()
    assert h.view(run_id).state["outcome"] == "completed" and h.engines() == [f"ca-{run_id}"]
    thread = h.slack.replies(message.ts)
    [progress] = [m for m in thread if m.text.startswith("🔄")]  # one message, edited
    assert progress.updates >= 2 and PROGRESS.match(progress.text), progress
    assert len(h.slack.calls_to("chat.update")) == progress.updates + message.updates
    [tldr] = [m for m in thread if "Report: `" in m.text]
    assert tldr.broadcast and h.view(run_id).state["report_path"] in tldr.text
    assert thread.index(progress) < thread.index(tldr)
    print(f"\n/craterctl suggest 2 -> ack: {ack}\n  ephemeral: {posted}\n  message: {shown}\n"
          f"click run_1 by {APPROVER} -> message now: {message.text}\n"
          f"  progress (one message, edited {progress.updates}×): {progress.text}\n  TL;DR: {tldr.text}")


def test_status_runs_and_help(h: Harness) -> None:
    run_id = h.start("cmd00001").blocks[1]["elements"][0]["text"].split("`")[1]
    assert command(h, f"status {run_id}")[1] == f"working… (`/craterctl status {run_id}`)"
    assert command(h, "runs")[0] == 200
    h.drain()
    [status] = [t for t in told(h) if t.startswith("*Run")]  # answered by two workers, in any order
    [runs] = [t for t in told(h) if t.startswith("•")]
    assert status.startswith(f"*Run `{run_id}`*: waiting for approval, outcome running")
    assert f"• `{run_id}` waiting" in runs
    help_status, usage = command(h, "help", user=STRANGER)  # help is for anyone, at once
    assert help_status == 200 and "/craterctl suggest [N]" in usage and "/craterctl abort <run>" in usage
    assert command(h, "suggest 99")[1].startswith("`suggest 99`: N must be a whole number from 1 to 10")
    assert command(h, "status ../etc")[1].startswith("`status ../etc`: not a run id")
    h.drain()
    assert len(told(h)) == 2 and h.slack.top_level() == [h.slack.top_level()[0]]  # nothing else happened


def test_a_stranger_is_refused_ephemerally_audited_and_nothing_starts(h: Harness) -> None:
    status, ack = command(h, "suggest", user=STRANGER)
    assert status == 200 and ack.startswith(f"<@{STRANGER}>, you may not run `/craterctl suggest`: ")
    assert f'add "slack:{STRANGER}" to policy.approvers' in ack and ack.endswith("Nothing changed.")
    h.drain()
    assert h.slack.top_level() == [] and told(h, STRANGER) == []
    [refused] = [e for e in h.deps.audit.entries(None) if e.who == STRANGER]
    assert (refused.action, refused.channel, refused.what) == ("decision_refused", "slack", "/craterctl suggest")


def test_abort_is_for_approvers_and_the_runs_requester(h: Harness) -> None:
    h.start("cmd00002")
    assert h.click(h.slack.top_level()[0], "run_1")[0] == 200
    h.drain()
    asker = "U0ASKER"  # asked for the run in Slack, then left policy.approvers
    h.deps.store.save("cmd00002", REQUESTER, SlackRequester(user=asker))
    assert "you may not run `/craterctl abort`" in command(h, "abort cmd00002", user=STRANGER)[1]
    assert command(h, "abort cmd00002", user=asker)[1] == "working… (`/craterctl abort cmd00002`)"
    h.drain()
    [said] = told(h, asker)
    assert said.startswith("Run `cmd00002`: engine sock-shop/ca-cmd00002 already ended") and "nothing is running" in said
    [asked] = [e for e in h.deps.audit.entries("cmd00002") if e.action == "abort_requested"]
    assert (asked.who, asked.channel) == (asker, "slack")


def test_socket_mode_answers_a_click_and_a_command_over_the_websocket(tmp_path: Path) -> None:
    with SlackServer() as slack, SocketModeServer() as socket:
        slack.socket_url = socket.url
        with harness(tmp_path, slack, mode="socket", app_token=APP_TOKEN, signing_secret=None) as h:
            assert h.server.url.startswith("Socket Mode, ws://127.0.0.1:")
            health = h.server.url.split("health at ")[1]
            with urllib.request.urlopen(health, timeout=5) as answer:  # the probe of a pod without ingress
                assert answer.status == 200 and answer.read() == b"ok"
            message = h.start("sck00001")
            late = click_payload(message, "reject", STRANGER)  # the buttons as a stranger saw them
            clicked = socket.send("interactive", click_payload(message, "run_1", APPROVER))
            assert socket.ack(clicked)["envelope_id"] == clicked  # acknowledged, then answered in a worker
            h.drain()
            assert h.view("sck00001").state["outcome"] == "completed" and h.engines() == ["ca-sck00001"]
            assert message.text.startswith("✅ *Run ") and message.updates == 2
            asked = socket.send("slash_commands", command_form("status sck00001", APPROVER))
            assert socket.ack(asked)["payload"]["text"] == "working… (`/craterctl status sck00001`)"
            h.drain()
            [status] = told(h)
            assert status.startswith("*Run `sck00001`*: done, outcome completed")
            stranger = socket.send("interactive", late)
            assert "is not an approver" in socket.ack(stranger)["payload"]["text"]
    assert len(slack.calls_to("apps.connections.open")) == 1 and socket.connections == 1


def test_socket_mode_without_an_app_token_says_how_to_set_it(tmp_path: Path) -> None:
    from agent.errors import ConfigError

    with SlackServer() as slack, pytest.raises(ConfigError, match=r"slack\.app_token: missing.*CHAOS_ADVISOR_SLACK__APP_TOKEN"):
        with harness(tmp_path, slack, mode="socket"):
            pass


def test_progress_is_one_message_edited_at_most_every_interval(tmp_path: Path) -> None:
    clock = [0.0]
    with SlackServer() as slack, open_store(slack_settings(tmp_path, slack)) as store:
        web = SlackWeb(slack.token, base_url=slack.base_url, timeout_s=5, retries=0)
        root = web.post("#chaos", "approval")
        store.save("prg00001", "slack_message", root)
        notifier = SlackNotifier(web, store, channel="#chaos", interval_s=30.0, now=lambda: clock[0])
        edits = []
        for tick in range(6):  # a line every 10 s
            clock[0] = tick * 10.0
            notifier.progress("prg00001", "Kill", f"line {tick}")
            edits.append(len(slack.calls_to("chat.update")))
        notifier.finished("prg00001", "Finding: fine", Path("reports/r.md"))
    [progress, tldr] = slack.replies(root.ts)
    assert len(slack.calls_to("chat.postMessage")) == 3  # approval, progress once, TL;DR
    assert edits == [0, 0, 0, 1, 1, 1]  # posted at 0 s, edited at 30 s; 40 s and 50 s held back
    assert progress.updates == 2 and progress.text == "🔄 Kill - RUNNING / line 5"  # the last line, before the TL;DR
    assert tldr.text == "Finding: fine\nReport: `reports/r.md`"


def test_the_tldr_links_to_the_report_on_the_web_console(tmp_path: Path) -> None:
    with SlackServer() as slack, open_store(slack_settings(tmp_path, slack)) as store:
        web = SlackWeb(slack.token, base_url=slack.base_url, timeout_s=5, retries=0)
        notifier = SlackNotifier(web, store, channel="#chaos", reports_url="https://chaos.example.com/reports/")
        notifier.finished("lnk00001", "Finding: fine", Path("reports/20261206_kill_lnk00001.md"))
    [tldr] = slack.top_level()
    assert tldr.text == ("Finding: fine\nReport: <https://chaos.example.com/reports/20261206_kill_lnk00001.md|"
                         "20261206_kill_lnk00001.md> (file: `reports/20261206_kill_lnk00001.md`)")


def test_run_button_labels_are_the_titles_cut_to_slacks_75_characters() -> None:
    long = spec(title="Carts DB Kill " + "x" * 100)
    blocks = approval_blocks("r1", [Candidate(rank=1, score=1.0, spec=long)], [])
    [labels] = [[e["text"]["text"] for e in b["elements"]] for b in blocks if b["type"] == "actions"]
    assert labels[0].startswith("Run Carts DB Kill x") and len(labels[0]) == 75 and labels[0].endswith("…")
    assert labels[1:] == ["💾 Save Only", "Reject"]


@pytest.mark.parametrize(("mode", "needed", "optional", "services"), [
    ("http", "slack-signing-secret", "slack-app-token", 1),
    ("socket", "slack-app-token", "slack-signing-secret", 0),  # connects out: nothing to expose
])
def test_the_manifests_of_each_mode(mode: str, needed: str, optional: str, services: int) -> None:
    from agent.deploy import manifests as dm

    settings = load_settings(Path(__file__).resolve().parents[2] / "stack.yaml")
    settings = settings.model_copy(update={"slack": settings.slack.model_copy(update={"mode": mode})})
    objects = dm.render(settings)
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    refs = {e["valueFrom"]["secretKeyRef"]["key"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert "optional" not in refs[needed] and refs[optional]["optional"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert len([o for o in objects if o["kind"] == "Service"]) == services
