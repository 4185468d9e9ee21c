"""CLI commands that run experiments: run-graph, run, resume, approvals, status, abort."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agent.cli.common import (
    DEFAULT_CONFIG,
    MAX_CANDIDATES,
    ConfigOpt,
    ManifestsOpt,
    TwinOpt,
    check_run_id,
    cluster_binding,
    console,
    decide,
    decision,
    finish,
    load_config,
    open_run,
    resume_here,
)


def run_graph(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    approve: Annotated[
        int | None, typer.Option("--approve", min=1, max=MAX_CANDIDATES, help="Approve candidate N without asking.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject all candidates without asking.")] = False,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=MAX_CANDIDATES, help="How many candidates.")] = 3,
) -> None:
    """Run the whole loop: discover, design, ask for approval, execute, monitor, report."""
    from graphs import runner

    settings = load_config(config)
    binding = cluster_binding(twin, manifests)
    with open_run(settings, binding) as (graph, deps):
        run_id = runner.new_run_id()
        console.print(f"Run [bold]{run_id}[/bold] on {'the Sock Shop twin' if binding.twin else 'the cluster'}")
        view = runner.start(graph, deps, run_id=run_id, count=count, cluster=binding.model_dump(mode="json"))
        decide(graph, deps, view, approve=approve, reject=reject)


def resume(
    run_id: Annotated[str, typer.Argument(help="The paused run's id.", callback=check_run_id)],
    config: ConfigOpt = DEFAULT_CONFIG,
    approve: Annotated[int | None, typer.Option("--approve", min=1, max=MAX_CANDIDATES, help="Approve candidate N.")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the run.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why (kept in the report).")] = "",
) -> None:
    """Answer a paused run's approval from any process; the run continues here."""
    from agent.wiring import ClusterBinding, open_checkpointer
    from graphs import runner
    from graphs.builder import build

    if (approve is None) == (not reject):
        raise typer.BadParameter("give exactly one of --approve N or --reject")
    settings = load_config(config)
    with open_checkpointer(settings) as saver:
        view = runner.view(build(saver), run_id)
    binding = ClusterBinding.model_validate(view.state.get("cluster") or {})
    with open_run(settings, binding) as (graph, deps):
        finish(resume_here(graph, deps, run_id, decision(deps, approve=approve, note=note)))


def approvals(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List runs waiting for an approval."""
    from rich.table import Table

    from agent.wiring import open_checkpointer
    from graphs import runner
    from graphs.builder import build

    settings = load_config(config)
    with open_checkpointer(settings) as saver:
        runs = runner.paused(build(saver), saver)
    if not runs:
        console.print("No run is waiting for approval.")
        return
    table = Table(title="Paused runs")
    for column in ("run", "candidates", "continue with"):
        table.add_column(column)
    for r in runs:
        assert r.waiting is not None
        names = "\n".join(f"{i}. {t}" for i, t in enumerate(r.waiting.candidates, 1))
        table.add_row(r.run_id, names, f"python -m agent resume {r.run_id} --approve N | --reject")
    console.print(table)


def run(
    spec_file: Annotated[Path, typer.Argument(help="A spec file, as `suggest` saves it (the seed's JSON shape).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Stop after the server-side dry-run.")] = False,
    monitor: Annotated[bool, typer.Option("--monitor", help="Watch the run (always on: chaos never runs unwatched).")] = True,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (where there is no terminal).")] = False,
) -> None:
    """Run one saved spec through the policy and the same graph, from the approval on."""
    from agent.design.propose import load_spec

    settings = load_config(config)
    spec = load_spec(spec_file, max_bytes=settings.paths.max_spec_bytes)
    bound = cluster_binding(twin, manifests)
    from graphs import runner  # langgraph takes a moment to import: a bad spec is told first
    with open_run(settings, bound) as (graph, deps):
        run_id = runner.new_run_id()
        console.print(f"Run [bold]{run_id}[/bold]: {spec.title}{' (dry run)' if dry_run else ''}")
        view = runner.start(
            graph, deps, run_id=run_id, count=1, cluster=bound.model_dump(mode="json"), preset=spec, dry_run=dry_run
        )
        decide(graph, deps, view, approve=1 if yes else None, reject=False)


def status(
    run_id: Annotated[str, typer.Argument(help="The run's id.", callback=check_run_id)],
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Show a run: where it stands, its engine and verdict, and its latest signals."""
    from agent.cli.status import show_status

    show_status(console, load_config(config), run_id)


def abort(
    run_id: Annotated[str, typer.Argument(help="The run's id.", callback=check_run_id)],
    config: ConfigOpt = DEFAULT_CONFIG,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0, max=86_400, help="Seconds to wait for the ChaosResult to say Stopped.")
    ] = 120,
) -> None:
    """Stop a run's chaos now (engineState: stop) and wait until Litmus reports it Stopped.

    Works from any process: while its monitor runs elsewhere, and after that process died.
    """
    import getpass

    from agent.cli.status import abort_run

    abort_run(console, load_config(config), run_id, timeout_s=timeout, who=getpass.getuser())
