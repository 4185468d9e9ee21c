"""The console on uvicorn (the one module of the console that imports the server)."""

from __future__ import annotations

from agent.config import Settings
from agent.web.actions import Actions
from agent.web.app import build_app
from agent.web.console import WebConsole
from agent.wiring import ClusterBinding

MAX_CONNECTIONS = 100  # uvicorn answers 503 past this (each open run page holds one for its live stream)
IDLE_TIMEOUT_S = 5  # keep-alive connections idle longer are closed
GRACE_S = 10  # on Ctrl-C, open streams get this long before the runs executing here are stopped


def serve(settings: Settings, binding: ClusterBinding, *, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM; runs executing here then stop their chaos and report."""
    import uvicorn

    app = build_app(settings, WebConsole(settings, binding), Actions(settings))
    uvicorn.run(app, host=host, port=port, log_level="warning", limit_concurrency=MAX_CONNECTIONS,
                timeout_keep_alive=IDLE_TIMEOUT_S, timeout_graceful_shutdown=GRACE_S)
