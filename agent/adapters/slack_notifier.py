"""Slack: the Notifier port in a Slack channel, best effort beside the terminal.

The pieces: :mod:`agent.adapters.slack_web` (the Web API client, retries, mapped errors),
:mod:`agent.adapters.slack_blocks` (the approval message's Block Kit) and
:mod:`agent.adapters.slack_app` (the slack-bolt app that takes the clicks and ``/craterctl``;
what they decide is ``agent.slack``).

Slack is best effort. Every call has a short timeout and a few bounded retries; then it raises
NotifierError, which :class:`BestEffort` turns into one warning line while the run goes on.
Approval stays possible from the CLI (``python -m agent resume``).

Where the approval message is (channel id and ts) is kept in the run's RunStore, so progress and
the TL;DR land in its thread even when another process (``slack serve``, ``resume``) continues
the run. Progress is one message in that thread, edited (``chat.update``) at most every
``slack.update_interval_s``, not a new message per tick; its last line is written before the TL;DR.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from agent.adapters.slack_blocks import approval_blocks, escape
from agent.adapters.slack_web import SlackMessage, SlackWeb
from agent.errors import ChaosAdvisorError, NotifierError
from agent.models import Candidate, Inventory, Rejection, Sample

if TYPE_CHECKING:
    from agent.ports import Notifier, RunStore

QUIET_AFTER_FAILURE_S = 60.0  # progress lines are skipped this long after a failed call
APPROVAL_MESSAGE = "slack_message"  # RunStore name of the approval message's location
PROGRESS_MESSAGE = "slack_progress"  # RunStore name of the progress message's location
T = TypeVar("T")


class SlackNotifier:
    """Implements :class:`agent.ports.Notifier` in a Slack channel.

    The candidates are one message with a button per experiment ("Run <title>"), "Save only"
    and "Reject"; each button's value carries the run id and the candidate's rank, and the
    callback endpoint finds the pending interrupt itself. Progress lines and the TL;DR go into
    that message's thread (the TL;DR also to the channel).
    """

    def __init__(self, web: SlackWeb, store: RunStore, *, channel: str, interval_s: float = 30.0,
                 reports_url: str | None = None, now: Callable[[], float] = time.monotonic) -> None:
        self._web, self._store, self._channel = web, store, channel
        self._interval_s, self._reports_url, self._now = interval_s, reports_url, now
        self._quiet_until = 0.0
        self._edited: dict[str, float] = {}  # run id: when its progress message was last written
        self._pending: dict[str, str] = {}  # run id: a progress line not shown yet (too soon)

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        text = f"Run {run_id}: {len(candidates)} proposed chaos experiment(s) wait for approval"
        blocks = approval_blocks(run_id, candidates, rejected, inventory=self._inventory(run_id))
        message = self._send(lambda: self._web.post(self._channel, text, blocks=blocks))
        self._store.save(run_id, APPROVAL_MESSAGE, message)

    def _inventory(self, run_id: str) -> Inventory | None:
        """The run's inventory (discover stored it), for the pods each selector matches."""
        try:
            return self._store.inventory(run_id)
        except ChaosAdvisorError:
            return None  # not stored: the message shows the selectors without their pods

    def progress(self, run_id: str, title: str, line: str) -> None:
        if self._now() < self._quiet_until:
            return  # Slack failed a moment ago: skip progress rather than slow the run down
        self._pending[run_id] = f"🔄 {escape(title)} - RUNNING / {escape(line)}"
        if self._now() - self._edited.get(run_id, float("-inf")) >= self._interval_s:
            self._show_progress(run_id)

    def _show_progress(self, run_id: str) -> None:
        """Post the progress message (the first time) or edit it with the latest line."""
        text = self._pending.pop(run_id, None)
        if text is None:
            return
        self._edited[run_id] = self._now()
        try:
            shown: SlackMessage | None = self._store.load(run_id, PROGRESS_MESSAGE, SlackMessage)
        except ChaosAdvisorError:
            shown = None  # none posted yet
        if shown is not None:
            self._send(lambda: self._web.update(shown.channel, shown.ts, text))
            return
        message = self._send(lambda: self._web.post(self._channel, text, thread=self._thread(run_id)))
        self._store.save(run_id, PROGRESS_MESSAGE, message)

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        return  # every tick is too often for a channel; progress() is the Slack cadence

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        try:
            self._show_progress(run_id)  # the last line, held back by the interval
        except NotifierError:
            pass  # the TL;DR matters more
        where = f"`{escape(str(report))}`"
        if self._reports_url:
            url = f"{self._reports_url.rstrip('/')}/{report.name}"
            where = f"<{escape(url)}|{escape(report.name)}> (file: {where})"
        text = f"{escape(tldr)}\nReport: {where}"
        self._send(lambda: self._web.post(self._channel, text, thread=self._thread(run_id), broadcast=True))

    def _thread(self, run_id: str) -> SlackMessage | None:
        try:
            return self._store.load(run_id, APPROVAL_MESSAGE, SlackMessage)
        except ChaosAdvisorError:
            return None  # never posted (Slack was down): post to the channel instead

    def _send(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except NotifierError:
            self._quiet_until = self._now() + QUIET_AFTER_FAILURE_S
            raise


class BestEffort:
    """Implements :class:`agent.ports.Notifier`: the terminal always, Slack as well when it can.

    A Slack failure (already retried by :class:`SlackWeb`) becomes one warning line through
    ``warn`` and the run goes on; while Slack keeps failing the warnings are not repeated.
    """

    def __init__(self, primary: Notifier, slack: SlackNotifier, *, warn: Callable[[str], None]) -> None:
        self._primary, self._slack, self._warn = primary, slack, warn
        self._failing = False

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        self._primary.candidates(run_id, candidates, rejected)
        self._try(lambda: self._slack.candidates(run_id, candidates, rejected),
                  f"; approve from the CLI: python -m agent resume {run_id} --approve N")

    def progress(self, run_id: str, title: str, line: str) -> None:
        self._primary.progress(run_id, title, line)
        self._try(lambda: self._slack.progress(run_id, title, line))

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        self._primary.observe(run_id, title, phase, sample, line=line)

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        self._primary.finished(run_id, tldr, report)
        self._try(lambda: self._slack.finished(run_id, tldr, report))

    def _try(self, call: Callable[[], None], hint: str = "") -> None:
        try:
            call()
        except NotifierError as e:
            if not self._failing or hint:
                self._warn(f"{e}; the run goes on without Slack{hint}")
            self._failing = True
            return
        self._failing = False
