"""Slack's request signature, checked by the HTTP listener of the slack-bolt app before Bolt parses
the body (:meth:`agent.adapters.slack_app.SlackApp.handle`), with slack-sdk's ``SignatureVerifier``
(the one Bolt's own RequestVerification uses); requests older than 5 minutes are refused as replays."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.signature import Clock, SignatureVerifier

MAX_REQUEST_AGE_S = 300  # Slack's rule: older signed requests may be replays


class SlackSignature:
    """Checks Slack's request signature (HMAC-SHA256 of ``v0:<ts>:<body>`` with the signing
    secret, by slack-sdk's SignatureVerifier) and refuses requests older than 5 minutes."""

    def __init__(self, signing_secret: str, *, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(now))
        self._now = now

    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not from Slack (or is too old), or None when it is fine.

        Args:
            body: The raw request body, as signed.
            timestamp: ``X-Slack-Request-Timestamp`` (Unix seconds), if sent.
            signature: ``X-Slack-Signature`` (``v0=<hex>``), if sent.
        """
        if not timestamp or not signature:
            return "missing X-Slack-Request-Timestamp or X-Slack-Signature"
        try:
            sent = int(timestamp)
        except ValueError:
            return f"X-Slack-Request-Timestamp {timestamp[:20]!r} is not a Unix time"
        if abs(self._now() - sent) > MAX_REQUEST_AGE_S:
            return "stale request: X-Slack-Request-Timestamp is more than 5 minutes from now (a replay?)"
        try:
            valid = self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
        except (TypeError, UnicodeDecodeError):  # a non-ASCII signature, a body that is not UTF-8
            valid = False
        if not valid:
            return "bad signature: X-Slack-Signature does not match the body and slack.signing_secret"
        return None


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()
