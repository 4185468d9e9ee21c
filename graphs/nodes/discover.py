"""discover: stack.yaml + the live API -> Inventory."""

from __future__ import annotations

from langgraph.runtime import Runtime

from agent.inventory.discovery import discover as run_discovery
from agent.ports import Deps
from graphs.nodes.common import event
from graphs.state import RunState


def discover(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    inv = run_discovery(deps)
    detail = f"{len(inv.workloads)} workloads, {len(inv.services)} services, {len(inv.pods)} pods on {inv.cluster}"
    deps.store.save_inventory(state["run_id"], inv)
    return {"events": [event(deps, "discovered", detail)]}
