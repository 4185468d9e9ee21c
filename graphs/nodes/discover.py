"""discover: stack.yaml + the live API -> Inventory."""

from __future__ import annotations

import hashlib
import re

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_config
from langgraph.runtime import Runtime

from agent.inventory.discovery import discover as run_discovery
from agent.ports import Deps
from graphs.nodes.common import event
from graphs.state import RunState


def discover(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    run_id = state.get("run_id") or _from_thread(get_config())
    inv = run_discovery(deps)
    detail = f"{len(inv.workloads)} workloads, {len(inv.services)} services, {len(inv.pods)} pods on {inv.cluster}"
    deps.store.save_inventory(run_id, inv)
    return {"run_id": run_id, "events": [event(deps, "discovered", detail)]}


def _from_thread(config: RunnableConfig) -> str:
    """A run id for a run started without one (Studio): 8 hex digits of its thread id, so two
    threads never share an engine name (``ca-<run>``) or run files."""
    thread = str(config.get("configurable", {}).get("thread_id") or "")
    digits = re.sub(r"[^0-9a-f]", "", thread.lower())
    return (digits or hashlib.sha256(thread.encode()).hexdigest())[:8].rjust(8, "0")
