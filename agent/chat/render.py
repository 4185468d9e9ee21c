"""How the REPL prints a tool's result: known models get their view, other models a field table."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel
from rich import box
from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

from agent.design.targets import abort_line
from agent.inventory.view import render_inventory
from agent.models import Candidate, Inventory


def show(console: Console, value: object) -> None:
    """Print a tool's result: known models get their view; any other model a field table (a
    ``markdown`` field is rendered as Markdown); text as it is."""
    if value is None:
        return
    if isinstance(value, Inventory):
        render_inventory(console, value)
    elif isinstance(value, BaseModel):
        console.print(view(value))
    else:
        console.print(str(value), highlight=False, markup=False)


def view(model: BaseModel) -> RenderableType:
    """A field table of ``model``; nested models nest, lists of models become tables."""
    table = Table(show_header=False, box=box.SIMPLE, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    after: list[RenderableType] = []
    for name, spec in type(model).model_fields.items():
        value = getattr(model, name)
        if spec.exclude or value is None or value == {}:
            continue
        if value == []:
            table.add_row(name.replace("_", " "), "none")
            continue
        if name == "markdown" and isinstance(value, str):
            after.append(Markdown(value))
        elif isinstance(value, list) and all(isinstance(v, Candidate) for v in value):
            after.append(_candidates(value))
        else:
            table.add_row(name.replace("_", " "), _cell(name, value))
    return Group(table, *after) if after else table


def _cell(name: str, value: object) -> RenderableType:
    if isinstance(value, BaseModel):
        return view(value)
    if isinstance(value, list):
        if all(isinstance(v, BaseModel) for v in value):
            return _rows([v for v in value if isinstance(v, BaseModel)])
        if name == "candidates":
            return "\n".join(f"{i}. {v}" for i, v in enumerate(value, 1))
        return "\n".join(str(_plain(v)) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_plain(v)}" for k, v in value.items())
    return escape(str(_plain(value)))


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _rows(items: list[BaseModel]) -> Table:
    fields = [n for n, f in type(items[0]).model_fields.items()
              if not f.exclude and any(getattr(i, n) not in (None, [], {}) for i in items)]
    table = Table(box=box.SIMPLE_HEAD)
    for name in fields:
        table.add_column(name.replace("_", " "), overflow="fold")
    for item in items:
        table.add_row(*(_cell(n, getattr(item, n)) if getattr(item, n) is not None else "-" for n in fields))
    return table


def _candidates(candidates: list[Candidate]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, title=f"{len(candidates)} candidate(s)", title_justify="left")
    for column in ("#", "title", "action", "target", "stops itself", "risk", "duration", "score", "why"):
        table.add_column(column, overflow="fold")
    for c in candidates:
        s = c.spec
        table.add_row(str(c.rank), escape(s.title), s.action.value,
                      f"{s.target_selector.namespace}/{s.target_selector.service} ({s.target_selector.label_selector})",
                      escape(abort_line(s)), s.risk_level,
                      f"{s.parameters.duration_s} s", f"{c.score:g}", escape(s.rationale))
    return table
