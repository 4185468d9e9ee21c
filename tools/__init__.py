"""Typed LangChain tools, one module per capability, thin wrappers over ``agent``.

``build_tools(deps)`` binds the read-only design tools to one set of adapters;
``build_chat_tools(deps, runs, session)`` adds the run tools the chat hands to a model (or calls
from its slash commands). Tools never import ``graphs``: approving resumes the graph's interrupt
through the :class:`tools.runs.RunControl` port, and no tool applies an engine directly.
"""

from __future__ import annotations

from dataclasses import replace

from langchain_core.tools import BaseTool

from agent.ports import Deps
from tools.abort import abort_tool
from tools.approvals import approvals_tool
from tools.decide import decide_tools
from tools.explain import Remembering, explain_tool
from tools.inventory import inventory_tool
from tools.report import report_tool
from tools.runs import ChatSession, RunControl
from tools.start import start_tool
from tools.status import status_tool
from tools.suggest import suggest_tool


def build_tools(deps: Deps) -> list[BaseTool]:
    """The read-only design tools bound to ``deps``: inventory, suggest, explain."""
    designer = Remembering(deps.designer)
    deps = replace(deps, designer=designer)  # suggest's list is the one explain_candidate explains
    return [inventory_tool(deps), suggest_tool(deps), explain_tool(deps, designer)]


def build_chat_tools(deps: Deps, runs: RunControl, session: ChatSession) -> list[BaseTool]:
    """Every capability of the chat: the design tools, then the run tools (start to the approval
    pause, list approvals, approve, reject, status, abort, report)."""
    return [
        *build_tools(deps),
        start_tool(runs, session),
        approvals_tool(runs, session),
        *decide_tools(runs, session),
        status_tool(runs),
        abort_tool(runs, session),
        report_tool(deps, runs),
    ]
