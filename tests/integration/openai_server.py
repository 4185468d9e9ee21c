"""A loopback OpenAI-compatible chat-completions server for tests (stdlib only, 127.0.0.1).

Each test scripts the answers it wants, in order: a structured-output answer (any JSON the
"model" says), raw text, tool calls (for ``bind_tools``), an HTTP error, or an answer held until
the test releases it (for client timeouts without sleeping). The server records every request
body it received, so a test can assert how many calls were made and what they carried. An
unscripted request gets HTTP 500, so a test never passes on an answer it did not write.

    with OpenAIServer() as server:
        server.answer({"experiments": [...]})
        server.fail(429, "slow down")
        server.answer_tool_calls([("list_approvals", {})])
        ChatOpenAI(base_url=server.base_url, api_key="test", ...)
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: assistant ``content`` with ``usage``, or an HTTP error ``status``."""

    content: str = ""
    status: int = 200
    usage: tuple[int, int] = (120, 40)  # prompt, completion tokens reported
    hold: threading.Event | None = None  # answer only once this is set
    tool_calls: tuple[tuple[str, str], ...] = ()  # (name, JSON arguments): a tool-calling answer


class OpenAIServer:
    """Serves ``POST /v1/chat/completions`` from a queue of :class:`Reply`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._held: list[threading.Event] = []
        self._http = ThreadingHTTPServer((HOST, 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._http.server_address[1]}/v1"

    def answer(self, payload: object, *, usage: tuple[int, int] = (120, 40)) -> None:
        """Queue a structured-output answer: ``payload`` as the message's JSON content."""
        self._push(Reply(content=json.dumps(payload), usage=usage))

    def answer_text(self, text: str) -> None:
        """Queue an answer whose content is ``text`` verbatim (e.g. not JSON at all)."""
        self._push(Reply(content=text))

    def answer_tool_calls(self, calls: list[tuple[str, dict[str, Any]]]) -> None:
        """Queue an answer that calls tools: ``[(name, arguments), ...]``, in order."""
        self._push(Reply(tool_calls=tuple((name, json.dumps(args)) for name, args in calls)))

    def fail(self, status: int, message: str = "scripted failure") -> None:
        """Queue an HTTP error answer in OpenAI's error shape."""
        self._push(Reply(content=message, status=status))

    def hold(self) -> threading.Event:
        """Queue an answer that waits until the returned event is set (or the server stops)."""
        event = threading.Event()
        self._held.append(event)
        self._push(Reply(content=json.dumps({"experiments": []}), hold=event))
        return event

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _push(self, reply: Reply) -> None:
        with self._lock:
            self._replies.append(reply)

    def wait_for(self, n: int, timeout: float = 60) -> bool:
        """Block until ``n`` requests have arrived (no polling); False on timeout."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= n, timeout)

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self._arrived.notify_all()
            return self._replies.popleft() if self._replies else Reply("no scripted answer left", 500)

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for event in self._held:
            event.set()
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)


def _handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path != "/v1/chat/completions":
                return self._send(404, _error(f"no route {self.path}", "not_found"))
            reply = server._next(body)
            if reply.hold is not None:
                reply.hold.wait(timeout=10)
            if reply.status != 200:
                return self._send(reply.status, _error(reply.content, "scripted"))
            if body.get("response_format", {}).get("type") != "json_schema" and not body.get("tools"):
                return self._send(400, _error("this server answers json_schema or tool requests only", "bad"))
            self._send(200, _completion(body, reply))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test): nothing to answer

    return Handler


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt, completion = reply.usage
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_800_000_000,
        "model": body.get("model", "test"),
        "choices": [{
            "index": 0,
            "message": _message(reply),
            "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            "logprobs": None,
        }],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                  "total_tokens": prompt + completion},
    }


def _message(reply: Reply) -> dict[str, Any]:
    if not reply.tool_calls:
        return {"role": "assistant", "content": reply.content, "refusal": None}
    calls = [{"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": args}}
             for i, (name, args) in enumerate(reply.tool_calls, 1)]
    return {"role": "assistant", "content": None, "refusal": None, "tool_calls": calls}


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
