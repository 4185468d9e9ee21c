"""HTTP for the Slack endpoint: ``POST /slack/events`` (Slack's Interactivity Request URL) and
``GET /healthz``, from a thread.

It listens on 127.0.0.1 unless told otherwise (put your tunnel or ingress in front; 0.0.0.0 in a
pod, behind its Service). Bodies over :data:`MAX_BODY` are refused before they are read.
"""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from agent.slack.endpoint import SlackEndpoint

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH = "/slack/events"  # the Interactivity Request URL's path (Bolt's convention)
MAX_BODY = 256 * 1024  # Slack's interactive payloads are a few KB


class SlackCallbackServer:
    """Serves a :class:`SlackEndpoint` at ``http://HOST:PORT/slack/events`` from a thread
    (127.0.0.1 unless told otherwise: 0.0.0.0 in a pod, behind its Service)."""

    def __init__(self, endpoint: SlackEndpoint, *, port: int = 0, host: str = HOST) -> None:
        self.endpoint = endpoint
        self._host = host
        self._http = _HTTPServer((host, port), endpoint)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-callback", daemon=True)

    @property
    def url(self) -> str:
        """Where Slack posts the clicks (the Interactivity Request URL behind a tunnel or ingress)."""
        return f"http://{self._host}:{self._http.server_address[1]}{PATH}"

    def __enter__(self) -> SlackCallbackServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
        self.endpoint.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of clicks must not overflow the listen backlog (default 5)

    def __init__(self, address: tuple[str, int], endpoint: SlackEndpoint) -> None:
        super().__init__(address, _Handler)
        self.endpoint = endpoint


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chaos-advisor-slack/1"
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if urlsplit(self.path).path == "/healthz":
            return self._send(200, "ok")
        self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")

    def do_POST(self) -> None:  # noqa: N802
        if urlsplit(self.path).path != PATH:
            return self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._send(400, "bad Content-Length")
        if not 0 <= length <= MAX_BODY:
            return self._send(413, f"body over {MAX_BODY} bytes; nothing changed")
        reply = self.server.endpoint.handle(self.rfile.read(length), dict(self.headers.items()))
        self._send(reply.status, reply.text)

    def _send(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
