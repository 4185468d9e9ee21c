"""``python -m agent slack serve``: the slack-bolt app behind the approval buttons and ``/craterctl``,
over HTTP (``slack.mode: http``) or Socket Mode (``slack.mode: socket``).

A click resumes its run in this process (``graphs.runner.resume``, exactly once), on the cluster
the run started on, as ``python -m agent resume`` does from a terminal; ``/craterctl suggest``
starts a run here as ``run-graph`` does (:mod:`agent.cli.slack_ops`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from agent.cli.clusters import ContextOpt
from agent.cli.common import (
    DEFAULT_CONFIG,
    ConfigOpt,
    ManifestsOpt,
    TwinOpt,
    cluster_binding,
    console,
    group_settings,
    load_config,
    open_run,
)
from agent.errors import ChaosAdvisorError

if TYPE_CHECKING:  # agent.cli.slack_ops loads pydantic: imported only when serving (--help stays light)
    from agent.cli.slack_ops import OpenRun
    from agent.config import Settings
    from agent.ports import PolicySource, RunStore
    from agent.slack.ports import Answer, Listener, Result, Waiting
    from agent.wiring import ClusterBinding
    from graphs.runner import RunView

app = typer.Typer(
    help="Slack: the slack-bolt app behind the approval buttons and /craterctl.",
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
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="HTTP mode: port to listen on (0 = any free one).")] = 3000,
    host: Annotated[
        str, typer.Option("--host", help="HTTP mode: address to listen on; 127.0.0.1 by default, 0.0.0.0 in a pod behind a Service.")
    ] = "127.0.0.1",
    recover: Annotated[
        bool, typer.Option("--recover/--no-recover", help="At start-up, pick up runs a dead server left (python -m agent recover).")
    ] = True,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    context: ContextOpt = None,
) -> None:
    """Answer Slack until Ctrl-C (or SIGTERM): the approval buttons and /craterctl (suggest, status, abort, runs, help).

    slack.mode http: serves HOST:PORT/slack/events (the Request URL of Interactivity and of the
    slash command; put a tunnel or ingress in front) and /healthz. slack.mode socket: connects
    out to Slack with slack.app_token; no ingress needed. A click by a user in policy.approvers
    resumes the run here, exactly once; /craterctl suggest starts runs on the cluster (or --twin).
    At start-up it first recovers what a previous server left (a restarted pod): interrupted runs are
    watched to their end without new chaos, stale claims released, orphaned engines stopped.
    With stack.yaml's clusters:, /craterctl suggest starts runs on the --context cluster, else the first.
    """
    from agent.config.clusters import settings_for
    from agent.wiring import open_store

    settings = load_config(config)  # whole: a run of another cluster resumed here is narrowed to its own
    binding = cluster_binding(twin, manifests, cluster=settings_for(settings, context).cluster)
    with open_store(settings) as store:  # for the audit log and the kill switch, while serving
        try:
            listener = build_listener(settings, store, binding=binding, port=port, host=host)
        except OSError as e:
            raise ChaosAdvisorError(f"slack serve: cannot listen on {host}:{port} ({e.strerror}); pick another --host/--port") from None
        _serve(settings, listener, recover=recover)


def build_listener(settings: Settings, store: RunStore, *, binding: ClusterBinding | None = None,
                   open_run_for: OpenRun | None = None, **http: Any) -> Listener:
    """The listener ``slack serve`` runs: approvers checked against the policy in force at each
    click and command, refusals written to the audit log every other part of the agent writes to.

    Args:
        settings: The server's settings.
        store: The RunStore the audit log and the live policy read.
        binding: The cluster ``/craterctl suggest`` starts runs on.
        open_run_for: Opens the graph and Deps for a run's cluster (default: the CLI's ``open_run``).
        http: HTTP mode: host, port, timeout_s, max_connections.
    """
    from agent.cli.slack_ops import GraphOps
    from agent.run.switch import LivePolicy
    from agent.slack.commands import Commands
    from agent.slack.decisions import Decisions
    from agent.wiring import ClusterBinding, build_audit, slack_listener, slack_web

    settings.slack.listener_secret()  # the server's own secret first: it is what `slack serve` is about
    live, audit, web = LivePolicy(settings, store), build_audit(settings, store), slack_web(settings)
    opener = open_run_for or (lambda b: open_run(settings, b))
    runs = GraphRuns(settings, open_run=opener, policy=live)
    ops = GraphOps(settings, binding=binding or ClusterBinding(), open_run=opener, policy=live)
    decisions = Decisions(replies=web, runs=runs, policy=live.current, audit=audit)
    commands = Commands(ops=ops, replies=web, policy=live.current, audit=audit)
    return slack_listener(settings, decisions, commands, **http)


def _serve(settings: Settings, listener: Listener, *, recover: bool) -> None:
    import signal
    import threading

    with listener:
        if settings.slack.mode == "socket":
            console.print(f"Slack app connected: {listener.url}", highlight=False)
            console.print("  no Request URL needed (Socket Mode); Ctrl-C stops")
        else:
            console.print(f"Slack app listening at {listener.url}", highlight=False)
            console.print("  set it (behind your tunnel or ingress) as the Request URL of Interactivity and of /craterctl; "
                          "health at /healthz; Ctrl-C stops")
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
