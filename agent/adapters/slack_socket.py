"""Socket Mode: the same Bolt app (:class:`agent.adapters.slack_app.SlackApp`) over a WebSocket
the agent opens to Slack, so an in-cluster install needs no public ingress (``slack.mode: socket``).

slack-bolt's built-in ``SocketModeHandler`` (slack-sdk's ``SocketModeClient``, no extra
dependency) asks ``apps.connections.open`` with the app-level token (``xapp-``, scope
``connections:write``) through the Web API client (so ``slack.base_url`` points it at a test
server too), connects to the ``wss://`` URL it gets, acknowledges each envelope with what the
listener acked, and reconnects when Slack asks it to. Slack signs nothing here: the WebSocket
itself is authenticated by the token. ``GET /healthz`` (for Kubernetes probes) is served on
its own port and answers 503 while the WebSocket is down.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError

from agent.adapters.slack_app import SlackApp
from agent.adapters.slack_http import HttpServer, starlette_app
from agent.errors import NotifierError


class SocketListener:
    """Receives Slack's requests over Socket Mode from background threads until closed.

    Args:
        slack: The Bolt app.
        app_token: The app-level token (``xapp-``).
        health: What serves ``/healthz`` (:class:`HttpServer` keywords: host, port, ...); None: nothing.
    """

    def __init__(self, slack: SlackApp, *, app_token: str, health: dict[str, Any] | None = None) -> None:
        self._slack = slack
        self._handler = SocketModeHandler(slack.app, app_token, web_client=slack.app.client)
        self._health = HttpServer(starlette_app(None, self._problem), **health) if health is not None else None

    def _problem(self) -> str | None:
        client = self._handler.client
        return None if client.is_connected() else "Socket Mode: the WebSocket to Slack is down (reconnecting)"

    @property
    def url(self) -> str:
        """The WebSocket it connected to (Slack's ``wss://`` URL, without its ticket)."""
        uri = self._handler.client.wss_uri or "(not connected)"
        health = f"; health at http://{self._health.host}:{self._health.port}/healthz" if self._health else ""
        return f"Socket Mode, {uri.split('?')[0]}{health}"

    def drain(self, timeout: float) -> bool:
        return self._slack.workers.drain(timeout)

    def __enter__(self) -> SocketListener:
        try:
            self._handler.connect()  # apps.connections.open, then the WebSocket; returns once connected
        except SlackApiError as e:
            error = str(e.response.get("error", "unknown_error"))
            raise NotifierError(f"Slack apps.connections.open failed: {error}; check slack.app_token "
                                "(an xapp-... app-level token with connections:write)") from e
        except (SlackClientError, OSError) as e:
            raise NotifierError(f"Slack Socket Mode: cannot connect ({e}); check slack.base_url and the network") from e
        if self._health is not None:
            self._health.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._health is not None:
            self._health.stop()
        self._handler.close()
        self._slack.workers.shutdown(wait=True)  # answers in progress finish (a resumed run runs to its end)
