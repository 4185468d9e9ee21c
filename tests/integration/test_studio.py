"""LangGraph Studio: langgraph.json names a compiled graph that runs as the platform runs it (its
own checkpointer, no Deps in the context), pausing at the approval on the twin and resuming."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

ROOT = Path(__file__).resolve().parents[2]
NODES = {"discover", "design", "notify", "approve", "execute", "monitor", "verify", "narrate"}


def load_from_langgraph_json() -> tuple[ModuleType, object]:
    """Import the object langgraph.json names, by file path, as ``langgraph dev`` does."""
    spec = json.loads((ROOT / "langgraph.json").read_text())
    assert spec["dependencies"] == ["."]
    (target,) = spec["graphs"].values()
    path, variable = target.rsplit(":", 1)
    loader = importlib.util.spec_from_file_location("studio_entry", ROOT / path)
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    sys.modules["studio_entry"] = module
    loader.loader.exec_module(module)
    return module, getattr(module, variable)


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, object]]:
    # Settings come from the repository's stack.yaml; keep the run's files in tmp_path.
    for field in ("STATE_DIR", "REPORTS", "EXPERIMENTS"):
        monkeypatch.setenv(f"CHAOS_ADVISOR_PATHS__{field}", str(tmp_path / field.lower()))
    monkeypatch.setenv("CHAOS_ADVISOR_CHECKPOINT__BACKEND", "sqlite")
    monkeypatch.setenv("CHAOS_ADVISOR_TWIN__SPEED", "1000000")  # the twin's clock runs without waiting
    module, graph = load_from_langgraph_json()
    try:
        yield module, graph
    finally:
        module.StudioGraph.twin.close()
        sys.modules.pop("studio_entry", None)


def test_langgraph_json_names_the_compiled_run_graph_without_a_checkpointer(studio: tuple[ModuleType, object]) -> None:
    _, graph = studio
    assert isinstance(graph, CompiledStateGraph)
    assert NODES <= set(graph.nodes)
    assert graph.checkpointer is None  # the platform brings its own
    assert graph.get_context_jsonschema() is None  # Deps are not something Studio can send


def test_a_studio_run_pauses_at_the_approval_and_resumes_on_the_twin(
    studio: tuple[ModuleType, object], tmp_path: Path
) -> None:
    _, graph = studio
    assert isinstance(graph, CompiledStateGraph)
    served = graph.copy(update={"checkpointer": InMemorySaver()})  # what langgraph-api does per run
    config = {"configurable": {"thread_id": "studio01"}, "recursion_limit": 600}
    served.invoke({"run_id": "studio01", "count": 2, "cluster": {"twin": True}, "events": []}, config)
    (pending,) = served.get_state(config).interrupts
    assert pending.value["run_id"] == "studio01" and len(pending.value["candidates"]) == 2
    decision = {"verdict": "approve", "choice": 1, "approver": "studio", "channel": "cli", "at": "2026-11-26T12:00:00Z"}
    final = asyncio.run(served.ainvoke(Command(resume=decision), config))  # the server's async path
    assert final["outcome"] == "completed"
    assert (tmp_path / "reports" / "latest.md").exists()
