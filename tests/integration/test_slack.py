"""Slack end to end in one process: the Slack notifier against a loopback Slack Web API, the
slack-bolt app (HTTP mode, on uvicorn) taking signed clicks, and runs on the twin through the real
kubernetes client.

Nothing sleeps to wait: tests wait on the endpoint draining its workers and on the Slack
server's recorded calls, each with a deadline.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from agent.cli.slack import GraphRuns
from agent.cli.slack_ops import GraphOps
from agent.config import Settings, load_settings
from agent.models import Decision
from agent.ports import Deps
from agent.slack.commands import Commands
from agent.slack.decisions import Decisions
from agent.slack.ports import Listener
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, slack_listener, slack_web
from graphs import runner
from graphs.builder import RunGraph, build
from tests.integration.slack_server import Message, SlackServer, click_payload, form_body, post_click

ROOT = Path(__file__).resolve().parents[2]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
APPROVER = "U0APPROVER"
PROGRESS = re.compile(r"^🔄 .+ - RUNNING / [\w-]+ Error Rate: \d+\.\d% \| Latency: \d+ms$")
DEADLINE_S = 30.0


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer() as server:
        yield server


def slack_settings(tmp_path: Path, slack: SlackServer, **section: object) -> Settings:
    data = yaml.safe_load((ROOT / "stack.yaml").read_text())
    data["slack"] = {"enabled": True, "channel": "#chaos", "bot_token": slack.token, "signing_secret": SECRET,
                     "base_url": slack.base_url, "retries": 1, **section}
    data["policy"]["approvers"] = ["cli:*", f"slack:{APPROVER}"]
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(data))
    return load_settings(tmp_path / "stack.yaml")


@dataclass
class Harness:
    settings: Settings
    deps: Deps
    slack: SlackServer
    server: Listener
    out: io.StringIO

    @contextmanager
    def graph(self) -> Iterator[RunGraph]:
        with open_checkpointer(self.settings) as saver:  # its own connection, like another process
            yield build(saver)

    def start(self, run_id: str) -> Message:
        """Run until the approval; the approval message Slack now shows."""
        with self.graph() as g:
            assert runner.start(g, self.deps, run_id=run_id, count=2, cluster={"twin": True}).waiting is not None
        [message] = [m for m in self.slack.top_level() if f"`{run_id}`" in json.dumps(m.blocks)]
        return message

    def click(self, message: Message, action_id: str, user: str = APPROVER, **kw: object) -> tuple[int, str]:
        return post_click(self.server.url, SECRET, form_body(click_payload(message, action_id, user)), **kw)  # type: ignore[arg-type]

    def view(self, run_id: str) -> runner.RunView:
        with self.graph() as g:
            return runner.view(g, run_id)

    def drain(self) -> None:
        assert self.server.drain(DEADLINE_S), "the Slack app's workers did not finish in time"

    def engines(self) -> list[str]:
        from kubernetes import client

        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=self.deps.cluster.server)))  # type: ignore[attr-defined]
        found = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")
        return [e["metadata"]["name"] for e in found["items"]]


@pytest.fixture
def h(tmp_path: Path, slack: SlackServer) -> Iterator[Harness]:
    settings = slack_settings(tmp_path, slack)
    out = io.StringIO()
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=out, width=200), realtime=False) as deps:

        @contextmanager
        def on_this_twin(binding: ClusterBinding) -> Iterator[tuple[RunGraph, Deps]]:
            assert binding.twin
            with open_checkpointer(settings) as saver:
                yield build(saver), deps

        runs = GraphRuns(settings, open_run=on_this_twin)
        ops = GraphOps(settings, binding=ClusterBinding(twin=True), open_run=on_this_twin)
        web = slack_web(settings)
        decisions = Decisions(replies=web, runs=runs, policy=deps.policy, audit=deps.audit)
        commands = Commands(ops=ops, replies=web, policy=deps.policy, audit=deps.audit)
        with slack_listener(settings, decisions, commands) as server:
            yield Harness(settings, deps, slack, server, out)


def test_candidates_are_posted_with_a_run_button_each_and_save_only(h: Harness) -> None:
    message = h.start("slk00001")
    titles = h.view("slk00001").state["candidates"]
    buttons = message.buttons()
    assert [b["text"]["text"] for b in buttons] == [f"Run {t}" for t in titles] + ["💾 Save Only", "Reject"]
    assert [json.loads(b["value"]) for b in buttons] == [
        {"run": "slk00001", "choice": 1}, {"run": "slk00001", "choice": 2},
        {"run": "slk00001", "choice": None}, {"run": "slk00001", "choice": None},
    ]
    assert all("confirm" in b for b in buttons[:2])  # live chaos asks "Run this experiment?" first
    assert message.channel == "C0CHAOS" and "wait for approval" in message.text
    assert h.slack.calls_to("chat.update") == []


def test_approve_click_acks_at_once_runs_once_and_reports_in_the_thread(h: Harness) -> None:
    message = h.start("slk00002")
    title = h.view("slk00002").state["candidates"][0]
    began = time.monotonic()
    status, _ = h.click(message, "run_1")
    assert status == 200 and time.monotonic() - began < 3.0  # Slack's deadline for the ack
    h.drain()

    state = h.view("slk00002").state
    assert state["outcome"] == "completed"
    decision = Decision.model_validate(state["decision"])
    assert (decision.channel, decision.approver, decision.choice) == ("slack", APPROVER, 1)
    assert h.engines() == ["ca-slk00002"]
    # The approval message now says who approved what, when, and how it ended; no buttons left.
    assert message.text.startswith(f"✅ *Run {title}* approved by <@{APPROVER}> at ") and " UTC" in message.text
    assert message.buttons() == [] and message.updates == 2
    assert "Run `slk00002` completed" in json.dumps(message.blocks, ensure_ascii=False)
    thread = h.slack.replies(message.ts)
    progress = [m.text for m in thread if m.text.startswith("🔄")]
    assert progress and all(PROGRESS.match(p) for p in progress), progress
    assert progress[0].startswith(f"🔄 {title} - RUNNING / ")
    [tldr] = [m for m in thread if "Report: `" in m.text]
    assert tldr.text.startswith("Finding: ") and tldr.broadcast and state["report_path"] in tldr.text
    assert h.slack.ephemerals() == []


def test_reject_click_rejects_and_applies_nothing(h: Harness) -> None:
    message = h.start("slk00003")
    assert h.click(message, "reject")[0] == 200
    h.drain()
    state = h.view("slk00003").state
    assert state["outcome"] == "rejected" and state["reason"] == f"rejected by slack:{APPROVER}"
    assert h.engines() == []
    assert message.text.startswith(f"❌ Rejected by <@{APPROVER}> at ")
    assert "Run `slk00003` rejected" in json.dumps(message.blocks)


def test_save_only_keeps_the_specs_and_runs_nothing(h: Harness) -> None:
    message = h.start("slk00004")
    assert h.click(message, "save_only")[0] == 200
    h.drain()
    state = h.view("slk00004").state
    assert state["outcome"] == "rejected" and state["reason"] == f"rejected by slack:{APPROVER}: saved only"
    assert h.engines() == []
    assert message.text.startswith(f"💾 Saved only by <@{APPROVER}> at ")
    assert len(list(h.settings.path(h.settings.paths.experiments).glob("*.json"))) == 2


def assert_nothing_changed(h: Harness, run_id: str, message: Message) -> None:
    h.drain()
    assert h.view(run_id).waiting is not None
    assert message.updates == 0 and len(message.buttons()) == 4
    assert h.engines() == []


def test_a_bad_signature_is_refused(h: Harness) -> None:
    message = h.start("slk00005")
    status, text = h.click(message, "run_1", signature="v0=" + "0" * 64)
    assert status == 401 and "bad signature" in text and "nothing changed" in text
    other = post_click(h.server.url, "not-the-secret", form_body(click_payload(message, "run_1", APPROVER)))
    assert other[0] == 401
    assert_nothing_changed(h, "slk00005", message)
    assert h.slack.ephemerals() == []


def test_a_stale_timestamp_is_refused_even_when_signed(h: Harness) -> None:
    message = h.start("slk00006")
    status, text = h.click(message, "run_1", timestamp=int(time.time()) - 301)
    assert status == 401 and "stale request" in text
    assert_nothing_changed(h, "slk00006", message)


def test_a_user_outside_policy_approvers_is_told_and_nothing_changes(h: Harness) -> None:
    message = h.start("slk00007")
    status, text = h.click(message, "run_1", user="U0STRANGER")
    assert status == 200 and "not an approver" in text
    assert_nothing_changed(h, "slk00007", message)
    [told] = h.slack.ephemerals()
    assert told.body["user"] == "U0STRANGER" and '"slack:U0STRANGER" to policy.approvers' in told.body["text"]


@pytest.mark.parametrize(("body", "expected"), [
    (b"payload=%7Bnot+json", "malformed Slack payload: not JSON"),
    (b"token=x&team_id=T0", "no form field 'payload'"),
    (form_body({"type": "block_actions", "actions": []}), "malformed Slack payload: user: Field required"),
    (form_body({"type": "block_actions", "user": {"id": APPROVER},
                "actions": [{"action_id": "run_1", "value": "slk00008"}]}), "malformed button value of 'run_1'"),
    (form_body({"type": "block_actions", "user": {"id": APPROVER},
                "actions": [{"action_id": "run_2", "value": '{"run": "slk00008", "choice": 1}'}]}), "is not one of run_<N>"),
    (form_body({"type": "block_actions", "user": {"id": APPROVER},
                "actions": [{"action_id": "delete_all", "value": '{"run": "slk00008", "choice": null}'}]}), "is not one of"),
    *((form_body({"type": "block_actions", "user": {"id": APPROVER},  # type confusion: never read as choice 1
                  "actions": [{"action_id": "run_1", "value": '{"run": "slk00008", "choice": %s}' % lax}]}),
       "malformed button value of 'run_1'") for lax in ('"1"', "1.0", "true")),
])
def test_a_malformed_payload_is_a_400_that_says_what_is_wrong(h: Harness, body: bytes, expected: str) -> None:
    message = h.start("slk00008")
    status, text = post_click(h.server.url, SECRET, body)
    assert status == 400 and expected in text and text.endswith("nothing changed"), text
    assert_nothing_changed(h, "slk00008", message)
    assert h.slack.ephemerals() == []


def test_fifty_concurrent_clicks_on_one_button_create_one_engine(h: Harness) -> None:
    message = h.start("slk00009")
    go, statuses, lock = threading.Event(), [], threading.Lock()

    def click(i: int) -> None:
        go.wait()
        status, _ = h.click(message, "run_1", retry=1 if i % 5 == 0 else None)  # some are Slack's retries
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=DEADLINE_S)
    h.drain()

    assert statuses == [200] * 50
    assert h.engines() == ["ca-slk00009"]
    state = h.view("slk00009").state
    assert state["outcome"] == "completed"
    assert [e["kind"] for e in state["events"]].count("approved") == 1
    assert message.updates == 2  # "approved by" once, then the result
    told = [c.body["text"] for c in h.slack.ephemerals()]
    assert 39 <= len(told) <= 40  # every loser but Slack's retries hears "nothing changed"
    assert all(re.search(r"already answered|no longer waiting", t) and t.endswith("nothing changed.") for t in told)


def test_a_repeated_click_and_a_slack_retry_resume_once(h: Harness) -> None:
    message = h.start("slk00010")
    body = form_body(click_payload(message, "run_1", APPROVER))  # the button as the user saw it
    assert post_click(h.server.url, SECRET, body)[0] == 200
    h.drain()
    assert post_click(h.server.url, SECRET, body)[0] == 200  # the same click again, on a stale screen
    assert post_click(h.server.url, SECRET, body, retry=2)[0] == 200  # Slack resending one it thinks was lost
    h.drain()
    assert h.engines() == ["ca-slk00010"]
    [told] = [c.body["text"] for c in h.slack.ephemerals()]  # the retry stays silent
    assert told == "Run `slk00010` is no longer waiting for approval (it is completed); nothing changed."
    assert message.updates == 2


def test_a_click_after_the_cli_answered_is_told_politely_and_changes_nothing(h: Harness) -> None:
    message = h.start("slk00011")
    with h.graph() as g:
        cli = Decision(verdict="reject", approver="alice", channel="cli", at=h.deps.clock.now())
        runner.resume(g, h.deps, "slk00011", cli)
    assert h.click(message, "run_1")[0] == 200
    h.drain()
    [told] = h.slack.ephemerals()
    assert "no longer waiting for approval (it is rejected)" in told.body["text"]
    assert h.view("slk00011").state["reason"] == "rejected by cli:alice"
    assert h.engines() == [] and message.updates == 0


def test_a_transient_slack_error_is_retried(h: Harness) -> None:
    h.slack.fail("chat.postMessage", status=503, error="service_unavailable", times=1)
    message = h.start("slk00012")
    assert len(h.slack.calls_to("chat.postMessage")) == 2 and len(message.buttons()) == 4
    assert "warning" not in h.out.getvalue()


def test_slack_down_never_blocks_a_run_and_the_cli_still_approves(tmp_path: Path, slack: SlackServer) -> None:
    settings = slack_settings(tmp_path, slack)
    out = io.StringIO()
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=out, width=300), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            graph = build(saver)
            runner.start(graph, deps, run_id="slk00013", count=2, cluster={"twin": True})  # posted
            slack.down()
            began = time.monotonic()
            cli = Decision(verdict="approve", choice=1, approver="alice", channel="cli", at=deps.clock.now())
            view = runner.resume(graph, deps, "slk00013", cli)
            took = time.monotonic() - began
            runner.start(graph, deps, run_id="slk00014", count=2, cluster={"twin": True})  # still down
            assert runner.view(graph, "slk00014").waiting is not None
    assert view.state["outcome"] == "completed" and Path(view.state["report_path"]).exists()
    assert took < 15.0, f"a Slack outage held the run for {took:.1f} s"
    text = out.getvalue()
    assert "Slack chat.postMessage failed: cannot reach" in text and "the run goes on without Slack" in text
    assert "approve from the CLI: python -m agent resume slk00014 --approve N" in text
    assert "Finding: " in text  # the terminal still got the TL;DR
    slack.up()
    assert [m.thread_ts for m in slack.messages.values()] == [None]  # only the first approval message


def test_slack_errors_name_the_fix(tmp_path: Path, slack: SlackServer) -> None:
    settings = slack_settings(tmp_path, slack, channel="#nowhere")
    out = io.StringIO()
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=out, width=300), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            runner.start(build(saver), deps, run_id="slk00015", count=1, cluster={"twin": True})
    assert "Slack chat.postMessage failed: channel_not_found (HTTP 200); fix slack.channel, or invite the bot to it" in out.getvalue()


def test_slack_enabled_without_a_token_is_a_config_error(tmp_path: Path, slack: SlackServer) -> None:
    from agent.errors import ConfigError

    settings = slack_settings(tmp_path, slack)
    settings = settings.model_copy(update={"slack": settings.slack.model_copy(update={"bot_token": None})})
    with pytest.raises(ConfigError, match="slack.bot_token: missing"):
        with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO())):
            pass
    shutil.rmtree(tmp_path / ".chaos-advisor", ignore_errors=True)


def test_run_data_is_shown_as_text_never_as_slack_markup() -> None:
    from agent.adapters.slack_blocks import approval_blocks
    from agent.models import Candidate
    from tests.factories import spec

    hostile = spec(title="Kill <!channel> <http://evil.example|docs>", description="a & b")
    blocks = approval_blocks("r1", [Candidate(rank=1, score=1.0, spec=hostile)], [])
    mrkdwn = " ".join(re.findall(r'"type": "mrkdwn", "text": "([^"]*)"', json.dumps(blocks)))
    assert "<!channel>" not in mrkdwn and "<http" not in mrkdwn  # plain_text labels render as typed
    assert "&lt;!channel&gt;" in mrkdwn and "a &amp; b" in mrkdwn


def test_a_click_losing_the_claim_to_another_process_says_so_and_changes_nothing(h: Harness) -> None:
    message = h.start("slk00016")
    pending = h.view("slk00016").interrupt_id
    assert pending and h.deps.store.claim("slk00016", pending)  # another process got there first
    assert h.click(message, "run_1")[0] == 200
    h.drain()
    assert h.engines() == [] and h.view("slk00016").waiting is not None
    assert message.text.startswith(f"⚠️ <@{APPROVER}>'s answer was not applied: run slk00016 was already answered")
    [told] = h.slack.ephemerals()
    assert told.body["text"].endswith("nothing changed")
