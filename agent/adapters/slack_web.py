"""The Slack Web API on slack-sdk's ``WebClient``: the few methods the agent calls, each with a
short timeout and a few bounded retries (connection errors, HTTP 5xx, a 429 that asks for at
most a few seconds); then NotifierError, with a hint for Slack's common errors. None of
slack-sdk's errors leaves this module.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from http.client import HTTPException

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
from slack_sdk.web import SlackResponse

from agent.adapters.slack_blocks import Block, decided_blocks
from agent.errors import NotifierError

MAX_RATE_LIMIT_WAIT_S = 3.0  # a longer Retry-After is not waited for: the run must not stall
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

    @property
    def client(self) -> WebClient:
        """The WebClient itself, for slack-bolt (same token, base URL, timeout and retries)."""
        return self._client

    def post(self, channel: str, text: str, *, blocks: list[Block] | None = None,
             thread: SlackMessage | None = None, broadcast: bool = False) -> SlackMessage:
        """``chat.postMessage``; in ``thread`` (and also to the channel when ``broadcast``).

        Args:
            channel: The channel to post to when there is no ``thread``.
            text: The message, or its notification text when ``blocks`` are given.
            blocks: Block Kit for the message.
            thread: Post as a reply in this message's thread (and its channel).
            broadcast: With ``thread``, show the reply in the channel as well.

        Raises:
            NotifierError: Slack refused or could not be reached (after the retries).
        """
        # slack-sdk leaves out the None arguments: no blocks, no thread_ts outside a thread
        data = self._call("chat.postMessage", lambda: self._client.chat_postMessage(
            channel=thread.channel if thread else channel, text=text, blocks=_json(blocks),
            thread_ts=thread.ts if thread else None, reply_broadcast=broadcast if thread else None))
        return SlackMessage(channel=str(data.get("channel", channel)), ts=str(data.get("ts", "")))

    def update(self, channel: str, ts: str, text: str, *, detail: str | None = None) -> None:
        """``chat.update``: replace the message with ``text`` (and a ``detail`` line); the
        buttons go away, so nobody clicks an answered approval again."""
        blocks = _json(decided_blocks(text, detail))
        self._call("chat.update", lambda: self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        """``chat.postEphemeral``: a reply only ``user`` sees."""
        self._call("chat.postEphemeral", lambda: self._client.chat_postEphemeral(
            channel=channel, user=user, text=text))

    def _call(self, method: str, call: Callable[[], SlackResponse]) -> Mapping[str, object]:
        try:
            response = call()
        except SlackApiError as e:
            error = str(e.response.get("error", "unknown_error"))
            hint = HINTS.get(error, "see https://api.slack.com/methods/" + method)
            raise NotifierError(f"Slack {method} failed: {error} (HTTP {e.response.status_code}); {hint}") from e
        except (SlackClientError, OSError, HTTPException, ValueError) as e:
            raise NotifierError(f"Slack {method} failed: cannot reach {self.base_url} ({_reason(e)})") from e
        return response.data if isinstance(response.data, dict) else {}


def _json(blocks: list[Block] | None) -> list[dict[str, object]] | None:
    """The blocks as the plain JSON objects slack-sdk's signatures ask for (same content)."""
    return None if blocks is None else [dict(b) for b in blocks]


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", None) or e or type(e).__name__)
