"""The Slack callback endpoint: Slack POSTs button clicks here (``python -m agent slack serve``).

A request is answered at once (Slack wants an answer within 3 s); the decision runs afterwards
in a worker thread (:mod:`agent.slack.decisions`)::

    signature and age ok? ──── no ──▶ 401, nothing changes
    payload parses? ────────── no ──▶ 400 saying what is wrong, nothing changes
    clicker in policy.approvers now? ── no ──▶ 200; a worker audits it and tells them "you may not"
    200 at once; a worker answers the click (at most one resume per pending approval)

This module knows Slack's requests only; the graph (``Runs``), the Web API (``Replies``) and the
signature check (``Verifier``) come in as ports (:mod:`agent.slack.ports`), built by the CLI.
HTTP itself is :mod:`agent.slack.server`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from agent.config import Policy
from agent.errors import ApprovalError
from agent.ports import AuditLog
from agent.slack.clicks import parse_click
from agent.slack.decisions import Decisions
from agent.slack.ports import Replies, Runs, Verifier

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    """The HTTP answer to one request."""

    status: int
    text: str


class SlackEndpoint:
    """Turns signed requests into at most one resume per pending approval.

    Args:
        verifier: Checks Slack's signature and timestamp.
        replies: Where the endpoint answers in Slack.
        runs: The paused runs.
        policy: The policy in force now (``Deps.policy``: stack.yaml read again when it changed),
            asked at every click, so approvers added or removed take effect without a restart.
        audit: The agent's audit log; every click refused here is one ``decision_refused`` line.
        workers: Threads deciding clicks at once.
    """

    def __init__(self, *, verifier: Verifier, replies: Replies, runs: Runs, policy: Callable[[], Policy],
                 audit: AuditLog, workers: int = 8) -> None:
        self._verifier = verifier
        self._decisions = Decisions(replies=replies, runs=runs, policy=policy, audit=audit)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-answer")
        self._busy = 0
        self._idle = threading.Condition()

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Reply:
        """Answer one request at once; any resume happens afterwards in a worker.

        Args:
            body: The raw request body (signed by Slack).
            headers: The request headers, any case.
        """
        h = {k.lower(): v for k, v in headers.items()}
        stamp = h.get("x-slack-request-timestamp")
        problem = self._verifier.problem(body, stamp, h.get("x-slack-signature"))
        if problem is not None:
            return Reply(401, f"{problem}; nothing changed")
        assert stamp is not None  # the verifier refuses requests without one
        try:
            click = parse_click(body, sent_at=datetime.fromtimestamp(int(stamp), UTC), retry="x-slack-retry-num" in h)
        except ApprovalError as e:
            return Reply(400, f"{e}; nothing changed")
        if click is None:
            return Reply(200, "ignored: not a button click")
        refused = self._decisions.not_allowed(click)
        if refused is not None:
            self._submit(lambda: self._decisions.refuse(click, refused))
            return Reply(200, f"{refused}; nothing changed")
        self._submit(lambda: self._decisions.answer(click))
        return Reply(200, "")

    def drain(self, timeout: float) -> bool:
        """Wait until no answer is in progress; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def close(self) -> None:
        """Finish the answers in progress (a resumed run runs to its end), then stop."""
        self._pool.shutdown(wait=True)

    def _submit(self, job: Callable[[], None]) -> None:
        with self._idle:
            self._busy += 1
        self._pool.submit(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a worker's top level: log it and keep serving the next clicks
            log.exception("answering a Slack click failed")
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
