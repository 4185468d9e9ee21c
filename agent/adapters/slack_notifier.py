"""Slack: the Notifier port in a Slack channel, best effort beside the terminal.

The pieces: :mod:`agent.adapters.slack_web` (the Web API client, retries, mapped errors),
:mod:`agent.adapters.slack_blocks` (the approval message's Block Kit) and
:mod:`agent.adapters.slack_signature` (the callback endpoint's signature check; the endpoint
itself is ``agent.slack``).

Slack is best effort. Every call has a short timeout and a few bounded retries; then it raises
NotifierError, which :class:`BestEffort` turns into one warning line while the run goes on.
Approval stays possible from the CLI (``python -m agent resume``).

Where the approval message is (channel id and ts) is kept in the run's RunStore, so progress and
the TL;DR land in its thread even when another process (``slack serve``, ``resume``) continues
the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agent.adapters.slack_blocks import approval_blocks, escape
from agent.adapters.slack_web import SlackMessage, SlackWeb
from agent.errors import ChaosAdvisorError, NotifierError
from agent.models import Candidate, Inventory, Rejection, Sample

if TYPE_CHECKING:
    from agent.ports import Notifier, RunStore

QUIET_AFTER_FAILURE_S = 60.0  # progress lines are skipped this long after a failed call
APPROVAL_MESSAGE = "slack_message"  # RunStore name of the approval message's location


class SlackNotifier:
    """Implements :class:`agent.ports.Notifier` in a Slack channel.

    The candidates are one message with a button per experiment ("Run <title>"), "Save only"
    and "Reject"; each button's value carries the run id and the candidate's rank, and the
    callback endpoint finds the pending interrupt itself. Progress lines and the TL;DR go into
    that message's thread (the TL;DR also to the channel).
    """

    def __init__(self, web: SlackWeb, store: RunStore, *, channel: str) -> None:
        self._web, self._store, self._channel = web, store, channel
        self._quiet_until = 0.0

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
        if time.monotonic() < self._quiet_until:
            return  # Slack failed a moment ago: skip progress rather than slow the run down
        text = f"🔄 {escape(title)} - RUNNING / {escape(line)}"
        self._send(lambda: self._web.post(self._channel, text, thread=self._thread(run_id)))

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None) -> None:
        return  # every tick is too often for a channel; progress() is the Slack cadence

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        text = f"{escape(tldr)}\nReport: `{escape(str(report))}`"
        self._send(lambda: self._web.post(self._channel, text, thread=self._thread(run_id), broadcast=True))

    def _thread(self, run_id: str) -> SlackMessage | None:
        try:
            return self._store.load(run_id, APPROVAL_MESSAGE, SlackMessage)
        except ChaosAdvisorError:
            return None  # never posted (Slack was down): post to the channel instead

    def _send(self, call: Callable[[], SlackMessage]) -> SlackMessage:
        try:
            return call()
        except NotifierError:
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_S
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

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None) -> None:
        self._primary.observe(run_id, title, phase, sample)

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
