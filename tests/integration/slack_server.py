"""A loopback Slack Web API for tests (stdlib only, 127.0.0.1), and Slack's side of interactivity.

:class:`SlackServer` answers ``chat.postMessage``, ``chat.update`` and ``chat.postEphemeral``
as Slack does (a bot token, ``{"ok": ...}`` JSON, channel ids, message ts), records every call
and keeps the messages as people would see them (text, blocks, thread). It can fail a method on
purpose (HTTP 5xx, or a Slack error such as ``channel_not_found``), go down entirely (connection
refused) and come back on the same port. Tests wait with :meth:`SlackServer.wait_for` (a
condition with a deadline), never by sleeping.

:func:`click_payload` builds the ``block_actions`` payload Slack sends when someone presses a
button of a recorded message; :func:`post_click` sends it, signed as Slack signs (or not).

    with SlackServer() as slack:
        WebClient(token=slack.token, base_url=slack.base_url).chat_postMessage(channel="#chaos", text="hi")
        assert slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

HOST = "127.0.0.1"
TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"  # the app-level token Socket Mode opens its connection with
CHANNELS = {"#chaos": "C0CHAOS"}  # names the bot may post to, and their ids


@dataclass(frozen=True)
class Call:
    """One Web API request as the server received it."""

    method: str
    body: dict[str, Any]


@dataclass
class Message:
    """A message as Slack keeps it; ``thread_ts`` is set on replies."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    broadcast: bool = False
    updates: int = 0

    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b.get("type") == "actions" for e in b["elements"]]


@dataclass(frozen=True)
class Failure:
    status: int  # HTTP status
    error: str  # Slack's error code


class SlackServer:
    """Serves ``POST /api/<method>`` for a bot token; see the module docstring."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.socket_url = ""  # what apps.connections.open answers (a loopback WebSocket server's URL)
        self.calls: list[Call] = []
        self.messages: dict[str, Message] = {}  # by ts
        self._failures: dict[str, deque[Failure]] = {}
        self._changed = threading.Condition()
        self._next_ts = 0
        self._port = 0
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._port}/api/"

    # --- scripting ---------------------------------------------------------------------------

    def fail(self, method: str, *, status: int = 500, error: str = "internal_error", times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP ``status`` and ``error``."""
        with self._changed:
            self._failures.setdefault(method, deque()).extend([Failure(status, error)] * times)

    def down(self) -> None:
        """Stop listening: clients now get 'connection refused'."""
        assert self._http is not None and self._thread is not None
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
        self._http = self._thread = None

    def up(self) -> None:
        """Listen again (on the same port once it has been bound)."""
        self._http = _Server((HOST, self._port), _handler(self))
        self._port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    # --- reading -----------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> bool:
        """Wait until ``predicate()`` is truthy after some call (or already is); False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(predicate()), timeout=timeout)

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def top_level(self) -> list[Message]:
        """Messages posted to a channel (not thread replies), oldest first."""
        with self._changed:
            return [m for m in self.messages.values() if m.thread_ts is None]

    def replies(self, ts: str) -> list[Message]:
        """The thread of message ``ts``, oldest first."""
        with self._changed:
            return [m for m in self.messages.values() if m.thread_ts == ts]

    def ephemerals(self) -> list[Call]:
        return self.calls_to("chat.postEphemeral")

    # --- serving -----------------------------------------------------------------------------

    def _answer(self, method: str, body: dict[str, Any], auth: str) -> tuple[int, dict[str, Any]]:
        with self._changed:
            self.calls.append(Call(method, body))
            try:
                return self._dispatch(method, body, auth)
            finally:
                self._changed.notify_all()

    def _dispatch(self, method: str, body: dict[str, Any], auth: str) -> tuple[int, dict[str, Any]]:
        failures = self._failures.get(method)
        if failures:
            f = failures.popleft()
            return f.status, {"ok": False, "error": f.error}
        if method == "apps.connections.open":
            ok = auth == f"Bearer {APP_TOKEN}" and self.socket_url
            return 200, {"ok": True, "url": self.socket_url} if ok else {"ok": False, "error": "invalid_auth"}
        if auth != f"Bearer {self.token}":
            return 200, {"ok": False, "error": "invalid_auth"}
        if method == "chat.postMessage":
            return self._post(body)
        if method == "chat.update":
            return self._update(body)
        if method == "chat.postEphemeral":
            if not body.get("user") or not body.get("text"):
                return 200, {"ok": False, "error": "invalid_arguments"}
            return 200, {"ok": True, "message_ts": self._ts()}
        return 404, {"ok": False, "error": "unknown_method"}

    def _post(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        channel = CHANNELS.get(str(body.get("channel")), str(body.get("channel")))
        if not channel.startswith("C"):
            return 200, {"ok": False, "error": "channel_not_found"}
        thread = body.get("thread_ts")
        if thread is not None and thread not in self.messages:
            return 200, {"ok": False, "error": "thread_not_found"}
        ts = self._ts()
        self.messages[ts] = Message(channel, ts, str(body.get("text", "")), list(body.get("blocks") or []),
                                    thread_ts=thread, broadcast=bool(body.get("reply_broadcast")))
        return 200, {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}

    def _update(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        message = self.messages.get(str(body.get("ts")))
        if message is None or message.channel != body.get("channel"):
            return 200, {"ok": False, "error": "message_not_found"}
        message.text, message.blocks = str(body.get("text", "")), list(body.get("blocks") or [])
        message.updates += 1
        return 200, {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _ts(self) -> str:
        self._next_ts += 1
        return f"1800000000.{self._next_ts:06d}"

    def __enter__(self) -> SlackServer:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self.down()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def _handler(server: SlackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.path.startswith("/api/"):
                return self._send(404, {"ok": False, "error": "unknown_method"})
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                body = json.loads(raw or b"{}")
            else:
                body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            status, payload = server._answer(self.path[len("/api/"):], body, self.headers.get("Authorization", ""))
            self._send(status, payload)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


# --- Slack's side of interactivity -------------------------------------------------------------


def click_payload(message: Message, action_id: str, user: str) -> dict[str, Any]:
    """The ``block_actions`` payload Slack sends when ``user`` presses button ``action_id``."""
    button = next(b for b in message.buttons() if b["action_id"] == action_id)
    block = next(b for b in message.blocks if b.get("type") == "actions")
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0APP", "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": False},
        "trigger_id": "1.2.3", "team": {"id": "T0TEAM", "domain": "example"},
        "channel": {"id": message.channel, "name": "chaos"},
        "message": {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks},
        "response_url": "https://hooks.slack.com/actions/T0TEAM/1/abc",
        "actions": [{
            "type": "button", "action_id": action_id, "block_id": block.get("block_id", "b"),
            "text": button["text"], "value": button["value"], "action_ts": "1800000000.1",
        }],
    }


def command_form(text: str, user: str, *, channel: str = "C0CHAOS") -> dict[str, str]:
    """The form Slack sends when ``user`` types ``/craterctl <text>`` in ``channel``."""
    return {
        "token": "deprecated-verification-token", "team_id": "T0TEAM", "team_domain": "example",
        "channel_id": channel, "channel_name": "chaos", "user_id": user, "user_name": user.lower(),
        "command": "/craterctl", "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
        "response_url": "https://hooks.slack.com/commands/T0TEAM/1/abc", "trigger_id": "1.2.3",
    }


def form_body(payload: dict[str, Any]) -> bytes:
    """The request body Slack sends: ``payload=<JSON>``, form-encoded."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def post_click(
    url: str,
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
    retry: int | None = None,
) -> tuple[int, str]:
    """POST ``body`` to the callback ``url`` signed with ``secret`` as Slack does; returns the
    status and the body. ``signature`` overrides the computed one; ``retry`` adds Slack's
    ``X-Slack-Retry-Num`` header."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature or str(SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
