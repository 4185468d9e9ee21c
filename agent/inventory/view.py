"""Rich rendering of an Inventory: grouped by kind and tier, with replicas and readiness."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from agent.models import Inventory

TIERS = ("edge", "business", "queue", "data")


def render_inventory(console: Console, inv: Inventory) -> None:
    """Print targets by tier, then the raw counts by kind."""
    namespaces = sorted({t.namespace for t in inv.targets})
    for tier in TIERS:
        targets = [t for t in inv.targets if t.tier == tier]
        if not targets:
            continue
        table = Table(title=f"{tier} tier ({', '.join(namespaces)})", title_justify="left")
        for column in ("service", "kind", "type", "replicas", "ready", "criticality", "callers"):
            table.add_column(column, overflow="fold")
        for t in targets:
            w = t.workload
            ready = sum(p.ready for p in t.pods)
            table.add_row(
                t.name if len(namespaces) == 1 else f"{t.namespace}/{t.name}",
                w.kind if w else "[red]not found[/red]",
                t.type + (f" ({t.store})" if t.store and t.store != t.type else ""),
                str(w.replicas) if w else "-",
                f"{ready}/{len(t.pods)}" if t.pods else "[red]0 pods[/red]",
                t.criticality,
                ", ".join(inv.callers(t.name)) or "-",
            )
        console.print(table)
    kinds = {k: sum(w.kind == k for w in inv.workloads) for k in ("Deployment", "StatefulSet")}
    console.print(
        f"{inv.cluster}: {kinds['Deployment']} Deployments, {kinds['StatefulSet']} StatefulSets, "
        f"{len(inv.services)} Services, {len(inv.pods)} Pods; Litmus CRDs: {len(inv.litmus.crds)}"
    )
