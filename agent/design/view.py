"""The ranked candidates on a Rich console, in the seed's shape (``suggest`` and the terminal notifier)."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console

from agent.design.measurable import abort_warning
from agent.design.targets import abort_line, target_line
from agent.models import Candidate, Inventory, Rejection


def print_candidates(
    console: Console, candidates: list[Candidate], rejected: list[Rejection], *, notice: str | None = None,
    inventory: Inventory | None = None, inventories: Mapping[str, Inventory] | None = None,
) -> None:
    """The ranked list in the seed's shape: title, description, action, target, risk, duration,
    file; with each the exact selector, the pods it matches in ``inventory`` and the abort condition
    (warned about when it watches a service off the predicted path). ``inventories``: each cluster's,
    by name, when the candidates come from several (each is shown with its own)."""
    if notice:
        console.print(f"[yellow]note:[/yellow] {notice}", highlight=False)
    console.print(f"[bold]{len(candidates)} proposed experiment(s)[/bold]")
    for c in candidates:
        s = c.spec
        sel = s.target_selector
        inv = inventories.get(s.cluster or "", inventory) if inventories else inventory
        console.print(f"\n[bold]📋 {c.rank}. {s.title}[/bold]  (score {c.score:g})", highlight=False)
        console.print(f"   {s.description}", highlight=False)
        console.print(
            f"   Action: {s.action.value} • Target: {sel.namespace}/{sel.service} ({sel.label_selector}) • "
            f"Risk: {s.risk_level} • Duration: {s.parameters.duration_s}s" + (f" • Cluster: {s.cluster}" if s.cluster else ""),
            highlight=False,
        )
        console.print(f"   Hits: {target_line(s, inv)}", highlight=False)
        console.print(f"   Stops itself: {abort_line(s)}", highlight=False)
        if (off := abort_warning(s, inv)) is not None:
            console.print(f"   [yellow]warning:[/yellow] {off}", highlight=False)
        if s.rationale.strip():  # a user-supplied spec may have none: no empty line
            console.print(f"   Why: {s.rationale}", highlight=False)
        if s.hypothesis:
            console.print(f"   Hypothesis: {s.hypothesis.statement}; recovery ≤ {s.hypothesis.recovery_s:.0f} s", highlight=False)
        if c.saved_path:
            console.print(f"   File: {c.saved_path}", highlight=False)
    for r in rejected:
        console.print(f"[yellow]rejected[/yellow] {r.title}: {r.rule}: {r.reason}", highlight=False)
    console.print()
