"""What ``/craterctl`` does, on the same functions as the CLI commands (``run-graph``, ``status``,
``runs``, ``abort``): implements :class:`agent.slack.ports.Operations` for ``slack serve``.

``suggest`` starts a run exactly as ``run-graph`` does: discover, design, notify (the Slack
notifier posts the interactive message), then the approve step pauses it; the buttons answer it.
Who asked is kept with the run (RunStore ``slack_requester``), so they may abort it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from rich.console import Console

from agent.errors import ApprovalError, ChaosAdvisorError, ConfigError

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.ports import Deps, PolicySource
    from agent.wiring import ClusterBinding
    from graphs.builder import RunGraph

OpenRun = Callable[["ClusterBinding"], AbstractContextManager[tuple["RunGraph", "Deps"]]]
REQUESTER = "slack_requester"  # RunStore name of who asked for a run in Slack
ABORT_TIMEOUT_S = 120.0  # of the run's clock, as `abort --timeout` defaults


class SlackRequester(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str  # Slack user id


class GraphOps:
    """``/craterctl`` on the checkpointer and the run's cluster.

    Args:
        settings: The server's settings.
        binding: The cluster ``suggest`` starts runs on (``slack serve --twin`` / ``--manifests``).
        open_run: Opens the graph and Deps for a cluster binding (tests pass their own twin).
        policy: The server's policy source (stack.yaml as edited since start), as ``GraphRuns`` uses.
    """

    def __init__(self, settings: Settings, *, binding: ClusterBinding, open_run: OpenRun,
                 policy: PolicySource | None = None) -> None:
        self._settings, self._binding, self._open_run, self._policy = settings, binding, open_run, policy

    def suggest(self, count: int, *, requester: str) -> str:
        from graphs import runner

        if not self._settings.slack.enabled:
            raise ConfigError("slack.enabled is false, so the experiments would not be posted in Slack; set slack.enabled: true")
        with self._open_run(self._binding) as (graph, deps):
            if self._policy is not None:
                deps = replace(deps, policy_source=self._policy)
            run_id = runner.new_run_id()
            deps.store.save(run_id, REQUESTER, SlackRequester(user=requester))
            view = runner.start(graph, deps, run_id=run_id, count=count, cluster=self._binding.model_dump(mode="json"))
        if view.waiting is not None:
            return (f"Run `{run_id}`: {len(view.waiting.candidates)} experiment(s) posted in {self._settings.slack.channel}; "
                    "nothing runs until an approver clicks [Run …]")
        s = view.state
        return f"Run `{run_id}` ended without asking: {s.get('outcome') or 'running'}" + (f" ({s['reason']})" if s.get("reason") else "")

    def status(self, run_id: str) -> str:
        from agent.cli.status import run_status

        st = run_status(_quiet(), self._settings, run_id)
        lines = [f"*Run `{run_id}`*: {st.phase}, outcome {st.outcome}" + (f" ({st.reason})" if st.reason else "")]
        if st.engine:
            es = st.engine_status
            lines.append(f"engine {st.engine}" + (f": {es.engine_state} / {es.engine_status or '-'}, verdict {es.verdict or '-'}"
                                                  if es else "") + (f" ({st.engine_seen})" if st.engine_seen else ""))
        for name, s in sorted(st.sample.services.items()) if st.sample else []:
            lines.append(f"• {name}: errors {_num(s.error_rate_pct)}% | p95 {_num(s.latency_p95_ms)} ms | "
                         f"ready {s.ready_replicas}/{s.replicas}")
        if st.report_path:
            lines.append(f"report: `{st.report_path}`")
        return _esc("\n".join(lines))

    def runs(self, limit: int) -> str:
        from agent.cli.status import list_runs

        rows = list_runs(self._settings, status=None, since=None, limit=limit)
        if not rows:
            return "No runs yet."
        return _esc("\n".join(f"• `{r.run_id}` {r.state}, {r.outcome or '-'}: {r.experiment or '-'}" for r in rows))

    def requester(self, run_id: str) -> str | None:
        from agent.wiring import open_store

        with open_store(self._settings) as store:
            try:
                return store.load(run_id, REQUESTER, SlackRequester).user
            except ChaosAdvisorError:
                return None  # not asked for in Slack

    def abort(self, run_id: str, *, who: str) -> str:
        from agent.models import Decision, EngineRef
        from agent.run.abort import abort
        from agent.run.chaos import derived
        from agent.wiring import ClusterBinding, open_checkpointer
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self._settings) as saver:
            state = runner.view(build(saver), run_id).state
        raw = state.get("decision")
        decision = Decision.model_validate(raw) if raw else None
        if decision is None or decision.choice is None:
            raise ApprovalError(f"run {run_id} has no approved experiment, so nothing to abort")
        with self._open_run(ClusterBinding.model_validate(state.get("cluster") or {})) as (_, deps):
            spec = deps.store.candidates(run_id)[decision.choice - 1].spec
            engine = state.get("engine")
            ref = EngineRef.model_validate(engine) if engine else derived(run_id, spec)
            done = abort(deps, run_id, ref, spec.action.value, who=who, channel="slack", timeout_s=ABORT_TIMEOUT_S)
        return _esc(f"Run `{run_id}`: " + (f"patched {done.engine}: engineState: stop; " if done.patched else "") + done.detail)


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=200)  # warnings of a status read are not Slack's business


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _esc(text: str) -> str:
    """Run data as text, never as Slack markup (``<!channel>``, links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
