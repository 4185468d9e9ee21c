"""HTTP mode: the Bolt app (:class:`agent.adapters.slack_app.SlackApp`) behind a small Starlette
app on uvicorn, from a thread. ``POST /slack/events`` is the Request URL of both Interactivity
and the ``/craterctl`` slash command; ``GET /healthz`` is for Kubernetes probes.

Why Starlette on uvicorn rather than Bolt's WSGI adapter: uvicorn is a kept server whose event
loop holds an idle or slow client for the price of a socket, not a thread; ``limit_concurrency``
answers 503 past a bound; the Bolt dispatch (quick: verify, parse, ack) runs in Starlette's
bounded thread pool. Bolt's own Starlette handler is not used: it dispatches on the event loop
and fails with a 500 on a body that is not UTF-8; :meth:`SlackApp.handle` is the same few lines
with the signature checked first.

uvicorn times out only idle keep-alive connections; a client that sends half a request would
hold its socket forever (slowloris). :class:`_Deadline` adds the missing read deadline: a
request not received whole within ``timeout_s`` of the connection (or of the previous answer)
is hung up on. Bodies over :data:`MAX_BODY` are refused before they are read.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from agent.adapters.slack_app import SlackApp

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
PATH = "/slack/events"  # Bolt's convention for the Request URL
MAX_BODY = 256 * 1024  # Slack's interactive payloads are a few KB
TIMEOUT_S = 10.0  # Slack sends a request in one go, well under its own 3 s deadline


class _Deadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole."""

    timeout_s = TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = self.loop.call_later(self.timeout_s, self._expire)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._deadline.cancel()
        self._deadline = self.loop.call_later(self.timeout_s, self._expire)

    def connection_lost(self, exc: Exception | None) -> None:
        self._deadline.cancel()
        super().connection_lost(exc)

    def _expire(self) -> None:
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
            self.transport.close()  # half a request (or none) after timeout_s: hang up, answer nothing


def starlette_app(slack: SlackApp | None, health: Callable[[], str | None] = lambda: None) -> Starlette:
    """``POST /slack/events`` to the Bolt app (HTTP mode; None: Socket Mode, health only) and
    ``GET /healthz`` (503 with the reason while ``health()`` names a problem)."""

    async def events(request: Request) -> Response:
        assert slack is not None
        if request.method != "POST":
            return PlainTextResponse(f"Slack posts to {PATH}; use POST", 405, headers={"Allow": "POST"})
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return _closing(413, f"body over {MAX_BODY} bytes; nothing changed")
        body = b""
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY:
                    return _closing(413, f"body over {MAX_BODY} bytes; nothing changed")
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        reply = await run_in_threadpool(slack.handle, body, dict(request.headers))
        return Response(reply.text, reply.status, media_type=reply.content_type)

    async def healthz(request: Request) -> Response:
        problem = health()
        return PlainTextResponse(problem or "ok", 503 if problem else 200)

    routes = [Route("/healthz", healthz)]
    return Starlette(routes=[*routes, Route(PATH, events, methods=["GET", "POST"])] if slack else routes)


def _closing(status: int, text: str) -> Response:
    """The body was not read: the connection cannot carry another request."""
    return PlainTextResponse(text, status, headers={"Connection": "close"})


class HttpServer:
    """An ASGI app on uvicorn from a thread, with a read deadline per request (:class:`_Deadline`).

    Args:
        app: What it serves.
        port: TCP port; 0 picks a free one.
        host: Address to listen on.
        timeout_s: Seconds a client has to send a whole request.
        max_connections: Past this many open connections (or requests in progress) new requests get 503.
    """

    def __init__(self, app: Starlette, *, port: int = 0, host: str = HOST, timeout_s: float = TIMEOUT_S,
                 max_connections: int = 1024) -> None:
        self.host = host
        self._socket = socket.create_server((host, port), backlog=128)  # bound now: the port is known at once
        protocol = type("Deadline", (_Deadline,), {"timeout_s": timeout_s})
        config = uvicorn.Config(app, http=protocol, lifespan="off", log_level="warning", log_config=None,
                                limit_concurrency=max_connections, timeout_graceful_shutdown=30, access_log=False)
        self._server = uvicorn.Server(config)  # log_config=None: its warnings go through logging as configured
        self._thread = threading.Thread(target=self._serve, name="slack-http", daemon=True)

    def _serve(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    @property
    def connections(self) -> int:
        """Client connections open now."""
        state: Any = getattr(self._server, "server_state", None)
        return len(state.connections) if state is not None else 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=35)
        self._socket.close()


class HttpListener:
    """Serves the Bolt app at ``http://HOST:PORT/slack/events`` (and ``/healthz``) until closed
    (127.0.0.1 unless told otherwise: 0.0.0.0 in a pod, behind its Service).

    Args:
        slack: The Bolt app.
        http: What :class:`HttpServer` takes: port, host, timeout_s, max_connections.
    """

    def __init__(self, slack: SlackApp, **http: Any) -> None:
        self._slack = slack
        self._http = HttpServer(starlette_app(slack), **http)

    @property
    def url(self) -> str:
        """Slack's Request URL for Interactivity and the slash command (behind a tunnel or ingress)."""
        return f"http://{self._http.host}:{self._http.port}{PATH}"

    @property
    def connections(self) -> int:
        return self._http.connections

    def drain(self, timeout: float) -> bool:
        return self._slack.workers.drain(timeout)

    def __enter__(self) -> HttpListener:
        self._http.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.stop()
        self._slack.workers.shutdown(wait=True)  # answers in progress finish (a resumed run runs to its end)
