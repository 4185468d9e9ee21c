"""The run graph, as in DESIGN.md:

discover -> design -> notify -> approve -(interrupt)-> execute -> monitor (loop) -> verify -> narrate
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.ports import Deps
from graphs.nodes.approve import approve
from graphs.nodes.design import design
from graphs.nodes.discover import discover
from graphs.nodes.execute import execute
from graphs.nodes.monitor import monitor
from graphs.nodes.narrate import narrate
from graphs.nodes.notify import notify
from graphs.nodes.verify import verify
from graphs.routing import after_approve, after_design, after_execute, after_monitor
from graphs.state import RunInput, RunState

RunGraph = CompiledStateGraph[RunState, Deps, RunInput, RunState]


def build(checkpointer: BaseCheckpointSaver | None) -> RunGraph:
    """The compiled run graph; pass the same checkpointer to resume a run from any process."""
    g = StateGraph(RunState, context_schema=Deps, input_schema=RunInput)
    g.add_node("discover", discover)
    g.add_node("design", design)
    g.add_node("notify", notify)
    g.add_node("approve", approve)
    g.add_node("execute", execute)
    g.add_node("monitor", monitor)
    g.add_node("verify", verify)
    g.add_node("narrate", narrate)
    g.add_edge(START, "discover")
    g.add_edge("discover", "design")
    g.add_conditional_edges("design", after_design)
    g.add_edge("notify", "approve")
    g.add_conditional_edges("approve", after_approve)
    g.add_conditional_edges("execute", after_execute)
    g.add_conditional_edges("monitor", after_monitor)
    g.add_edge("verify", "narrate")
    g.add_edge("narrate", END)
    return g.compile(checkpointer=checkpointer)
