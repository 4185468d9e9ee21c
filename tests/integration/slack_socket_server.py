"""Slack's side of Socket Mode on 127.0.0.1, for tests: a WebSocket server (the ``websockets``
library) speaking Slack's envelope protocol.

The app asks ``apps.connections.open`` (answered by :class:`tests.integration.slack_server.SlackServer`
with :attr:`SocketModeServer.url`), connects, and gets ``{"type": "hello", ...}``. A test then
sends envelopes (``interactive`` for a button click, ``slash_commands`` for ``/craterctl``) with
:meth:`SocketModeServer.send` and waits for the app's acknowledgement, ``{"envelope_id": ...,
"payload": ...}``, with :meth:`SocketModeServer.ack` (a condition with a deadline, no sleeping).
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

HOST = "127.0.0.1"


class SocketModeServer:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._conn: ServerConnection | None = None
        self._changed = threading.Condition()
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://{HOST}:{self._server.socket.getsockname()[1]}/link/?ticket=t-1&app_id=A0APP"

    def __enter__(self) -> SocketModeServer:
        self._server = serve(self._session, HOST, 0)
        threading.Thread(target=self._server.serve_forever, name="socket-mode", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()

    def _session(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0APP"},
                            "debug_info": {"host": "loopback", "approximate_connection_time": 18060}}))
        with self._changed:
            self._conn, self.connections = ws, self.connections + 1
            self._changed.notify_all()
        try:
            for message in ws:
                data = json.loads(message)
                with self._changed:
                    self.acks[data["envelope_id"]] = data
                    self._changed.notify_all()
        except ConnectionClosed:  # slack-sdk's client hangs up without a close frame when it stops
            pass

    def send(self, kind: str, payload: dict[str, Any], timeout: float = 10.0) -> str:
        """Send one envelope (``interactive``, ``slash_commands``) once the app is connected; its id."""
        with self._changed:
            assert self._changed.wait_for(lambda: self._conn is not None, timeout), "the app never connected"
            conn = self._conn
        assert conn is not None
        envelope_id = str(uuid.uuid4())
        conn.send(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              "accepts_response_payload": True, "retry_attempt": 0, "retry_reason": ""}))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The app's acknowledgement of ``envelope_id``."""
        with self._changed:
            assert self._changed.wait_for(lambda: envelope_id in self.acks, timeout), f"no ack of {envelope_id}"
            return self.acks[envelope_id]
