"""CLI command ``recover``: pick up after the agent died (see ``graphs.recovery``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    ManifestsOpt,
    TwinOpt,
    cluster_binding,
    console,
    load_config,
)
from agent.cli.output import Format, FormatOpt

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.ports import Deps
    from graphs.recovery import Finding


def recover(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be done; change nothing.")] = False,
    stop: Annotated[
        bool, typer.Option("--stop", help="Stop the engines of interrupted runs instead of watching them again.")
    ] = False,
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """Reconcile runs and ChaosEngines after the agent stopped (crash, kill, lost node).

    Interrupted runs resume from their last checkpoint without applying new chaos: an engine
    already applied is watched again (stopped if it outlived its plan), one never applied ends
    the run as failed. Engines named after runs that no longer watch them are stopped. Stale
    approval claims of dead processes are released. Runs alive in another process are left alone.
    Last, the agent's engines that ended longer than policy.engine_retention ago (default 24h;
    0 or off: never) are deleted with their chaos pods and ChaosResults, each deletion audited.
    Exits 1 when a cluster could not be reached or a run could not be recovered.
    ``-o json|yaml``: the findings (run_id, found, action), alone on stdout.
    """
    from rich.table import Table

    from agent.run.retention import span

    settings = load_config(config)
    here = cluster_binding(twin, manifests).model_dump(mode="json")
    findings = recover_runs(settings, here, dry_run=dry_run, stop=stop)
    left = any(f.action.startswith(("not reached", "failed")) for f in findings)
    if output_format != Format.TABLE:
        from agent.cli.output import emit

        emit(findings, output_format)
        if left:
            raise typer.Exit(1)
        return
    keep = settings.policy.engine_retention
    console.print(f"Retention: ended engines older than {span(keep)} are deleted with their chaos pods and "
                  "ChaosResults (policy.engine_retention)." if keep else
                  "Retention: off (policy.engine_retention 0): ended engines are kept.")
    if not findings:
        console.print("Nothing to recover: no interrupted run, no stale claim, no orphaned or expired engine.")
        return
    table = Table(title="Recovery" + (" (dry run: nothing changed)" if dry_run else ""))
    for column in ("run", "found", "action"):
        table.add_column(column)
    for f in findings:
        table.add_row(f.run_id, f.found, f.action)
    console.print(table)
    if left:
        raise typer.Exit(1)  # something is left to recover: scripts and pods must see it


def recover_runs(
    settings: Settings, here: dict[str, object] | None, *, dry_run: bool = False, stop: bool = False
) -> list[Finding]:
    """``graphs.recovery.recover`` over the configured checkpointer, each run on its own cluster
    (``here``: also look for orphaned engines on this one)."""
    from agent.config.files import make_dirs
    from agent.wiring import ClusterBinding, open_checkpointer, open_deps
    from graphs.builder import build
    from graphs.recovery import recover

    @contextmanager
    def deps_for(binding: dict[str, object]) -> Iterator[Deps]:
        with open_deps(settings, ClusterBinding.model_validate(binding), console=console) as deps:
            yield deps

    make_dirs([(settings.path(settings.paths.reports), f"{settings.source or 'stack.yaml'} paths.reports")])
    with open_checkpointer(settings) as saver:
        return recover(build(saver), saver, deps_for, here, dry_run=dry_run, stop=stop)
