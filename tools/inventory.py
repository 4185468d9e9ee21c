"""Tool: discover the stack."""

from __future__ import annotations

from langchain_core.tools import BaseTool, tool

from agent.inventory.discovery import discover
from agent.models import Inventory
from agent.ports import Deps


def inventory_tool(deps: Deps) -> BaseTool:
    @tool(parse_docstring=True)
    def get_inventory(namespace: str | None = None) -> Inventory:
        """Discover the stack's services: workloads, replicas, readiness, dependencies.

        Args:
            namespace: Only targets in this namespace, e.g. "sock-shop"; None for all.
        """
        inv = discover(deps)
        if namespace is None:
            return inv
        return inv.model_copy(update={"targets": [t for t in inv.targets if t.namespace == namespace]})

    return get_inventory
