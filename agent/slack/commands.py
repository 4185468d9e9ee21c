"""``/craterctl``: the slash command, parsed into a typed :class:`SlashCommand` and answered::

    parses? ── no ──▶ ephemeral usage, nothing changes
    help ─────────────▶ ephemeral usage (anyone)
    caller in policy.approvers (slack:<id>) now, or (abort) the run's requester? ── no ──▶
        ephemeral "you may not", one ``decision_refused`` audit line
    ack "working…" at once; a worker does it and answers ephemerally

``suggest [N]`` discovers, designs and posts the approval message; the run then pauses at its
approval exactly as ``run-graph`` does, and the buttons answer it (:mod:`agent.slack.decisions`).
What each verb does is the ``Operations`` port (built by the CLI); this module only decides who
may, and says what happened.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from agent.config import Policy
from agent.errors import ApprovalError, ChaosAdvisorError, NotifierError
from agent.models import AuditEntry
from agent.ports import AuditLog
from agent.run.approval import allowed
from agent.slack.ports import Operations, Replies

log = logging.getLogger(__name__)

Verb = Literal["suggest", "status", "abort", "runs", "help"]
MAX_SUGGEST = 10  # candidates `suggest N` may ask for (run-graph's --count allows the same)
RUNS_LISTED = 10
RUN_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
USAGE = (
    "*/craterctl* commands:\n"
    "• `/craterctl suggest [N]`: discover, design and post N experiments (default 3) with [Run …] [Save Only] buttons\n"
    "• `/craterctl status <run>`: where a run stands\n"
    "• `/craterctl abort <run>`: stop a run's chaos (approvers and whoever asked for the run)\n"
    "• `/craterctl runs`: the latest runs\n"
    "• `/craterctl help`: this text"
)


class _Body(BaseModel):
    """The parts of Slack's slash-command request we use."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    command: str
    text: str = ""
    user_id: str
    channel_id: str


@dataclass(frozen=True)
class SlashCommand:
    """One parsed ``/craterctl`` request."""

    verb: Verb
    user: str
    channel: str
    run_id: str | None = None
    count: int = 3


def parse_command(data: object) -> SlashCommand:
    """The command in a slash-command request (the form slack-bolt parsed).

    Raises:
        ApprovalError: saying what is wrong and how to write it.
    """
    try:
        body = _Body.model_validate(data)
    except ValidationError as e:
        where = ".".join(str(p) for p in e.errors()[0]["loc"]) or "(top level)"
        raise ApprovalError(f"malformed slash command: {where}: {e.errors()[0]['msg']}") from None
    words = body.text.split()
    verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
    base = {"user": body.user_id, "channel": body.channel_id}
    if verb in ("help", "runs") and not args:
        return SlashCommand(verb=verb, **base)  # type: ignore[arg-type]
    if verb == "suggest" and len(args) <= 1:
        if args and not (args[0].isdigit() and 1 <= int(args[0]) <= MAX_SUGGEST):
            raise ApprovalError(f"`suggest {args[0][:20]}`: N must be a whole number from 1 to {MAX_SUGGEST}")
        return SlashCommand(verb="suggest", count=int(args[0]) if args else 3, **base)
    if verb in ("status", "abort") and len(args) == 1:
        if not re.match(RUN_ID, args[0]):
            raise ApprovalError(f"`{verb} {args[0][:40]}`: not a run id (like 9b34d0d2); list them with `/craterctl runs`")
        return SlashCommand(verb=verb, run_id=args[0], **base)  # type: ignore[arg-type]
    raise ApprovalError(f"`{body.text[:60]}` is not a /craterctl command")


class Commands:
    """Decides who may run a ``/craterctl`` command and answers it (in a worker, ephemerally)."""

    def __init__(self, *, ops: Operations, replies: Replies, policy: Callable[[], Policy], audit: AuditLog) -> None:
        self._ops, self._replies, self._policy, self._audit = ops, replies, policy, audit

    def not_allowed(self, cmd: SlashCommand) -> str | None:
        """Why the caller may not run ``cmd`` under the policy in force now; None when they may."""
        if cmd.verb == "help":
            return None
        try:
            policy = self._policy()
        except ChaosAdvisorError as e:
            return f"the policy in force cannot be read now ({e})"
        if allowed(cmd.user, "slack", policy):
            return None
        if cmd.verb == "abort" and cmd.run_id is not None and self._requester(cmd.run_id) == cmd.user:
            return None
        who = "an approver or the run's requester" if cmd.verb == "abort" else "an approver"
        return f'slack:{cmd.user} is not {who}: add "slack:{cmd.user}" to policy.approvers in stack.yaml'

    def refuse(self, cmd: SlashCommand, reason: str) -> str:
        """Audit the refusal; what the caller is told."""
        self._audit.record(AuditEntry(run_id=cmd.run_id or "-", who=cmd.user, channel="slack", action="decision_refused",
                                      what=f"/craterctl {cmd.verb}" + (f" {cmd.run_id}" if cmd.run_id else ""),
                                      result=f"refused: {reason}"))
        return f"<@{cmd.user}>, you may not run `/craterctl {cmd.verb}`: {_esc(reason)}. Nothing changed."

    def working(self, cmd: SlashCommand) -> str:
        """The ephemeral answer within Slack's 3 s, before the work."""
        return USAGE if cmd.verb == "help" else f"working… (`/craterctl {cmd.verb}{' ' + cmd.run_id if cmd.run_id else ''}`)"

    def run(self, cmd: SlashCommand) -> None:
        """Do ``cmd`` and tell the caller the result (or why it failed), only them."""
        if cmd.verb == "help":
            return
        try:
            text = self._do(cmd)
        except ChaosAdvisorError as e:
            text = f"`/craterctl {cmd.verb}` failed: {_esc(str(e))}"
        try:
            self._replies.ephemeral(cmd.channel, cmd.user, text)
        except NotifierError as e:
            log.warning("could not answer /craterctl %s to %s: %s", cmd.verb, cmd.user, e)

    def _do(self, cmd: SlashCommand) -> str:
        if cmd.verb == "suggest":
            return self._ops.suggest(cmd.count, requester=cmd.user)
        if cmd.verb == "runs":
            return self._ops.runs(RUNS_LISTED)
        assert cmd.run_id is not None  # parse_command gives status and abort one
        if cmd.verb == "status":
            return self._ops.status(cmd.run_id)
        return self._ops.abort(cmd.run_id, who=cmd.user)

    def _requester(self, run_id: str) -> str | None:
        try:
            return self._ops.requester(run_id)
        except ChaosAdvisorError:
            return None


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
