"""Block Kit for the approval message, typed: what :class:`agent.adapters.slack_web.SlackWeb`
posts and what the Slack notifier builds, as TypedDicts (JSON as Slack reads it).

Run data (titles, reasons; an LLM may have written them) goes into ``mrkdwn`` only through
:func:`escape`, and every text is cut to Slack's limits (3000 characters a section, 300 a confirm
dialog, 75 a button). Each candidate and its confirm dialog say exactly what it hits: the
selector and the pods it matches in the run's inventory (:func:`agent.design.targets.target_line`).
"""

from __future__ import annotations

import json
from typing import Literal, NotRequired, TypedDict

from agent.design.measurable import abort_warning
from agent.design.targets import abort_line, target_line
from agent.models import Candidate, ExperimentSpec, Inventory, Rejection

ButtonStyle = Literal["primary", "danger"]
CONFIRM_LIMIT = 300  # characters in a confirm dialog's text (Slack's limit)
SECTION_TARGET_LIMIT = 1000  # the target line in a candidate's section: room for ~30 pod names


class PlainText(TypedDict):
    """A ``plain_text`` object: shown as typed."""

    type: Literal["plain_text"]
    text: str
    emoji: bool


class Markdown(TypedDict):
    """A ``mrkdwn`` object: Slack markup, so run data in it is escaped."""

    type: Literal["mrkdwn"]
    text: str


class Confirm(TypedDict):
    """A confirmation dialog on a button."""

    title: PlainText
    text: Markdown
    confirm: PlainText
    deny: PlainText


class Button(TypedDict):
    """A button; its ``value`` is JSON ``{"run": <id>, "choice": <rank or null>}``."""

    type: Literal["button"]
    text: PlainText
    action_id: str
    value: str
    style: NotRequired[ButtonStyle]
    confirm: NotRequired[Confirm]


class HeaderBlock(TypedDict):
    type: Literal["header"]
    text: PlainText


class ContextBlock(TypedDict):
    type: Literal["context"]
    elements: list[Markdown]


class SectionBlock(TypedDict):
    type: Literal["section"]
    text: Markdown


class ActionsBlock(TypedDict):
    type: Literal["actions"]
    block_id: str
    elements: list[Button]


Block = HeaderBlock | ContextBlock | SectionBlock | ActionsBlock


def approval_blocks(
    run_id: str, candidates: list[Candidate], rejected: list[Rejection], *, inventory: Inventory | None = None
) -> list[Block]:
    """Block Kit for the approval message: one section per candidate, then the buttons.

    Args:
        run_id: The run the buttons answer (carried in each button's value).
        candidates: The ranked candidates, one "Run <title>" button each (at most 23).
        rejected: Specs policy refused, listed as "not proposed".
        inventory: The run's inventory, for the pods each selector matches; None: not listed.
    """
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"🧪 Chaos Advisor: {len(candidates)} proposed experiment(s)")},
        {"type": "context", "elements": [_md(f"Run `{run_id}` • nothing runs until someone approves")]},
    ]
    for c in candidates:
        s = c.spec
        body = escape(
            f"*📋 {c.rank}. {s.title}*\n{s.description}\n"
            f"Target: {target_line(s, inventory, limit=SECTION_TARGET_LIMIT)}\n"
            f"Stops itself: {abort_line(s)}\n{_warning(s, inventory)}"
            f"Risk: {s.risk_level} • Duration: {s.parameters.duration_s}s"
            + (f"\nWhy: {s.rationale}" if s.rationale.strip() else "")  # a user-supplied spec may have none
        )
        blocks.append({"type": "section", "text": _md(body[:3000])})
    if rejected:
        lines = escape("\n".join(f"not proposed: {r.title} ({r.rule})" for r in rejected))
        blocks.append({"type": "context", "elements": [_md(lines[:3000])]})
    buttons = [_run_button(run_id, c, inventory) for c in candidates[:23]]  # an actions block holds 25 elements
    buttons.append(_button("💾 Save Only", "save_only", run_id, None))
    buttons.append(_button("Reject", "reject", run_id, None, style="danger"))
    blocks.append({"type": "actions", "block_id": f"approval:{run_id}", "elements": buttons})
    return blocks


def decided_blocks(text: str, detail: str | None = None) -> list[Block]:
    """Blocks that replace the approval message once someone answered: no buttons.

    Args:
        text: Who decided what (Slack markup, already escaped by the caller).
        detail: A context line under it, e.g. where the run ended.
    """
    blocks: list[Block] = [{"type": "section", "text": _md(text[:3000])}]
    if detail:
        blocks.append({"type": "context", "elements": [_md(detail[:3000])]})
    return blocks


def _run_button(run_id: str, c: Candidate, inventory: Inventory | None) -> Button:
    button = _button(f"Run {c.spec.title}", f"run_{c.rank}", run_id, c.rank, style="primary" if c.rank == 1 else None)
    # The abort condition beside the selector (half the dialog at most), and a flag when it may never
    # fire (off the predicted path, or a signal that cannot show a failure: the section above says why).
    off = " ⚠ Its abort condition may never fire." if abort_warning(c.spec, inventory) else ""
    tail = _fit(f". Runs {c.spec.parameters.duration_s} s; {abort_line(c.spec)}.", CONFIRM_LIMIT // 2 - len(off)) + off
    line = target_line(c.spec, inventory, limit=CONFIRM_LIMIT - len(tail))
    button["confirm"] = {
        "title": _plain("Run this experiment?"),
        "text": _md((escape(line) + tail)[:CONFIRM_LIMIT]),
        "confirm": _plain("Run it"),
        "deny": _plain("Cancel"),
    }
    return button


def _fit(text: str, n: int) -> str:
    """``text`` escaped, cut (ending "…") to at most ``n`` characters, never inside an entity."""
    shown = text
    while len(escape(shown)) > n and text:
        text = text[:-1]
        shown = text + "…"
    return escape(shown)


def _warning(spec: ExperimentSpec, inventory: Inventory | None) -> str:
    off = abort_warning(spec, inventory)
    return f"⚠️ warning: {off}\n" if off else ""


def _button(label: str, action_id: str, run_id: str, choice: int | None, *, style: ButtonStyle | None = None) -> Button:
    button: Button = {
        "type": "button",
        "text": _plain(label if len(label) <= 75 else label[:74] + "…"),
        "action_id": action_id,
        "value": json.dumps({"run": run_id, "choice": choice}),
    }
    if style:
        button["style"] = style
    return button


def escape(text: str) -> str:
    """Run data (titles, reasons; an LLM may have written them) shown as text, never as Slack
    markup: ``<!channel>`` must not ping anyone, ``<http://x|y>`` must not become a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str) -> PlainText:
    return {"type": "plain_text", "text": text, "emoji": True}


def _md(text: str) -> Markdown:
    return {"type": "mrkdwn", "text": text}
