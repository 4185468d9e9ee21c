"""Typed LangChain tools, one module per capability, thin wrappers over ``agent``.

``build_tools(deps)`` binds them to one set of adapters; the chat REPL hands them to a model.
Tools never import ``graphs``: approving goes through the graph's interrupt, not a tool.
"""

from __future__ import annotations

from langchain_core.tools import BaseTool

from agent.ports import Deps
from tools.inventory import inventory_tool
from tools.suggest import suggest_tool


def build_tools(deps: Deps) -> list[BaseTool]:
    """Every capability as a tool bound to ``deps``."""
    return [inventory_tool(deps), suggest_tool(deps)]
