"""The listener ``slack serve`` runs, from the ``slack`` settings: the Bolt app
(:mod:`agent.adapters.slack_app`) over HTTP (:mod:`agent.adapters.slack_http`, requests checked
with ``slack.signing_secret``) or Socket Mode (:mod:`agent.adapters.slack_socket`, with the
app-level token ``slack.app_token``). A missing secret is a ConfigError naming the setting
(:meth:`agent.config.Slack.listener_secret`)."""

from __future__ import annotations

from agent.adapters.slack_app import SlackApp
from agent.adapters.slack_signature import SlackSignature
from agent.adapters.slack_web import SlackWeb
from agent.config import Slack
from agent.slack.commands import Commands
from agent.slack.decisions import Decisions
from agent.slack.ports import Listener
from agent.slack.workers import Workers


def open_listener(slack: Slack, web: SlackWeb, decisions: Decisions, commands: Commands, *, host: str = "127.0.0.1",
                  port: int = 0, timeout_s: float = 10.0, max_connections: int = 1024, serve_health: bool = True) -> Listener:
    """The listener for ``slack.mode`` (not started: enter it).

    Args:
        slack: The ``slack`` settings.
        web: The Web API client (Bolt uses its WebClient; Socket Mode opens its connection with it).
        decisions: What a click decides.
        commands: What ``/craterctl`` does.
        host: HTTP (Socket Mode: ``/healthz`` only): address to listen on.
        port: HTTP (Socket Mode: ``/healthz`` only): TCP port; 0 picks a free one.
        timeout_s: HTTP: seconds a client has to send a whole request.
        max_connections: HTTP: past this many open connections, 503.
        serve_health: Socket Mode: serve ``/healthz`` (a test may do without the port).
    """
    secret = slack.listener_secret()
    workers = Workers()
    if slack.mode == "socket":
        from agent.adapters.slack_socket import SocketListener

        app = SlackApp(web=web, decisions=decisions, commands=commands, signature=None, workers=workers)
        health = {"host": host, "port": port, "timeout_s": timeout_s, "max_connections": max_connections}
        return SocketListener(app, app_token=secret, health=health if serve_health else None)
    from agent.adapters.slack_http import HttpListener

    app = SlackApp(web=web, decisions=decisions, commands=commands, workers=workers,
                   signature=SlackSignature(secret))
    return HttpListener(app, host=host, port=port, timeout_s=timeout_s, max_connections=max_connections)
