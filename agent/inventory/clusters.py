"""Inventories of several clusters, side by side (``inventory`` with stack.yaml's ``clusters:``)."""

from __future__ import annotations

from agent.models import Inventory
from agent.models.base import Frozen


class ClusterInventory(Frozen):
    """One cluster's inventory; ``inventory -o json`` with several clusters prints
    ``{"clusters": [...]}`` of these, in stack.yaml's order."""

    cluster: str  # its name in stack.yaml's clusters:
    context: str | None  # the kube context it was reached through (None: the kubeconfig's current one)
    inventory: Inventory


class Unreached(Frozen):
    """A listed cluster whose API failed: left out of the rest, said with its error."""

    cluster: str
    context: str | None
    error: str


class Clusters(Frozen):
    """Every listed cluster's inventory; ``unreached``: those whose API failed (the rest still shown)."""

    clusters: list[ClusterInventory]
    unreached: list[Unreached] = []
