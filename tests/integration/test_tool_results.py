"""Every tool's result as the model reads it, on Sock Shop: whole JSON, under its token budget; and
the argument bounds in the schema the model reads (the bodies still check them, with the fix)."""

from __future__ import annotations

import json

from agent.chat.agent import result_text
from agent.inventory.summary import count_tokens
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
