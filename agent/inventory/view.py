"""Rich rendering of an Inventory: services by tier, what each inferred fact came from, and the
calls between services with their evidence (``inventory``'s table view)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from agent.models import Inventory

TIERS = ("edge", "business", "queue", "data")
KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def render_inventory(console: Console, inv: Inventory) -> None:
    """Print targets by tier, the inferred facts, the calls, then the raw counts by kind."""
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
                (t.name if len(namespaces) == 1 else f"{t.namespace}/{t.name}") + (" (entry)" if t.entry else ""),
                w.kind if w else "[red]not found[/red]",
                t.type + (f" ({t.store})" if t.store and t.store != t.type else ""),
                str(w.replicas) if w else "-",
                f"{ready}/{len(t.pods)}" if t.pods else "[red]0 pods[/red]",
                t.criticality,
                ", ".join(inv.callers(t.name)) or "-",
            )
        console.print(table)
    _inferred(console, inv)
    _calls(console, inv)
    counts = ", ".join(f"{sum(w.kind == k for w in inv.workloads)} {k}s" for k in KINDS[:2])
    daemonsets = sum(w.kind == "DaemonSet" for w in inv.workloads)
    console.print(
        f"{inv.cluster}: {counts}, {len(inv.services)} Services, {len(inv.pods)} Pods"
        + (f", {daemonsets} DaemonSets" if daemonsets else "") + f"; Litmus CRDs: {len(inv.litmus.crds)}"
        + f"; engines: {', '.join(inv.litmus.engines) or 'none'}"
    )


def _inferred(console: Console, inv: Inventory) -> None:
    """Facts discovery inferred (not written in stack.yaml), each with its source."""
    rows = [(t.name, e.fact, e.value, e.source) for t in inv.targets for e in t.evidence
            if not e.source.startswith("stack.yaml")]
    if not rows:
        return
    table = Table(title="inferred (override any of them in stack.yaml k8s.target_services)", title_justify="left")
    for column in ("service", "fact", "value", "from"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _calls(console: Console, inv: Inventory) -> None:
    if not inv.dependencies:
        console.print("calls: none known (none in stack.yaml k8s.dependencies, none seen in env, args or ConfigMaps)")
        return
    table = Table(title="calls", title_justify="left")
    for column in ("caller", "callee", "protocol", "waits", "evidence"):
        table.add_column(column, overflow="fold")
    for d in inv.dependencies:
        table.add_row(d.source, d.target, d.protocol, "sync" if d.sync else "async", d.evidence or "-")
    console.print(table)
