"""A report's Markdown as HTML (markdown-it-py, CommonMark with tables), and the inventory's call
graph as Mermaid text.

Raw HTML in the Markdown is never passed through (a report quotes cluster-supplied text): it is
shown escaped. A ```mermaid fence becomes ``<pre class="mermaid">`` holding its escaped source,
which a local mermaid.min.js draws in the browser (``web.mermaid_js``); without one the source
stays readable as it is.
"""

from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from agent.models import Inventory
from agent.report.mermaid import label


def _fence(renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    if token.info.strip().split(" ", 1)[0] == "mermaid":
        return f'<pre class="mermaid">{escape(token.content)}</pre>\n'
    return RendererHTML.fence(renderer, tokens, idx, options, env)


def markdown_parser() -> MarkdownIt:
    """CommonMark plus tables and strikethrough; raw HTML off; mermaid fences for the browser."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
    md.add_render_rule("fence", _fence)
    return md


def report_html(markdown: str, parser: MarkdownIt | None = None) -> str:
    """The report's HTML body."""
    return (parser or markdown_parser()).render(markdown)


def call_graph(inventory: Inventory) -> str:
    """A ``flowchart LR`` of who calls whom: solid arrows synchronous, dashed asynchronous,
    entry points stadium-shaped, stores cylinders; every name through the report's ``label``."""
    ids = {t.name: f"s{i}" for i, t in enumerate(sorted(inventory.targets, key=lambda t: t.name))}
    lines = ["flowchart LR"]
    for t in sorted(inventory.targets, key=lambda t: t.name):
        text = f"{label(t.name)}<br/>{label(t.tier)}"
        shape = f'(["{text}"])' if t.entry else f'[("{text}")]' if t.store or t.tier == "data" else f'["{text}"]'
        lines.append(f"    {ids[t.name]}{shape}")
    for d in inventory.dependencies:
        if d.source in ids and d.target in ids:
            arrow = "-->" if d.sync else "-.->"
            lines.append(f'    {ids[d.source]} {arrow}|"{label(d.protocol)}"| {ids[d.target]}')
    return "\n".join(lines)
