"""What a verified click decides, and what Slack is told about it (in a worker thread)::

    clicker in policy.approvers (slack:<user id>) of the policy in force now? ── no ──▶ "you may not"
    run waiting? ─────────── no ──▶ ephemeral "no longer waiting", nothing changes
    first answer here to (run, interrupt)? ── no ──▶ ephemeral "already answered"
    update the message (who, when) ─▶ Runs.resume(..., interrupt id) ─▶ update with the result

Every refusal here is one ``decision_refused`` line in the audit log (who, run, why); the ones
``Runs.resume`` makes (another process answered first, the plan breaks the policy in force) are
audited there, as is the accepted answer, so each click is audited exactly once.

The buttons carry the run id and the candidate's rank only: the notify step runs before the
interrupt exists, so the pending interrupt id is read here (``Runs.waiting``) and handed to the
resume, which claims it atomically (``graphs.runner.resume``). A repeated click, a Slack retry
(``X-Slack-Retry-Num``) or a CLI answer racing this one therefore resumes the run once; a
retry's losing copy stays silent, since its first delivery already got its reply.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from agent.config import Policy
from agent.errors import ApprovalError, ChaosAdvisorError, NotifierError
from agent.models import AuditEntry
from agent.ports import AuditLog
from agent.run.approval import allowed
from agent.slack.clicks import SAVED_ONLY, Click
from agent.slack.ports import Replies, Runs, Waiting

log = logging.getLogger(__name__)


class Decisions:
    """Turns verified clicks into at most one resume per pending approval, and says so in Slack."""

    def __init__(self, *, replies: Replies, runs: Runs, policy: Callable[[], Policy], audit: AuditLog) -> None:
        self._replies, self._runs, self._policy, self._audit = replies, runs, policy, audit
        self._taken: set[tuple[str, str]] = set()  # (run, interrupt) answered by this process
        self._lock = threading.Lock()

    def not_allowed(self, click: Click) -> str | None:
        """Why the clicker may not answer runs under the policy in force now; None when they may."""
        try:
            policy = self._policy()  # stack.yaml read again if it changed since the server started
        except ChaosAdvisorError as e:
            return f"the policy in force cannot be read now ({e})"
        if allowed(click.user, "slack", policy):
            return None
        return f"slack:{click.user} is not an approver: add \"slack:{click.user}\" to policy.approvers in stack.yaml"

    def refuse(self, click: Click, reason: str) -> None:
        """Audit the refusal and tell the clicker why, and how to change that."""
        self._refused(click, reason)
        self._tell(click, f"<@{click.user}>, you may not answer chaos runs: {_esc(reason)}. Nothing changed.")

    def answer(self, click: Click) -> None:
        """Resume the run the click answers, unless it is stale, out of range or already answered."""
        try:
            waiting = self._runs.waiting(click.run_id)
        except ApprovalError as e:
            self._refused(click, str(e))
            self._tell(click, f"{_esc(str(e))}.")
            return
        iid = waiting.interrupt_id
        if iid is None:
            self._refused(click, f"run {click.run_id} is not waiting for approval (it is {waiting.status}); nothing changed")
            self._tell(click, f"Run `{click.run_id}` is no longer waiting for approval (it is {waiting.status}); "
                       "nothing changed.", quiet_on_retry=True)
            return
        choice, n = click.answer.choice, len(waiting.candidates)
        if choice is not None and choice > n:
            self._refused(click, f"run {click.run_id}: experiment {choice} does not exist; choose 1..{n}")
            self._tell(click, f"Run `{click.run_id}` has no experiment {choice}; nothing changed.")
            return
        with self._lock:
            taken = (click.run_id, iid) in self._taken
            self._taken.add((click.run_id, iid))
        if taken:
            self._refused(click, f"run {click.run_id} was already answered (by another click); nothing changed")
            self._tell(click, f"Run `{click.run_id}` was already answered; nothing changed.", quiet_on_retry=True)
            return
        self._resume(click, waiting, iid)

    def _resume(self, click: Click, waiting: Waiting, iid: str) -> None:
        what = decision_line(click, waiting.candidates)
        run = f"Run `{click.run_id}`"
        self._update(click, what, f"{run}: running now; progress in this thread." if click.answer.verdict == "approve"
                     else f"{run}: writing the report.")
        try:  # audits the answer, accepted or refused
            result = self._runs.resume(click.run_id, click.answer, interrupt_id=iid)
        except ChaosAdvisorError as e:
            with self._lock:
                self._taken.discard((click.run_id, iid))  # the run's own claim still guards it
            if isinstance(e, ApprovalError):  # nothing changed: e.g. a CLI answer came first
                self._update(click, f"⚠️ <@{click.user}>'s answer was not applied: {_esc(str(e))}")
                self._tell(click, _esc(str(e)))
            else:
                self._update(click, what, _esc(f"{run} stopped with an error: {e}; see: python -m agent status {click.run_id}"))
            return
        detail = f"{run} {result.outcome}" + (f": {result.reason}" if result.reason else "")
        detail += f" • Report: `{result.report}`" if result.report else ""
        self._update(click, what, _esc(detail))

    def _refused(self, click: Click, reason: str) -> None:
        """One ``decision_refused`` audit line, as ``graphs.runner.resume`` writes for the CLI and chat."""
        a = click.answer
        what = a.verdict if a.choice is None else f"{a.verdict} #{a.choice}"
        what += f" (note: {a.note})" if a.note else ""
        what += " (Slack retry)" if click.retry else ""
        self._audit.record(AuditEntry(run_id=click.run_id, who=click.user, channel="slack", action="decision_refused",
                                      what=what, result=f"refused: {reason}"))

    def _update(self, click: Click, text: str, detail: str | None = None) -> None:
        if click.channel is None or click.message_ts is None:
            return
        try:
            self._replies.update(click.channel, click.message_ts, text, detail=detail)
        except NotifierError as e:
            log.warning("could not update the approval message: %s", e)

    def _tell(self, click: Click, text: str, *, quiet_on_retry: bool = False) -> None:
        if click.channel is None or (quiet_on_retry and click.retry):
            return
        try:
            self._replies.ephemeral(click.channel, click.user, text)
        except NotifierError as e:
            log.warning("could not reply to %s: %s", click.user, e)


def decision_line(click: Click, candidates: list[str]) -> str:
    """Who decided what, and when, for the approval message.

    Args:
        click: The click that decided.
        candidates: The waiting run's candidate titles, by rank.
    """
    who = f"<@{click.user}> at {click.at:%Y-%m-%d %H:%M:%S} UTC"
    a = click.answer
    if a.verdict == "approve" and a.choice is not None:
        return f"✅ *Run {_esc(candidates[a.choice - 1])}* approved by {who}"
    if a.note == SAVED_ONLY:
        return f"💾 Saved only by {who}: the specs stay in experiments/, nothing runs"
    return f"❌ Rejected by {who}: nothing runs"


def _esc(text: str) -> str:
    """Run data as text, never as Slack markup (``<!channel>``, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
