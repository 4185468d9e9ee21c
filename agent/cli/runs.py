"""CLI commands that run experiments: run-graph, run, resume, approvals, runs, status, abort."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from agent.cli.artifacts import JunitOpt, ResultOpt, artifacts
from agent.cli.clusters import ContextOpt
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
from agent.cli.output import Format, FormatOpt


def run_graph(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    approve: Annotated[
        int | None, typer.Option("--approve", min=1, max=MAX_CANDIDATES, help="Approve candidate N without asking.")
    ] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject all candidates without asking.")] = False,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=MAX_CANDIDATES, help="How many candidates.")] = 3,
    junit: JunitOpt = None,
    result: ResultOpt = None,
    context: ContextOpt = None,
) -> None:
    """Run the whole loop: discover, design, ask for approval, execute, monitor, report."""
    from agent.config.clusters import settings_for
    from graphs import runner

    out = artifacts(junit, result)
    settings = settings_for(load_config(config), context)
    binding = cluster_binding(twin, manifests, cluster=settings.cluster)
    with open_run(settings, binding) as (graph, deps):
        run_id = runner.new_run_id()
        where = "the Sock Shop twin" if binding.twin else "the cluster"
        console.print(f"Run [bold]{run_id}[/bold] on {where}" + (f" {settings.cluster}" if settings.cluster else ""))
        view = runner.start(graph, deps, run_id=run_id, count=count, cluster=binding.model_dump(mode="json"))
        decide(graph, deps, view, approve=approve, reject=reject, out=out)


def resume(
    run_id: Annotated[str, typer.Argument(help="The paused run's id.", callback=check_run_id)],
    config: ConfigOpt = DEFAULT_CONFIG,
    approve: Annotated[int | None, typer.Option("--approve", min=1, max=MAX_CANDIDATES, help="Approve candidate N.")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the run.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why (kept in the report).")] = "",
    junit: JunitOpt = None,
    result: ResultOpt = None,
) -> None:
    """Answer a paused run's approval from any process; the run continues here."""
    from agent.wiring import ClusterBinding, open_checkpointer
    from graphs import runner
    from graphs.builder import build

    if (approve is None) == (not reject):
        raise typer.BadParameter("give exactly one of --approve N or --reject")
    out = artifacts(junit, result)
    settings = load_config(config)
    with open_checkpointer(settings) as saver:
        view = runner.view(build(saver), run_id)
    binding = ClusterBinding.model_validate(view.state.get("cluster") or {})
    with open_run(settings, binding) as (graph, deps):
        finish(resume_here(graph, deps, run_id, decision(deps, approve=approve, note=note)), out)


def approvals(config: ConfigOpt = DEFAULT_CONFIG, output_format: FormatOpt = Format.TABLE) -> None:
    """List runs waiting for an approval (``-o json``: their ApprovalRequests)."""
    from rich.table import Table

    from agent.cli.output import emit
    from agent.wiring import open_checkpointer
    from graphs import runner
    from graphs.builder import build

    settings = load_config(config)
    with open_checkpointer(settings) as saver:
        runs = runner.paused(build(saver), saver)
    if output_format != Format.TABLE:
        emit([r.waiting for r in runs if r.waiting is not None], output_format)
        return
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


def runs(
    config: ConfigOpt = DEFAULT_CONFIG,
    status: Annotated[str | None, typer.Option("--status", help=(
        "Only runs in this state (waiting, interrupted, running, done, ...) or with this outcome "
        "(completed, aborted, refused, rejected, failed, dry_run)."))] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only runs started since: 30m, 24h, 7d or an ISO date.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many, newest first.")] = 20,
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """List past and current runs, newest first: state, outcome, experiment, target, start, duration, report."""
    from agent.cli.output import emit
    from agent.cli.status import list_runs

    rows = list_runs(load_config(config), status=status, since=_since(since), limit=limit)
    if output_format != Format.TABLE:
        emit(rows, output_format)
        return
    if not rows:
        console.print("No runs" + (" match" if status or since else " yet") + ".")
        return
    from rich.table import Table

    table = Table(title="Runs (newest first)")
    clusters = any(r.cluster for r in rows)  # a column only where stack.yaml lists clusters
    for column in ("run", "state", "outcome", "experiment", *(["cluster"] if clusters else []), "target",
                   "started (UTC)", "duration", "report"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.run_id, r.state, r.outcome or "-", r.experiment or "-", *([r.cluster or "-"] if clusters else []),
                      r.target or "-", r.started.strftime("%Y-%m-%d %H:%M:%S") if r.started else "-",
                      f"{r.duration_s:.0f} s" if r.duration_s is not None else "-", r.report_path or "-")
    console.print(table)


def _since(text: str | None) -> datetime | None:
    """``30m``, ``24h``, ``7d`` before now, or an ISO date/time (UTC unless it says otherwise)."""
    if text is None:
        return None
    from datetime import UTC

    from agent.cli.listing import parse_since

    try:
        return parse_since(text, now=datetime.now(UTC))
    except ValueError as e:
        raise typer.BadParameter(f"--{e}") from None


def run(
    spec_file: Annotated[Path, typer.Argument(help="A spec file: as `suggest` saves it, or in the seed's shape "
                                                   "(python -m agent schema --dialect seed).")],
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Stop after the server-side dry-run (needs no --yes).")] = False,
    monitor: Annotated[bool, typer.Option("--monitor", help="Watch the run (always on: chaos never runs unwatched).")] = True,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (where there is no terminal).")] = False,
    junit: JunitOpt = None,
    result: ResultOpt = None,
    control: Annotated[bool, typer.Option("--control", help="A no-fault control of the spec: the same target, duration and "
                                          "watch with nothing injected; exit 0 when nothing moved, 8 on a false alarm.")] = False,
    context: ContextOpt = None,
) -> None:
    """Run one saved spec through the policy and the same graph, from the approval on."""
    from agent.cli.clusters import for_run
    from agent.design.propose import load_spec
    from agent.run.control import as_control

    out = artifacts(junit, result)
    settings = load_config(config)
    spec = load_spec(spec_file, max_bytes=settings.paths.max_spec_bytes)
    spec = as_control(spec) if control else spec
    settings = for_run(settings, context, spec_file, spec.cluster)  # the spec's cluster, unless --context
    bound = cluster_binding(twin, manifests, cluster=settings.cluster)
    from graphs import runner  # langgraph takes a moment to import: a bad spec is told first
    with open_run(settings, bound) as (graph, deps):
        run_id = runner.new_run_id()
        console.print(f"Run [bold]{run_id}[/bold]: {spec.title}{' (dry run)' if dry_run else ''}")
        view = runner.start(
            graph, deps, run_id=run_id, count=1, cluster=bound.model_dump(mode="json"), preset=spec, dry_run=dry_run
        )
        # A dry run only asks the API server to validate the engine: nothing to approve by hand
        # (the decision is still recorded, by the person running it, and checked against approvers).
        decide(graph, deps, view, approve=1 if yes or dry_run else None, reject=False, out=out)


def status(
    run_id: Annotated[str, typer.Argument(help="The run's id.", callback=check_run_id)],
    config: ConfigOpt = DEFAULT_CONFIG,
    output_format: FormatOpt = Format.TABLE,
    context: ContextOpt = None,
) -> None:
    """Show a run: where it stands, its engine and verdict, and its latest signals (on the cluster it ran on)."""
    from agent.cli.clusters import check_run_cluster
    from agent.cli.status import show_status

    settings = load_config(config)
    check_run_cluster(settings, run_id, context)
    show_status(console, settings, run_id, output_format)


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


def schema(
    dialect: Annotated[str, typer.Option("--dialect", help="native (what `suggest` saves) or seed (the origin "
                                          "document's shape, which `run` also takes).")] = "native",
    result: Annotated[bool, typer.Option("--result", help="Print the schema of the result JSON that run, run-graph "
                                         "and resume write with --result (not a spec's).")] = False,
) -> None:
    """Print the JSON Schema of an experiment spec (the files `suggest` saves and `run` takes).

    ``--dialect seed`` prints the seed's shape; each field's description says what native field
    it becomes (e.g. intensity → cpu_load_pct of pod-cpu-hog, error_rate 0.05 → 5 %).
    """
    import json

    from agent.models import ExperimentSpec
    from agent.models.seed import SeedSpec

    if result:
        from agent.report.result import schema_text

        typer.echo(schema_text(), nl=False)
        return
    if dialect not in ("native", "seed"):
        raise typer.BadParameter(f"--dialect {dialect!r}: give native or seed")
    model = SeedSpec if dialect == "seed" else ExperimentSpec
    typer.echo(json.dumps(model.model_json_schema(), indent=2))
