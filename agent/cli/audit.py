"""`audit [RUN]`: the append-only audit log of decisions and cluster writes, as a table."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, console, load_config
from agent.cli.output import Format, FormatOpt

if TYPE_CHECKING:  # imported lazily: pydantic models cost ~70 ms, --help must stay fast
    from rich.table import Table

    from agent.models import AuditEntry


def audit(
    run_id: Annotated[str | None, typer.Argument(help="Only this run's entries (default: every run).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """Show the audit log: every decision and cluster write — who, what, when, run, result."""
    from agent.cli.output import emit
    from agent.wiring import build_audit, open_store

    settings = load_config(config)
    with open_store(settings) as store:
        entries = build_audit(settings, store).entries(run_id)
    if output_format != Format.TABLE:
        emit(entries, output_format)
        return
    if not entries:
        console.print(f"No audit entries{f' for run {run_id}' if run_id else ''}.")
        return
    console.print(table(entries, title=f"Audit log of run {run_id}" if run_id else "Audit log"))


def table(entries: list[AuditEntry], *, title: str) -> Table:
    """One row per entry, in the order recorded; failed or refused results in red."""
    from rich.table import Table

    t = Table(title=title)
    clusters = any(e.cluster for e in entries)  # a column only where stack.yaml lists clusters
    for column in ("when (UTC)", "run clock", "run", *(["cluster"] if clusters else []), "who", "action", "what", "result"):
        t.add_column(column, overflow="fold")
    for e in entries:
        who = f"{e.channel}:{e.who}" if e.channel else e.who
        result = e.result if e.result == "ok" else f"[red]{e.result}[/red]"
        t.add_row(_when(e.at), _when(e.run_at), e.run_id, *([e.cluster or "-"] if clusters else []), who, e.action, e.what,
                  result)
    return t


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S") if at else "-"
