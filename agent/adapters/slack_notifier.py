"""Slack: the Notifier port on slack-sdk's ``WebClient``, and the pieces the callback endpoint
(``agent.slack.app``) needs from Slack: message updates, ephemeral replies, signature checks.

Slack is best effort. Every call has a short timeout and a few bounded retries (connection
errors, HTTP 5xx, a 429 that asks for at most a few seconds); then it raises NotifierError,
which :class:`BestEffort` turns into one warning line while the run goes on. Approval stays
possible from the CLI (``python -m agent resume``). Errors are mapped here; none of slack-sdk's
leaves this module.

Where the approval message is (channel id and ts) is kept in the run's RunStore, so progress and
the TL;DR land in its thread even when another process (``slack serve``, ``resume``) continues
the run.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from http.client import HTTPException
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.signature import Clock, SignatureVerifier

from agent.errors import ChaosAdvisorError, NotifierError
from agent.models import Candidate, Rejection, Sample

if TYPE_CHECKING:
    from agent.ports import Notifier, RunStore

MAX_RATE_LIMIT_WAIT_S = 3.0  # a longer Retry-After is not waited for: the run must not stall
QUIET_AFTER_FAILURE_S = 60.0  # progress lines are skipped this long after a failed call
MAX_REQUEST_AGE_S = 300  # Slack's rule: older signed requests may be replays
APPROVAL_MESSAGE = "slack_message"  # RunStore name of the approval message's location
HINTS = {
    "invalid_auth": "check slack.bot_token",
    "not_authed": "set slack.bot_token",
    "token_revoked": "the bot token was revoked; install the app again",
    "channel_not_found": "fix slack.channel, or invite the bot to it",
    "not_in_channel": "invite the bot to the channel (/invite @bot)",
    "message_not_found": "the message was deleted",
}


class SlackMessage(BaseModel):
    """Where a posted message lives (``chat.update`` needs the channel id, not its name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str
    ts: str


class _ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Retries a 429 only when Slack asks for a short wait (Retry-After ≤ a few seconds)."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        assert response is not None
        wait = next((v[0] for k, v in response.headers.items() if k.lower() == "retry-after"), "1")
        try:
            return float(wait) <= MAX_RATE_LIMIT_WAIT_S
        except ValueError:
            return False


class _Jitter(Jitter):
    """Up to +50 %: slack-sdk's default adds up to a whole second to every retry."""

    def recalculate(self, duration: float) -> float:
        return duration * random.uniform(1.0, 1.5)


class SlackWeb:
    """The few Web API methods the agent calls, with bounded retries and mapped errors."""

    def __init__(self, token: str, *, base_url: str, timeout_s: int, retries: int) -> None:
        backoff = BackoffRetryIntervalCalculator(backoff_factor=0.2, jitter=_Jitter())  # 0.2 s, 0.4 s, ...
        self._client = WebClient(
            token=token,
            base_url=base_url,
            timeout=timeout_s,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
                ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
                _ShortRateLimitRetry(max_retry_count=1),
            ],
        )
        self.base_url = base_url

    def post(self, channel: str, text: str, *, blocks: list[dict[str, Any]] | None = None,
             thread: SlackMessage | None = None, broadcast: bool = False) -> SlackMessage:
        """``chat.postMessage``; in ``thread`` (and also to the channel when ``broadcast``)."""
        args: dict[str, Any] = {"channel": thread.channel if thread else channel, "text": text}
        if blocks is not None:
            args["blocks"] = blocks
        if thread is not None:
            args |= {"thread_ts": thread.ts, "reply_broadcast": broadcast}
        data = self._call("chat.postMessage", lambda: self._client.chat_postMessage(**args))
        return SlackMessage(channel=str(data.get("channel", channel)), ts=str(data.get("ts", "")))

    def update(self, channel: str, ts: str, text: str, *, detail: str | None = None) -> None:
        """``chat.update``: replace the message with ``text`` (and a ``detail`` line); the
        buttons go away, so nobody clicks an answered approval again."""
        blocks = decided_blocks(text, detail)
        self._call("chat.update", lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        """``chat.postEphemeral``: a reply only ``user`` sees."""
        self._call("chat.postEphemeral", lambda: self._client.chat_postEphemeral(
            channel=channel, user=user, text=text))

    def _call(self, method: str, call: Callable[[], Any]) -> Mapping[str, Any]:
        try:
            response = call()
        except SlackApiError as e:
            error = str(e.response.get("error", "unknown_error"))
            hint = HINTS.get(error, "see https://api.slack.com/methods/" + method)
            raise NotifierError(f"Slack {method} failed: {error} (HTTP {e.response.status_code}); {hint}") from e
        except (SlackClientError, OSError, HTTPException, ValueError) as e:
            raise NotifierError(f"Slack {method} failed: cannot reach {self.base_url} ({_reason(e)})") from e
        data: Mapping[str, Any] = response.data if isinstance(response.data, dict) else {}
        return data


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", None) or e or type(e).__name__)


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
        message = self._send(lambda: self._web.post(self._channel, text, blocks=approval_blocks(run_id, candidates, rejected)))
        self._store.save(run_id, APPROVAL_MESSAGE, message)

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


def approval_blocks(run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> list[dict[str, Any]]:
    """Block Kit for the approval message: one section per candidate, then the buttons."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"🧪 Chaos Advisor: {len(candidates)} proposed experiment(s)")},
        {"type": "context", "elements": [_md(f"Run `{run_id}` • nothing runs until someone approves")]},
    ]
    for c in candidates:
        s, sel = c.spec, c.spec.target_selector
        body = escape(
            f"*📋 {c.rank}. {s.title}*\n{s.description}\n"
            f"Action: {s.action.value} • Target: {sel.namespace}/{sel.service} • Risk: {s.risk_level} • "
            f"Duration: {s.parameters.duration_s}s\nWhy: {s.rationale}"
        )
        blocks.append({"type": "section", "text": _md(body[:3000])})
    if rejected:
        lines = escape("\n".join(f"not proposed: {r.title} ({r.rule})" for r in rejected))
        blocks.append({"type": "context", "elements": [_md(lines[:3000])]})
    buttons = [_run_button(run_id, c) for c in candidates[:23]]  # an actions block holds 25 elements
    buttons.append(_button("💾 Save only", "save_only", run_id, None))
    buttons.append(_button("Reject", "reject", run_id, None, style="danger"))
    blocks.append({"type": "actions", "block_id": f"approval:{run_id}", "elements": buttons})
    return blocks


def decided_blocks(text: str, detail: str | None = None) -> list[dict[str, Any]]:
    """Blocks that replace the approval message once someone answered: no buttons."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _md(text[:3000])}]
    if detail:
        blocks.append({"type": "context", "elements": [_md(detail[:3000])]})
    return blocks


def _run_button(run_id: str, c: Candidate) -> dict[str, Any]:
    sel = c.spec.target_selector
    button = _button(f"Run {c.spec.title}", f"run_{c.rank}", run_id, c.rank, style="primary" if c.rank == 1 else None)
    button["confirm"] = {
        "title": _plain("Run this experiment?"),
        "text": _md(escape(f"Applies a LitmusChaos {c.spec.action.value} to {sel.namespace}/{sel.service} "
                           f"for {c.spec.parameters.duration_s} s, watched with an abort threshold.")[:300]),
        "confirm": _plain("Run it"),
        "deny": _plain("Cancel"),
    }
    return button


def _button(label: str, action_id: str, run_id: str, choice: int | None, *, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
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


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


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


class SlackSignature:
    """Checks Slack's request signature (HMAC-SHA256 of ``v0:<ts>:<body>`` with the signing
    secret, by slack-sdk's SignatureVerifier) and refuses requests older than 5 minutes."""

    def __init__(self, signing_secret: str, *, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_Clock(now))
        self._now = now

    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not from Slack (or is too old), or None when it is fine."""
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
