"""``python -m agent slack serve``: the endpoint behind the Slack approval buttons.

A click resumes its run in this process (``graphs.runner.resume``, exactly once), on the cluster
the run started on, as ``python -m agent resume`` does from a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, console, group_settings, load_config, open_run
from agent.errors import ChaosAdvisorError

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.ports import Deps, PolicySource, RunStore
    from agent.slack.endpoint import SlackEndpoint
    from agent.slack.ports import Answer, Result, Waiting
    from agent.slack.server import SlackCallbackServer
    from agent.wiring import ClusterBinding
    from graphs.builder import RunGraph
    from graphs.runner import RunView

OpenRun = Callable[["ClusterBinding"], AbstractContextManager[tuple["RunGraph", "Deps"]]]

app = typer.Typer(
    help="Slack: the endpoint behind the approval buttons.",
    no_args_is_help=True,
    add_completion=False,
    context_settings=group_settings(),
)


class GraphRuns:
    """Implements :class:`agent.slack.ports.Runs` with ``graphs.runner`` on the checkpointer.

    ``open_run(binding)`` gives the graph and Deps a resumed run continues with (the CLI opens
    them per run, for the cluster the run recorded; tests pass their own twin). ``policy``, when
    given, replaces theirs: the server's own source knows stack.yaml as it was when the server
    started, so an edit since then is in force at the approval (a source built per resume
    would take the file as it is now for unchanged, and answer the start-up settings).
    """

    def __init__(self, settings: Settings, *, open_run: OpenRun, policy: PolicySource | None = None) -> None:
        self._settings, self._open_run, self._policy = settings, open_run, policy

    def waiting(self, run_id: str) -> Waiting:
        from agent.slack.ports import Waiting

        view = self._view(run_id)
        return Waiting(
            interrupt_id=view.interrupt_id if view.waiting else None,
            candidates=list(view.waiting.candidates) if view.waiting else [],
            status=str(view.state.get("outcome") or "running"),
        )

    def resume(self, run_id: str, answer: Answer, *, interrupt_id: str) -> Result:
        from agent.models import Decision
        from agent.slack.ports import Result
        from agent.wiring import ClusterBinding
        from graphs import runner

        binding = ClusterBinding.model_validate(self._view(run_id).state.get("cluster") or {})
        with self._open_run(binding) as (graph, deps):
            if self._policy is not None:
                deps = replace(deps, policy_source=self._policy)
            decision = Decision(
                verdict=answer.verdict, choice=answer.choice, approver=answer.approver, channel="slack",
                at=deps.clock.now(), note=answer.note,  # the run's own clock, as the CLI stamps it
            )
            view = runner.resume(graph, deps, run_id, decision, interrupt_id=interrupt_id)
        s = view.state
        return Result(outcome=str(s.get("outcome") or "running"), reason=s.get("reason"), report=s.get("report_path"))

    def _view(self, run_id: str) -> RunView:
        from agent.wiring import open_checkpointer
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self._settings) as saver:
            return runner.view(build(saver), run_id)


@app.command()
def serve(
    config: ConfigOpt = DEFAULT_CONFIG,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0 = any free one).")] = 3000,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on: 127.0.0.1 by default; 0.0.0.0 in a pod behind a Service.")
    ] = "127.0.0.1",
    recover: Annotated[
        bool, typer.Option("--recover/--no-recover", help="At start-up, pick up runs a dead server left (python -m agent recover).")
    ] = True,
) -> None:
    """Serve Slack's Interactivity Request URL at HOST:PORT/slack/events until Ctrl-C (or SIGTERM).

    Put a tunnel or ingress in front of it. A click by a user in policy.approvers resumes the run here, exactly once.
    At start-up it first recovers what a previous server left (a restarted pod): interrupted runs are
    watched to their end without new chaos, stale claims released, orphaned engines stopped.
    """
    from agent.slack.server import SlackCallbackServer
    from agent.wiring import open_store

    settings = load_config(config)
    with open_store(settings) as store:  # for the audit log and the kill switch, while serving
        endpoint = build_endpoint(settings, store)
        try:
            server = SlackCallbackServer(endpoint, port=port, host=host)
        except OSError as e:
            endpoint.close()
            raise ChaosAdvisorError(f"slack serve: cannot listen on {host}:{port} ({e.strerror}); pick another --host/--port") from None
        _serve(settings, server, recover=recover)


def build_endpoint(settings: Settings, store: RunStore) -> SlackEndpoint:
    """The endpoint ``slack serve`` runs: approvers checked against the policy in force at each
    click, refusals written to the audit log every other part of the agent writes to."""
    from agent.run.switch import LivePolicy
    from agent.slack.endpoint import SlackEndpoint
    from agent.wiring import build_audit, slack_signature, slack_web

    live = LivePolicy(settings, store)
    runs = GraphRuns(settings, open_run=lambda binding: open_run(settings, binding), policy=live)
    return SlackEndpoint(verifier=slack_signature(settings), replies=slack_web(settings), runs=runs,
                         policy=live.current, audit=build_audit(settings, store))


def _serve(settings: Settings, server: SlackCallbackServer, *, recover: bool) -> None:
    import signal
    import threading

    with server:
        console.print(f"Slack callback endpoint at {server.url}", highlight=False)
        console.print("  set it (behind your tunnel or ingress) as the Slack app's Interactivity Request URL; Ctrl-C stops")
        if not any(a.startswith("slack:") for a in settings.policy.approvers):
            console.print("[yellow]warning:[/yellow] no slack:<user id> in policy.approvers: every click is refused until one is added")
        if recover:
            threading.Thread(target=_recover_at_start, args=(settings,), name="recover", daemon=True).start()
        stop = threading.Event()
        # SIGTERM is how Kubernetes (and CI) stop a server; SIGINT may be ignored in background jobs.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        console.print("stopping; runs resumed here finish first")


def _recover_at_start(settings: Settings) -> None:
    """``recover`` for every run in the checkpointer, each on its own cluster (in the background:
    a run watched to its end may take minutes, and clicks must be answered meanwhile)."""
    from agent.cli.recover import recover_runs

    try:
        for f in recover_runs(settings, None):  # each run on its own cluster
            console.print(f"recover: run {f.run_id}: {f.found} -> {f.action}", highlight=False)
    except ChaosAdvisorError as e:  # the server still answers clicks; the operator sees why
        console.print(f"[yellow]warning:[/yellow] recovery at start-up failed: {e}; run python -m agent recover", highlight=False)
