"""``python -m agent doctor``: check a cluster before the first run (see agent.deploy.doctor)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.clusters import ContextOpt
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
    from agent.deploy.doctor import Check, DoctorReport

MARKS = {"ok": "[green]✓[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✗[/red]", "skip": "[dim]-[/dim]"}


class Piece(StrEnum):
    """What the twin can be started without (``twin --without``)."""

    LITMUS = "litmus"
    EXPERIMENTS = "experiments"
    METRICS = "metrics"
    RBAC = "rbac"


WithoutOpt = Annotated[
    list[Piece] | None,
    typer.Option("--without", help="Serve a cluster lacking this piece (repeat): litmus (CRDs and operator), "
                 "experiments (ChaosExperiments), metrics (/metrics and signals), rbac (access reviews say no)."),
]


def doctor(
    config: ConfigOpt = DEFAULT_CONFIG, twin: TwinOpt = False, manifests: ManifestsOpt = None,
    output_format: FormatOpt = Format.TABLE, context: ContextOpt = None,
) -> None:
    """Check that a run could start: the API, the agent's RBAC, Litmus (CRDs, operator,
    experiments, service account), the metrics of every target, the pods Ready (on every cluster of
    stack.yaml's clusters:, or the --context one). Each failed check prints its fix; exits 0 only
    when a run could start (a warning does not stop it), else 1."""
    from agent.cli.clusters import chosen
    from agent.cli.output import emit
    from agent.deploy.doctor import ClusterDoctor, ClustersDoctor, examine
    from agent.wire.doctor import open_doctor, preset_readers

    settings = load_config(config)
    cluster_binding(twin, manifests)  # --manifests checked before anything is opened
    reports = []
    for one in chosen(settings, context):
        binding = cluster_binding(twin, manifests, cluster=one.cluster)
        with open_doctor(one, binding, console=console) as (deps, probe):
            reports.append(ClusterDoctor(cluster=str(one.cluster), report=examine(
                deps, probe, twin=binding.twin, presets=preset_readers(one, twin=binding.twin, metrics=deps.metrics))))
    every = ClustersDoctor(clusters=reports)
    several = bool(settings.clusters) and not context
    if output_format != Format.TABLE:
        emit(every if several else reports[0].report, output_format)
    else:
        for n, r in enumerate(reports):
            if several:
                console.print(("\n" if n else "") + f"[bold]cluster {r.cluster}[/bold]", highlight=False)
            show(r.report)
    raise typer.Exit(0 if every.ready else 1)


def show(report: DoctorReport) -> None:
    """One line per check, its fix under a failure (or a warning)."""
    console.print(f"Checking {report.cluster}{' (the Sock Shop twin)' if report.twin else ''}", highlight=False)
    for check in report.checks:
        console.print(line(check), highlight=False, soft_wrap=True)
        if check.fix and check.status in ("fail", "warn"):
            console.print(f"    fix: {check.fix}", highlight=False, soft_wrap=True, markup=False)
        for note in check.notes:
            console.print(f"    {note}", highlight=False, soft_wrap=True, markup=False)
    failed = sum(c.status == "fail" for c in report.checks)
    console.print("Ready: a run can start (python -m agent suggest, then run)." if report.ready else
                  f"Not ready: {failed} check(s) failed; fix them and run doctor again.", highlight=False)


def line(check: Check) -> str:
    from rich.markup import escape

    detail = f": {escape(check.detail)}" if check.detail else ""
    return f"{MARKS[check.status]} {escape(check.title)}{detail}"
