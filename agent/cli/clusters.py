"""Several clusters from the command line: ``--context NAME`` picks one of stack.yaml's
``clusters:``; without it, ``inventory`` and ``suggest`` work on every listed cluster — the
inventories side by side, the candidates ranked across them, each spec naming its cluster.

Each cluster is worked on alone, with the single-cluster settings of
:func:`agent.config.clusters.settings_for` and its own connection (``ClusterBinding.cluster``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from agent.cli.common import cluster_binding, console

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.design.propose import Design
    from agent.inventory.clusters import ClusterInventory, Unreached
    from agent.models import Inventory

T = TypeVar("T")

ContextOpt = Annotated[str | None, typer.Option("--context", help=(
    "The cluster (its name in stack.yaml's clusters:) to work on; default: every one for inventory, suggest and "
    "doctor, the spec's for run, else the first (chat, web and slack serve: where new runs go)."))]


def chosen(settings: Settings, context: str | None) -> list[Settings]:
    """The single-cluster settings to work on: ``--context``'s cluster, else every listed one,
    else (no ``clusters:``) ``settings`` themselves. An unknown name is a ConfigError."""
    from agent.config.clusters import cluster_names, settings_for

    names: list[str | None] = [context] if context else [*cluster_names(settings)] or [None]
    return [settings_for(settings, n) for n in names]


def for_run(settings: Settings, context: str | None, spec_file: Path, named: str | None) -> Settings:
    """The cluster ``run SPEC`` runs on: ``--context``, else the one the spec names, else the first.
    A spec naming a cluster stack.yaml does not list is a SpecInvalid; ``--context`` naming
    another cluster than the spec, a usage error."""
    from agent.config.clusters import settings_for
    from agent.errors import ConfigError, SpecInvalid

    if context and named and context != named:
        raise typer.BadParameter(f"{spec_file} names cluster {named!r}, not {context!r}; drop --context "
                                 "or edit the spec's cluster", param_hint="--context")
    if context or not named:
        return settings_for(settings, context)
    try:
        return settings_for(settings, named, where="cluster")
    except ConfigError as e:
        raise SpecInvalid(f"{spec_file} {e}; fix the spec's cluster or drop it (then: the first cluster)") from None


def reached(targets: list[Settings], work: Callable[[Settings], T]) -> tuple[list[tuple[Settings, T]], list[Unreached]]:
    """``work`` on each cluster of ``targets``; with several, a cluster whose API fails (ClusterError:
    unreachable, forbidden, ...) is left out and said, so one cluster down does not hide the others.
    Every one failing raises the first's error; so does the one cluster of ``--context``."""
    from agent.errors import ClusterError
    from agent.inventory.clusters import Unreached

    done: list[tuple[Settings, T]] = []
    missed: list[tuple[Settings, ClusterError]] = []
    for one in targets:
        try:
            done.append((one, work(one)))
        except ClusterError as e:
            if len(targets) == 1:
                raise
            missed.append((one, e))
    if not done:
        raise missed[0][1]
    return done, [Unreached(cluster=str(one.cluster), context=one.k8s.context, error=str(e)) for one, e in missed]


def unreached_note(missed: list[Unreached]) -> str | None:
    """One sentence naming each cluster left out, with how to try it alone; None when none was."""
    if not missed:
        return None
    return "; ".join(f"cluster {m.cluster} not reached ({m.error}): left out; --context {m.cluster} tries it alone"
                     for m in missed)


def discovered(one: Settings, twin: bool, manifests: list[Path] | None) -> Inventory:
    """Discover the stack of ``one`` cluster (its namespaces checked against its policy first)."""
    from agent.cli.design import nothing_left_on_failure
    from agent.inventory.checks import require_allowed, require_usable
    from agent.inventory.discovery import discover
    from agent.wiring import open_deps

    require_allowed(one.k8s.namespaces, one.policy)
    binding = cluster_binding(twin, manifests, cluster=one.cluster)
    with nothing_left_on_failure(one):  # a stack refused after discovery leaves nothing behind
        with open_deps(one, binding, console=console) as deps:
            inv = discover(deps)
        require_usable(inv, one)
    return inv


def side_by_side(found: list[ClusterInventory]) -> None:
    """A summary row per cluster, then each cluster's inventory under its name."""
    from rich.table import Table

    from agent.inventory.view import render_inventory

    table = Table(title="Clusters")
    for column in ("cluster", "context", "API server", "namespaces", "services", "pods ready", "engines"):
        table.add_column(column)
    for c in found:
        inv = c.inventory
        table.add_row(c.cluster, c.context or "-", inv.cluster, ", ".join(sorted({t.namespace for t in inv.targets})),
                      str(len(inv.targets)), f"{sum(p.ready for p in inv.pods)}/{len(inv.pods)}",
                      ", ".join(inv.litmus.engines) or "none")
    console.print(table)
    for c in found:  # a heading, not a rule: piped output is never wrapped, so a rule would be 100,000 wide
        console.print(f"\n[bold]cluster {c.cluster}[/bold] ({c.context or 'current context'}, {c.inventory.cluster})",
                      highlight=False)
        render_inventory(console, c.inventory)


def designed(one: Settings, twin: bool, manifests: list[Path] | None, count: int) -> tuple[Inventory, Design]:
    """Discover and design on ``one`` cluster; every spec names it."""
    from agent.cli.design import nothing_left_on_failure
    from agent.design.propose import DefaultEngine, design
    from agent.inventory.checks import require_allowed, require_usable
    from agent.inventory.discovery import discover
    from agent.wiring import open_deps

    require_allowed(one.k8s.namespaces, one.policy)
    binding = cluster_binding(twin, manifests, cluster=one.cluster)
    with nothing_left_on_failure(one), open_deps(one, binding, console=console) as deps:
        inv = discover(deps)
        require_usable(inv, one)
        engine = DefaultEngine(deps.designer, one.engines.default, cluster=one.cluster)
        return inv, design(inv, engine, deps.policy(), count=count)


def ranked_across(designs: list[Design], count: int, *, also: str | None = None) -> Design:
    """One design of every cluster's candidates ranked by score (the planner's expected harm: the
    same scale on every cluster), the best ``count``; every refusal and notice kept, and ``also``."""
    from agent.design.propose import Design

    pool = sorted((c for d in designs for c in d.candidates), key=lambda c: -c.score)[:count]  # ties: file order
    notes = [f"{d.proposal.notice}" for d in designs if d.proposal.notice] + ([also] if also else [])
    ranked = [c.model_copy(update={"rank": i}) for i, c in enumerate(pool, 1)]
    proposal = designs[0].proposal.model_copy(update={"candidates": ranked, "notice": "; ".join(notes) or None})
    return Design(candidates=ranked, rejected=[r for d in designs for r in d.rejected], proposal=proposal)


def check_run_cluster(settings: Settings, run_id: str, context: str | None) -> None:
    """``status RUN --context NAME``: NAME must be a listed cluster and the one the run ran on."""
    if context is None:
        return
    from agent.config.clusters import pick
    from agent.wiring import ClusterBinding, open_checkpointer
    from graphs import runner
    from graphs.builder import build

    pick(settings, context)
    with open_checkpointer(settings) as saver:
        state = runner.view(build(saver), run_id).state
    ran_on = ClusterBinding.model_validate(state.get("cluster") or {}).cluster
    if state and ran_on != context:  # an unknown run: status says so
        raise typer.BadParameter(f"run {run_id} ran on cluster {ran_on or 'the first'!r}, not {context!r}; "
                                 f"drop --context" + (f" or give --context {ran_on}" if ran_on else ""),
                                 param_hint="--context")
