"""`chat`: a REPL over the same tools as every other command; plain words too with a model.

The tools reach the run graph only through :class:`GraphRuns`, the ``tools.runs.RunControl``
that drives ``graphs.runner``: ``start`` runs to the approval interrupt, ``resume`` answers it
exactly once (the RunStore claim), from the cluster the run started on. So an approval typed in
the chat, or asked of the model, is the same interrupt/resume as ``python -m agent resume``.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from rich.console import Console

    from agent.chat.reader import Reader
    from agent.chat.repl import Repl
    from agent.models import Decision
    from agent.ports import Deps
    from agent.wiring import ClusterBinding
    from graphs.builder import RunGraph
    from graphs.runner import RunView
    from tools.runs import ChatSession, RunSummary


def chat(config: ConfigOpt = DEFAULT_CONFIG, twin: TwinOpt = False, manifests: ManifestsOpt = None,
         context: ContextOpt = None) -> None:
    """Talk to the advisor: /commands always; plain words too when llm.enabled. Approvals still
    pause the run for you, exactly as `resume` does (approver chat:<you>, see policy.approvers).
    With stack.yaml's clusters:, it works on the --context cluster, else the first."""
    from agent.chat.reader import line_reader
    from agent.config.clusters import settings_for
    from agent.wiring import open_checkpointer, open_deps
    from graphs.builder import build

    settings = load_config(config)  # whole: a run of another cluster resumed here is narrowed to its own
    binding = cluster_binding(twin, manifests, cluster=settings_for(settings, context).cluster)
    model, offline = None, "llm.enabled is false in the config"
    if settings.llm.enabled and settings.llm.api_key is None:
        offline = "llm.enabled, but no API key: set llm.api_key or OPENAI_API_KEY"
    elif settings.llm.enabled:
        from agent.wiring import open_chat_model

        model = open_chat_model(settings)
    repl: Repl | None = None
    history = settings.path(settings.paths.state_dir) / "chat_history"
    with (
        open_checkpointer(settings) as saver,
        open_deps(settings, binding, console=console) as deps,
        line_reader(history, lambda text, line: repl.complete(text, line) if repl else []) as read,
    ):
        runs = GraphRuns(build(saver), saver, deps, binding, console=console)
        repl = make_repl(console, deps, runs, read=read, approver=getpass.getuser(), model=model, offline=offline)
        where = "the Sock Shop twin" if binding.twin else "the cluster"
        mode = f"model {settings.llm.model}" if model else f"slash commands only: {offline}"
        console.print(f"Chaos Advisor chat on {where} ({mode}). /help lists the commands; Ctrl-D leaves.",
                      highlight=False)
        repl.run()


def make_repl(console: Console, deps: Deps, runs: GraphRuns, *, read: Reader, approver: str,
              model: BaseChatModel | None = None, offline: str = "llm.enabled is false") -> Repl:
    """The REPL over every chat tool; with ``model``, plain words go to a tool-calling agent."""
    from agent.chat.agent import ChatAgent
    from agent.chat.reader import confirm_with
    from agent.chat.repl import Repl
    from prompts import render
    from tools import build_chat_tools
    from tools.model_view import for_model
    from tools.runs import ChatSession

    session = ChatSession(approver=approver)
    tools = build_chat_tools(deps, runs, session)
    agent = None
    if model is not None:
        system = render("chat_system", approver=f"chat:{approver}")
        confirm = confirm_with(console, read, lambda name, args: _decides(runs, session, name, args))
        agent = ChatAgent(model, tools, system=system, confirm=confirm, shape=for_model)
    return Repl(console, tools, read=read, agent=agent, run_ids=runs.run_ids, offline=offline)


def _decides(runs: GraphRuns, session: ChatSession, name: str, args: Mapping[str, object]) -> str | None:
    """What an approve or reject call would decide, in words, for the confirmation prompt. The
    request described is the one the decision answers (pinned in ``session`` unless a listing
    already pinned an earlier one, which then stays: a changed request is refused, not answered)."""
    from agent.errors import ChaosAdvisorError

    run_id, choice = args.get("run_id"), args.get("choice")
    if not isinstance(run_id, str):
        return None
    try:
        run = runs.get(run_id)
    except ChaosAdvisorError:
        return None  # the tool itself will say the run does not exist
    if run.interrupt_id is not None:
        session.shown.setdefault(run_id, run.interrupt_id)
    titles = run.candidates
    if name == "approve_experiment" and isinstance(choice, int) and 1 <= choice <= len(titles):
        plan = runs.plan(run_id, choice)
        return f"run {run_id}, experiment {choice} of {len(titles)}: {titles[choice - 1]!r} will run now" + (
            f"; {plan}" if plan else "")
    if name == "reject_run":
        return f"run {run_id}: none of its {len(titles)} candidates will run"
    return None


class GraphRuns:
    """``tools.runs.RunControl`` over ``graphs.runner``: the same start, view and exactly-once
    resume as the CLI commands, on one checkpointer."""

    def __init__(self, graph: RunGraph, saver: BaseCheckpointSaver, deps: Deps, binding: ClusterBinding, *,
                 console: Console, realtime: bool = True) -> None:
        self._graph, self._saver, self._deps, self._binding = graph, saver, deps, binding
        self._console, self._realtime = console, realtime

    def plan(self, run_id: str, choice: int) -> str | None:
        """What choice ``choice`` of ``run_id`` hits (selector, pods) and when it stops itself."""
        from agent.design.measurable import abort_warning
        from agent.design.targets import abort_line, target_line
        from agent.errors import ChaosAdvisorError

        try:
            spec = self._deps.store.candidates(run_id)[choice - 1].spec
            inventory = self._deps.store.inventory(run_id)
        except (ChaosAdvisorError, IndexError):
            return None
        off = abort_warning(spec, inventory)
        return f"{target_line(spec, inventory)}; {abort_line(spec)}" + (f"; warning: {off}" if off else "")

    def start(self, count: int) -> RunSummary:
        from graphs import runner

        view = runner.start(self._graph, self._deps, run_id=runner.new_run_id(), count=count,
                            cluster=self._binding.model_dump(mode="json"))
        return summary(view)

    def paused(self) -> list[RunSummary]:
        from graphs import runner

        return [summary(v) for v in runner.paused(self._graph, self._saver)]

    def get(self, run_id: str) -> RunSummary:
        from graphs import runner

        return summary(runner.view(self._graph, run_id))

    def resume(self, deps: Deps, run_id: str, decision: Decision, *, interrupt_id: str | None) -> RunSummary:
        from graphs import runner

        return summary(runner.resume(self._graph, deps, run_id, decision, interrupt_id=interrupt_id))

    @contextmanager
    def on_cluster(self, run_id: str) -> Iterator[Deps]:
        from agent.wiring import ClusterBinding, open_deps
        from graphs import runner

        bound = ClusterBinding.model_validate(runner.view(self._graph, run_id).state.get("cluster") or {})
        if bound == self._binding:
            yield self._deps
            return
        with open_deps(self._deps.settings, bound, console=self._console, realtime=self._realtime) as deps:
            yield deps

    def run_ids(self) -> list[str]:
        return sorted({str(c.config["configurable"]["thread_id"]) for c in self._saver.list(None)})


def summary(view: RunView) -> RunSummary:
    """A run's checkpoint as the tools' model."""
    from agent.models import Decision, EngineRef, EngineStatus
    from tools.runs import RunSummary

    s = view.state
    decision, engine, status = s.get("decision"), s.get("engine"), s.get("engine_status")
    return RunSummary(
        run_id=view.run_id,
        waiting_for_approval=view.waiting is not None,
        candidates=list(view.waiting.candidates if view.waiting else s.get("candidates") or []),
        phase=s.get("phase"),
        outcome=s.get("outcome"),
        reason=s.get("reason"),
        decision=Decision.model_validate(decision) if decision else None,
        engine=EngineRef.model_validate(engine) if engine else None,
        engine_status=EngineStatus.model_validate(status) if status else None,
        report_path=s.get("report_path"),
        tldr=s.get("tldr"),
        interrupt_id=view.interrupt_id,
    )
