"""``python -m agent web``: the web console (:mod:`agent.web`) on uvicorn, until Ctrl-C or SIGTERM.

Imports nothing heavy at module level: ``python -m agent --help`` loads no pydantic or langgraph.
"""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.clusters import ContextOpt
from agent.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    ManifestsOpt,
    TwinOpt,
    cluster_binding,
    console,
    load_config,
)


def web(
    config: ConfigOpt = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 127.0.0.1 by default (put a proxy in front for others).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8090,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    context: ContextOpt = None,
) -> None:
    """Serve the web console: runs, a run live, approvals, reports, history, audit log, inventory, /metrics.

    Reading needs no sign-in; approving, rejecting and aborting do: with web.token (env
    CHAOS_ADVISOR_WEB__TOKEN) and a name, or from a trusted proxy's X-Forwarded-User /
    X-Auth-Request-User (web.trust_proxy_header). Approvers: web:<user> in policy.approvers.
    Approved runs execute in this server; Ctrl-C stops their chaos and writes their reports first.
    With stack.yaml's clusters:, its new runs go to the --context cluster, else the first.
    """
    from agent.config.clusters import settings_for
    from agent.web.server import serve

    settings = load_config(config)  # whole: a run of another cluster resumed here is narrowed to its own
    binding = cluster_binding(twin, manifests, cluster=settings_for(settings, context).cluster)
    if settings.web.token is None and not settings.web.trust_proxy_header:
        console.print("[yellow]warning:[/yellow] neither web.token nor web.trust_proxy_header is set: "
                      "the console is read-only (set CHAOS_ADVISOR_WEB__TOKEN)", highlight=False)
    if not any(a.startswith("web:") for a in settings.policy.approvers):
        console.print("[yellow]warning:[/yellow] no web:<user> in policy.approvers: every approval here is refused",
                      highlight=False)
    console.print(f"Web console at http://{host}:{port}/ (Ctrl-C stops)", highlight=False)
    serve(settings, binding, host=host, port=port)
