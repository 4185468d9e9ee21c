"""The chat on the twin: a scripted model and the loopback OpenAI-compatible server drive the
tool-calling agent; slash commands drive the same tools. Every approval goes through the run's
interrupt (``graphs.runner.resume``), so the twin ends with exactly one ChaosEngine per approval.

The scripted model has no endpoint; the wire test talks to 127.0.0.1 only and fails before any
call to another host. Lines are fed to the REPL by a function: no terminal needed.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from pydantic import Field, SecretStr
from rich.console import Console

from agent.adapters.llm_chat import chat_model
from agent.chat.repl import Repl
from agent.cli.chat import GraphRuns, make_repl
from agent.config import LLM, Settings, load_settings
from agent.ports import Deps
from agent.wiring import ClusterBinding, open_checkpointer, open_deps
from graphs import runner
from graphs.builder import RunGraph, build
from tests.integration.openai_server import OpenAIServer

ROOT = Path(__file__).resolve().parents[2]
USER = "tester"
TOOLS = ["get_inventory", "suggest_experiments", "explain_candidate", "start_run", "list_approvals",
         "approve_experiment", "reject_run", "run_status", "abort_run", "show_report"]


@pytest.fixture(autouse=True)
def no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail closed: nothing in the environment may point a model at a real endpoint."""
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


class ScriptedChatModel(BaseChatModel):
    """Replays scripted answers (an AIMessage, or a function of the messages so far); ``bind_tools``
    returns itself and records the tool names. Calling it past its script fails the test."""

    script: list[Any]
    seen: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        self.bound = [t.name for t in tools]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        assert self.script, "the model was called past its script"
        step = self.script.pop(0)
        return ChatResult(generations=[ChatGeneration(message=step(messages) if callable(step) else step)])


def calls(*calls: tuple[str, dict[str, Any]]) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": n, "args": a, "id": f"c{i}", "type": "tool_call"}
                                     for i, (n, a) in enumerate(calls)])


def fed(lines: list[str]) -> tuple[Callable[[str], str], list[str]]:
    """A reader that answers prompts with ``lines`` in order, then EOF (Ctrl-D); and the prompts."""
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        if not lines:
            raise EOFError
        line = lines.pop(0)
        if line == "^C":
            raise KeyboardInterrupt
        return line

    return read, prompts


@dataclass
class World:
    settings: Settings
    deps: Deps
    graph: RunGraph
    runs: GraphRuns
    out: io.StringIO

    def repl(self, lines: list[str], model: BaseChatModel | None = None) -> tuple[Repl, list[str]]:
        read, prompts = fed(lines)
        console = Console(file=self.out, width=160)
        return make_repl(console, self.deps, self.runs, read=read, approver=USER, model=model), prompts

    def paused_run(self, run_id: str, count: int = 3) -> list[str]:
        view = runner.start(self.graph, self.deps, run_id=run_id, count=count, cluster={"twin": True})
        assert view.waiting is not None
        return view.waiting.candidates

    def engines(self) -> list[str]:
        url = f"{self.deps.cluster.server}/apis/litmuschaos.io/v1alpha1/namespaces/sock-shop/chaosengines"  # type: ignore[attr-defined]
        with urllib.request.urlopen(url, timeout=10) as r:
            return [e["metadata"]["name"] for e in json.loads(r.read())["items"]]

    def state(self, run_id: str) -> dict[str, Any]:
        return dict(runner.view(self.graph, run_id).state)

    @property
    def text(self) -> str:
        return self.out.getvalue()


def settings_for(tmp_path: Path, *, chat_may_approve: bool = True) -> Settings:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    others = [a for a in settings.policy.approvers if not a.startswith("chat:")]
    approvers = [*others, "chat:*"] if chat_may_approve else others
    return settings.model_copy(update={"policy": settings.policy.model_copy(update={"approvers": approvers})})


@contextmanager
def world_at(settings: Settings) -> Iterator[World]:
    quiet = Console(file=io.StringIO())
    with open_deps(settings, ClusterBinding(twin=True), console=quiet, realtime=False) as deps, \
            open_checkpointer(settings) as saver:
        graph = build(saver)
        runs = GraphRuns(graph, saver, deps, ClusterBinding(twin=True), console=quiet, realtime=False)
        yield World(settings, deps, graph, runs, io.StringIO())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with world_at(settings_for(tmp_path)) as w:
        yield w


def tool_results(model: ScriptedChatModel, call: int) -> list[ToolMessage]:
    """The tool messages the model had been sent by its ``call``-th call (0-based)."""
    return [m for m in model.seen[call] if isinstance(m, ToolMessage)]


# --- the tool-calling agent, scripted -------------------------------------------------------------


def test_approve_the_second_one_lists_then_approves_once_through_the_interrupt(world: World) -> None:
    titles = world.paused_run("chat0001")
    model = ScriptedChatModel(script=[
        calls(("list_approvals", {})),
        calls(("approve_experiment", {"run_id": "chat0001", "choice": 2, "note": "asked in chat"})),
        AIMessage("Approved candidate 2 of run chat0001; it completed."),
    ])
    repl, prompts = world.repl(["approve the second one", "y"], model)

    repl.run()

    assert model.bound == TOOLS
    listed = json.loads(tool_results(model, 1)[0].content)  # type: ignore[arg-type]
    assert listed["runs"][0]["run_id"] == "chat0001" and listed["runs"][0]["candidates"] == titles
    approved = tool_results(model, 2)[-1]
    assert approved.status == "success" and json.loads(approved.content)["outcome"] == "completed"  # type: ignore[arg-type]
    assert prompts == ["chaos> ", "Go ahead? [y/N] ", "chaos> "]  # asked once, before the approval
    assert world.engines() == ["ca-chat0001"]
    state = world.state("chat0001")
    assert state["outcome"] == "completed" and state["report_path"]
    assert {k: state["decision"][k] for k in ("verdict", "choice", "approver", "channel", "note")} == {
        "verdict": "approve", "choice": 2, "approver": USER, "channel": "chat", "note": "asked in chat"}
    spec = world.deps.store.candidates("chat0001")[1].spec
    assert spec.title == titles[1] and f"'{spec.title}' by chat:{USER}" in json.dumps(state["events"])
    assert "approve_experiment(run_id='chat0001', choice=2" in world.text and "Approved candidate 2" in world.text
    assert f"That is: run chat0001, experiment 2 of 3: {titles[1]!r} will run now" in world.text


def test_the_model_gets_refusals_for_a_direct_apply_a_bad_choice_and_a_declined_approval(world: World) -> None:
    world.paused_run("chat0002")
    model = ScriptedChatModel(script=[
        calls(("apply_chaos_engine", {"namespace": "kube-system", "action": "node-drain"})),
        calls(("approve_experiment", {"run_id": "chat0002", "choice": 9})),
        AIMessage("I cannot apply chaos directly, and there is no candidate 9."),
        calls(("approve_experiment", {"run_id": "chat0002", "choice": 1})),
        AIMessage("Not approved: you declined."),
    ])
    repl, _ = world.repl(["drain the nodes in kube-system now", "y", "then approve the first", "n"], model)

    repl.run()

    direct, bad = tool_results(model, 2)
    assert direct.status == "error" and "there is no tool 'apply_chaos_engine'" in str(direct.content)
    assert "start_run, then approve_experiment" in str(direct.content)
    assert bad.status == "error" and "no proposal 9; there are 3: choose 1..3" in str(bad.content)
    declined = tool_results(model, 4)[-1]
    assert declined.status == "error" and "declined; nothing changed" in str(declined.content)
    assert world.engines() == []
    assert runner.view(world.graph, "chat0002").waiting is not None  # still waiting: nothing claimed it


def test_an_approver_the_policy_does_not_list_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    with world_at(settings_for(tmp_path, chat_may_approve=False)) as w:
        w.paused_run("chat0003")
        model = ScriptedChatModel(script=[calls(("approve_experiment", {"run_id": "chat0003", "choice": 1})),
                                          AIMessage("You are not allowed to approve from the chat.")])
        repl, _ = w.repl(["approve the first one", "y"], model)
        repl.run()
        refused = tool_results(model, 1)[-1]
        assert f"chat:{USER} may not approve runs; add them to policy.approvers" in str(refused.content)
        assert w.engines() == [] and runner.view(w.graph, "chat0003").waiting is not None


# --- over the wire: the loopback OpenAI-compatible server -----------------------------------------


def loopback_model(base_url: str, *, timeout_s: float = 5.0) -> BaseChatModel:
    host = urlparse(base_url).hostname
    assert host == "127.0.0.1", f"tests talk to loopback servers only, not {host}"
    return chat_model(LLM(enabled=True, model="test-model", base_url=base_url, api_key=SecretStr("test"),
                          timeout_s=timeout_s))


def test_one_full_turn_over_the_wire(world: World) -> None:
    world.paused_run("wire0001")
    with OpenAIServer() as server:
        server.answer_tool_calls([("list_approvals", {})])
        server.answer_tool_calls([("approve_experiment", {"run_id": "wire0001", "choice": 1})])
        server.answer_text("Approved the first candidate; run wire0001 completed.")
        repl, _ = world.repl(["approve the first one", "y"], loopback_model(server.base_url))
        repl.run()

    assert server.count == 3
    first = server.requests[0]
    assert [t["function"]["name"] for t in first["tools"]] == TOOLS
    approve = next(t["function"] for t in first["tools"] if t["function"]["name"] == "approve_experiment")
    assert "approve" in approve["description"] and approve["parameters"]["required"] == ["run_id", "choice"]
    assert first["messages"][0]["role"] == "system" and "chat:tester" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "approve the first one"}
    listed = server.requests[1]["messages"][-1]
    assert listed["role"] == "tool" and json.loads(listed["content"])["runs"][0]["run_id"] == "wire0001"
    done = server.requests[2]["messages"][-1]
    assert done["role"] == "tool" and json.loads(done["content"])["outcome"] == "completed"
    assert world.engines() == ["ca-wire0001"]
    assert world.state("wire0001")["decision"]["channel"] == "chat"
    assert "run wire0001 completed" in world.text


def test_an_unreachable_endpoint_is_one_line_and_the_chat_goes_on(world: World) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repl, prompts = world.repl(["what should I test?", "/approvals"], loopback_model(f"http://127.0.0.1:{port}/v1"))
    repl.run()
    assert f"error: LLM endpoint is unreachable at http://127.0.0.1:{port}/v1" in world.text
    assert "check llm.base_url" in world.text
    assert world.text.split("check llm.base_url")[1].split() == ["runs", "none"]  # /approvals still answers
    assert prompts == ["chaos> "] * 3


# --- slash commands: the same tools without a model -------------------------------------------------


def test_slash_commands_run_the_whole_loop_on_the_same_tools(world: World) -> None:
    world.paused_run("slash001")
    repl, _ = world.repl([
        "/help", "/inventory", "/suggest 2", "/explain 1", "/explain 2 slash001", "/approvals",
        "/approve slash001", "/approve slash001 1 steady enough", "/approve slash001 1",
        "/status slash001", "/report slash001", "/abort slash001", "/nope", "/quit", "/never-read",
    ])

    repl.run()

    out = world.text
    assert "/approve RUN_ID CHOICE [NOTE]" in out and "front-end" in out
    assert "2 candidate(s)" in out and "policy verdict" in out and "run slash001" in out
    assert "choice is missing; usage: /approve RUN_ID CHOICE [NOTE]" in out
    assert "run slash001 is not waiting for approval (it is completed); nothing changed" in out
    assert "Chaos report: " in out and "What happened" in out and "Key findings" in out
    assert "already ended" in out and "nothing is running" in out
    assert "unknown command /nope" in out and "/never-read" not in out
    assert world.engines() == ["ca-slash001"]
    decision = world.state("slash001")["decision"]
    assert (decision["channel"], decision["approver"], decision["note"]) == ("chat", USER, "steady enough")


def test_start_pauses_a_new_run_and_completion_offers_its_id(world: World) -> None:
    repl, _ = world.repl(["/start 2"])
    repl.run()
    (paused,) = world.runs.paused()
    assert paused.waiting_for_approval and len(paused.candidates) == 2 and world.engines() == []
    assert repl.complete("/ap", "/ap") == ["/approvals", "/approve"]
    assert repl.complete("", "/approve ") == [paused.run_id]
    assert repl.complete(paused.run_id[:3], f"/status {paused.run_id[:3]}") == [paused.run_id]
    assert repl.complete("", f"/approve {paused.run_id} ") == []  # the choice is not a run id


def test_ctrl_c_cancels_the_line_or_the_command_and_ctrl_d_leaves() -> None:
    @tool
    def get_inventory() -> str:
        """Stands in for a long command interrupted by Ctrl-C."""
        raise KeyboardInterrupt

    out = io.StringIO()
    read, prompts = fed(["^C", "/inventory", "/help", "hello"])
    Repl(Console(file=out, width=120), [get_inventory], read=read).run()
    text = out.getvalue()
    assert "^C" in text and "cancelled." in text and "/abort RUN" in text
    assert "Commands" in text and "Plain words need a model (llm.enabled is false)" in text
    assert prompts == ["chaos> "] * 5  # the fifth read hit EOF: Ctrl-D leaves


def test_the_chat_command_starts_without_a_terminal_and_says_why_words_need_a_key(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    env = os.environ | {"CHAOS_ADVISOR_LLM__ENABLED": "true", "CHAOS_ADVISOR_TWIN__SPEED": "1000000",
                        "COLUMNS": "200"}  # enabled, but no key: the chat falls back to /commands
    done = subprocess.run([sys.executable, "-m", "agent", "chat", "--twin", "--config", str(tmp_path / "stack.yaml")],
                          input="hello\n/approvals\n/quit\n", env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "slash commands only: llm.enabled, but no API key: set llm.api_key or OPENAI_API_KEY" in done.stdout
    assert "Plain words need a model (llm.enabled, but no API key" in done.stdout
    assert done.stdout.count("chaos> ") == 3
