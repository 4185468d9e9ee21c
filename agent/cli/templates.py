"""``python -m agent templates``: the custom experiment templates, each valid or refused with why.

Exits 1 when a template file is refused (the designers leave it out), so a CI job can gate on its
templates; ``--schema`` prints the JSON Schema a template file must match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, console, load_config
from agent.cli.exits import ERROR
from agent.cli.output import Format, FormatOpt

if TYPE_CHECKING:
    from agent.config import Policy
    from agent.config.templates import TemplateFolder


@dataclass(frozen=True)
class TemplateRow:
    """One template file as ``templates -o json`` prints it (a dataclass: ``--help`` loads no pydantic)."""

    file: str
    name: str | None  # None: refused before its name could be read
    fault: str | None
    fits: str | None
    status: str  # valid, refused, or not allowed by the policy
    reason: str = ""  # why refused or not used


def templates(
    config: ConfigOpt = DEFAULT_CONFIG,
    output_format: FormatOpt = Format.TABLE,
    schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of a template file and exit.")] = False,
) -> None:
    """List the custom experiment templates of design.templates_dir: valid, or refused and why."""
    if schema:
        import json

        from agent.models.template import template_schema

        typer.echo(json.dumps(template_schema(), indent=2))
        return
    from agent.config.templates import load_templates

    settings = load_config(config)
    folder = load_templates(settings.path(settings.design.templates_dir))
    rows = _rows(folder, settings.policy)
    if output_format != Format.TABLE:
        from agent.cli.output import emit

        emit(rows, output_format)
    else:
        _print(rows, folder.directory)
    if folder.refused:
        raise typer.Exit(ERROR)


def _rows(folder: TemplateFolder, policy: Policy) -> list[TemplateRow]:
    from agent.design.templates import describe_fits

    rows = []
    for item in folder.loaded:
        t = item.template
        blocked = t.fault not in policy.actions or (t.fault.entry.high_risk and not policy.allow_high_risk)
        rows.append(TemplateRow(
            file=str(item.path), name=t.name, fault=str(t.fault), fits=describe_fits(t),
            status="not allowed" if blocked else "valid",
            reason=f"{t.fault} is not in policy.actions (or needs policy.allow_high_risk); the designers skip it"
            if blocked else ""))
    rows += [TemplateRow(file=str(r.path), name=None, fault=None, fits=None, status="refused",
                         reason=r.reason.lstrip(" :")) for r in folder.refused]
    return rows


def _print(rows: list[TemplateRow], directory: Path) -> None:
    from rich.table import Table

    if not rows:
        console.print(f"no templates in {directory} (design.templates_dir); see README "
                      "'Custom experiment templates'", highlight=False)
        return
    table = Table(title=f"Templates in {directory}")
    for column in ("name", "fault", "fits", "status", "file"):
        table.add_column(column)
    for r in rows:
        status = {"valid": "[green]valid[/green]", "refused": "[red]refused[/red]"}.get(r.status, f"[yellow]{r.status}[/yellow]")
        table.add_row(r.name or "-", r.fault or "-", r.fits or "-", status, r.file)
    console.print(table)
    for r in rows:
        if r.reason:
            console.print(f"[yellow]{r.status}:[/yellow] {r.file}: {r.reason}", highlight=False, soft_wrap=True)
