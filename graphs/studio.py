"""The run graph for LangGraph Studio (``langgraph dev``; langgraph.json points here).

The platform supplies the checkpointer, so the graph is compiled without one. Nodes take their
Deps (clients: cluster, metrics, clock, store...) from the runtime context, which Studio cannot
send: a context there is JSON. So a run started without Deps gets the Sock Shop twin's, built
from the repository's stack.yaml (and the usual ``CHAOS_ADVISOR_*`` environment) on first use
and kept for the life of the server process, which is this entry point's own. Code that invokes
``graph`` itself may still pass ``context=deps``.

In Studio, start a run with the input ``{"count": 3, "cluster": {"twin": true}}`` (its run id comes from the thread);
it pauses at ``approve`` and resumes with a Decision, e.g. ``{"verdict": "approve", "choice": 1,
"approver": "me", "channel": "cli", "at": "2026-11-26T12:00:00Z"}``.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from rich.console import Console

from agent.ports import Deps
from graphs.builder import RunGraph, build

STACK = Path(__file__).resolve().parents[1] / "stack.yaml"


class _TwinDeps:
    """Deps on the twin, opened once (thread-safe) and closed when the process exits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deps: Deps | None = None
        self._scope = ExitStack()

    def get(self) -> Deps:
        with self._lock:
            if self._deps is None:
                from agent.config import load_settings
                from agent.wiring import ClusterBinding, open_deps

                settings = load_settings(STACK)
                binding = ClusterBinding(twin=True)
                self._deps = self._scope.enter_context(open_deps(settings, binding, console=Console(stderr=True)))
                atexit.register(self.close)
            return self._deps

    def close(self) -> None:
        """Stop the twin (at exit; tests call it themselves)."""
        with self._lock:
            self._scope.close()
            self._deps = None


class StudioGraph(RunGraph):
    """The compiled run graph; a run given no Deps (Studio's case) runs on the twin's."""

    twin: _TwinDeps = _TwinDeps()

    def _context(self, context: object) -> Deps:
        return context if isinstance(context, Deps) else self.twin.get()

    # invoke, ainvoke and every astream_events version go through one of these two.
    def stream(self, input: Any, config: RunnableConfig | None = None, *, context: Any = None, **kwargs: Any) -> Iterator[Any]:  # type: ignore[override]
        return super().stream(input, config, context=self._context(context), **kwargs)

    async def astream(self, input: Any, config: RunnableConfig | None = None, *, context: Any = None, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        # Opening the twin blocks (files, a server thread): not on the server's event loop.
        deps = context if isinstance(context, Deps) else await asyncio.to_thread(self.twin.get)
        async for chunk in super().astream(input, config, context=deps, **kwargs):
            yield chunk

    def get_context_jsonschema(self) -> None:
        """No schema: Deps are clients, not JSON, so Studio has no context to ask for."""
        return None


def studio_graph() -> StudioGraph:
    """The run graph without a checkpointer, as a StudioGraph (copied as ``Pregel.copy`` does)."""
    compiled = build(None)
    return StudioGraph(**{k: v for k, v in compiled.__dict__.items() if k != "__orig_class__"})


graph = studio_graph()
