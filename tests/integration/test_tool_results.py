"""Every tool's result as the model reads it, on Sock Shop: whole JSON, under its token budget; and
the argument bounds in the schema the model reads (the bodies still check them, with the fix)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from agent.chat.agent import result_text
from agent.errors import ChaosAdvisorError
from agent.inventory.summary import count_tokens
from agent.models import Inventory, Proposal
from agent.ports import Designer
from tests.integration import test_chat
from tests.integration.test_chat import USER, World
from tools import build_chat_tools
from tools.model_view import MODEL_TOKENS, for_model
from tools.runs import ChatSession

world = test_chat.world  # the chat tests' fixture: deps, graph and runs on a twin


def test_every_tool_result_is_whole_json_under_the_budget(world: World) -> None:
    tools = {t.name: t for t in build_chat_tools(world.deps, world.runs, ChatSession(approver=USER))}
    started = tools["start_run"].invoke({"count": 3})
    run_id = started.run_id
    calls = [
        ("get_inventory", {}), ("suggest_experiments", {"count": 20}), ("explain_candidate", {"rank": 1}),
        ("list_approvals", {}), ("run_status", {"run_id": run_id}),
        ("approve_experiment", {"run_id": run_id, "choice": 1}), ("run_status", {"run_id": run_id}),
        ("show_report", {"run_id": run_id}), ("abort_run", {"run_id": run_id}),
    ]
    sizes = {"start_run": count_tokens(result_text(for_model(started)))}
    for name, args in calls:
        text = result_text(for_model(tools[name].invoke(args)))
        assert not text.endswith("characters in all)"), (name, len(text))  # never cut mid-object
        json.loads(text)
        sizes[name] = count_tokens(text)
    second = tools["start_run"].invoke({"count": 2})
    text = result_text(for_model(tools["reject_run"].invoke({"run_id": second.run_id})))
    json.loads(text)
    sizes["reject_run"] = count_tokens(text)
    assert set(sizes) == set(tools)
    assert max(sizes.values()) < MODEL_TOKENS, sizes
    print(sizes)


def test_argument_bounds_are_in_the_schema_the_model_reads(world: World) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    tools = {t.name: t for t in build_chat_tools(world.deps, world.runs, ChatSession(approver=USER))}
    def bounds(name: str, arg: str) -> tuple[object, object]:
        prop = convert_to_openai_tool(tools[name])["function"]["parameters"]["properties"][arg]
        return prop.get("minimum"), prop.get("maximum")
    assert bounds("start_run", "count") == (1, 20)
    assert bounds("suggest_experiments", "count") == (1, 20)
    assert bounds("approve_experiment", "choice") == (1, 20)
    assert bounds("explain_candidate", "rank") == (1, 20)
    assert bounds("abort_run", "timeout_s") == (1, 600)


class CountingDesigner:
    """The stack's designer (the planner), counting how often it is asked."""

    def __init__(self, inner: Designer) -> None:
        self.name, self.calls, self._inner = inner.name, 0, inner

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        self.calls += 1
        return self._inner.propose(inventory, count)


def test_explain_without_a_run_explains_the_last_suggestion_without_asking_again(world: World) -> None:
    counting = CountingDesigner(world.deps.designer)
    deps = replace(world.deps, designer=counting)  # discovery through the real client, on the twin
    tools = {t.name: t for t in build_chat_tools(deps, world.runs, ChatSession(approver=USER))}
    shown = tools["suggest_experiments"].invoke({"count": 3})
    explained = tools["explain_candidate"].invoke({"rank": 3})
    assert explained.title == shown.candidates[2].spec.title
    assert explained.source == "the last suggestion (planner)"
    assert counting.calls == 1
    with pytest.raises(ChaosAdvisorError, match=r"has no candidate 9; choose 1\.\.3"):
        tools["explain_candidate"].invoke({"rank": 9})
