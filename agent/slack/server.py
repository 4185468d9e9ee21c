"""HTTP for the Slack endpoint: ``POST /slack/events`` (Slack's Interactivity Request URL) and
``GET /healthz``, from a thread.

It listens on 127.0.0.1 unless told otherwise (put your tunnel or ingress in front; 0.0.0.0 in a
pod, behind its Service). The server behind it (:class:`twin.httpd.PooledHTTPServer`, stdlib
only) reads requests in one selector thread and answers complete ones from a bounded pool, so
slow or idle clients (slowloris) cost a socket for at most ``timeout_s``, never a thread; past
``max_connections`` open sockets new ones get 503. Bodies over :data:`MAX_BODY` are refused
before they are read.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from urllib.parse import urlsplit

from agent.slack.endpoint import SlackEndpoint
from twin.httpd import PooledHandler, PooledHTTPServer

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH = "/slack/events"  # the Interactivity Request URL's path (Bolt's convention)
MAX_BODY = 256 * 1024  # Slack's interactive payloads are a few KB
TIMEOUT_S = 10.0  # Slack sends a click in one go, well under its own 3 s deadline
WORKERS = 16  # answering is quick: verify, parse, hand the decision to the endpoint's own pool


class SlackCallbackServer:
    """Serves a :class:`SlackEndpoint` at ``http://HOST:PORT/slack/events`` from a thread
    (127.0.0.1 unless told otherwise: 0.0.0.0 in a pod, behind its Service).

    Args:
        endpoint: What answers the clicks.
        port: TCP port; 0 picks a free one.
        host: Address to listen on.
        timeout_s: Seconds a client has to send a whole request, and to take the answer.
        workers: Most requests answered at once.
        max_connections: Open connections beyond this are answered 503.
    """

    def __init__(self, endpoint: SlackEndpoint, *, port: int = 0, host: str = HOST, timeout_s: float = TIMEOUT_S,
                 workers: int = WORKERS, max_connections: int = 1024) -> None:
        self.endpoint = endpoint
        self._host = host
        self._http = _HTTPServer((host, port), endpoint, timeout_s=timeout_s, workers=workers,
                                 max_connections=max_connections)
        self._thread = threading.Thread(target=self._http.serve_forever, name="slack-callback", daemon=True)

    @property
    def url(self) -> str:
        """Where Slack posts the clicks (the Interactivity Request URL behind a tunnel or ingress)."""
        return f"http://{self._host}:{self._http.server_address[1]}{PATH}"

    @property
    def connections(self) -> int:
        """Client connections open now."""
        return self._http.connections

    def __enter__(self) -> SlackCallbackServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)
        self.endpoint.close()


class _HTTPServer(PooledHTTPServer):
    def __init__(self, address: tuple[str, int], endpoint: SlackEndpoint, *, timeout_s: float, workers: int,
                 max_connections: int) -> None:
        super().__init__(address, _Handler, timeout_s=timeout_s, workers=workers, max_connections=max_connections,
                         max_body=MAX_BODY)
        self.endpoint = endpoint


class _Handler(PooledHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chaos-advisor-slack/1"
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.client_address[0], *args)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        if path == "/healthz":
            return self._send(200, "ok")
        if path == PATH:
            return self._send(405, f"Slack posts to {PATH}; use POST", allow="POST")
        self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")

    def do_POST(self) -> None:  # noqa: N802
        if urlsplit(self.path).path != PATH:
            return self._send(404, f"no route {self.path[:80]}; Slack posts to {PATH}")
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit() or len(text) > 18:
            return self._send(400, "bad Content-Length: expected a whole number of bytes; nothing changed", close=True)
        if int(text) > MAX_BODY:
            return self._send(413, f"body over {MAX_BODY} bytes; nothing changed", close=True)
        reply = self.server.endpoint.handle(self.rfile.read(int(text)), dict(self.headers.items()))
        self._send(reply.status, reply.text)

    def _send(self, status: int, text: str, *, allow: str | None = None, close: bool = False) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if allow:
            self.send_header("Allow", allow)
        if close:  # the body was not read: the connection cannot carry another request
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
