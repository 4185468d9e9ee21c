"""Mermaid text shared by the report's diagrams: safe labels and the chart colour directive.

Every piece of text that comes from data (service names, event details, titles) goes through
``label()``, which turns anything Mermaid could read as syntax into an entity code (``#34;`` for
``"``): Mermaid decodes those when it draws, so a detail like ``a"b -->|x| c; %%{init:…}%%`` shows
as written and can neither break the diagram nor inject a directive.

Charts (``xychart-beta``) start with ``INIT_DIRECTIVE``: the default theme draws their lines in
pastels that barely show on white, so the directive sets ``themeVariables.xyChart.plotColorPalette``
(checked against mermaid 11.17: the first line takes the first colour, and so on).
"""

from __future__ import annotations

import json
import re

PALETTE = ("#d62728", "#1f77b4", "#2ca02c")  # red, blue, green: line 1, 2, 3 of a chart
INIT_DIRECTIVE = "%%{init: " + json.dumps(
    {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(PALETTE)}}}
) + "}%%"
MAX_LABEL = 80  # characters of one label before it is cut (event details can be long)

_SAFE = re.compile(r"[A-Za-z0-9 _.,/+=@!?'*-]")


def label(text: str, *, limit: int = MAX_LABEL) -> str:
    """``text`` made safe for any Mermaid label: one line, cut to ``limit`` characters, and every
    character outside a small safe set written as a decimal entity code (``#59;`` for ``;``)."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return "".join(c if _SAFE.fullmatch(c) else f"#{ord(c)};" for c in flat)


def init_directive() -> str:
    """The directive that gives chart lines readable colours (``PALETTE``); charts include it."""
    return INIT_DIRECTIVE
