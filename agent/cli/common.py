"""What the CLI commands share: the console, options, settings, graph and decisions."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console, ConsoleRenderable, RenderHook
from rich.table import Table

from agent.cli.artifacts import Artifacts

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.models import Decision
    from agent.ports import Deps
    from agent.wiring import ClusterBinding
    from graphs.builder import RunGraph
    from graphs.runner import RunView

PIPE_WIDTH = 100_000  # piped output is read by programs: never wrap or cut a line (kubectl prints plain columns)


def make_console() -> Console:
    """The console: as wide as the terminal, or, when stdout is not one, wide enough never to wrap.

    Colour follows Rich's rules: none when piped unless FORCE_COLOR is set; NO_COLOR turns it off.
    """
    if sys.stdout.isatty():
        return Console()
    piped = Console(width=PIPE_WIDTH)
    piped.push_render_hook(PlainTables())
    return piped


class PlainTables(RenderHook):
    """Piped, a table prints as plain columns, as kubectl's do: no borders, no box characters, a
    header line and one line per row, cells separated by spaces (``awk``/``grep`` read them)."""

    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        for r in renderables:
            if isinstance(r, Table):
                r.box, r.show_edge, r.pad_edge, r.padding = None, False, False, (0, 2, 0, 0)
        return renderables


console = make_console()

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="stack.yaml to use.")]
TwinOpt = Annotated[bool, typer.Option("--twin", help="Use the embedded Sock Shop twin instead of a cluster.")]
ManifestsOpt = Annotated[
    list[Path] | None,
    typer.Option("--manifests", help="Seed the twin from these manifests (repeat the option); implies --twin."),
]
DEFAULT_CONFIG = Path("stack.yaml")
MAX_CANDIDATES = 20  # --count's ceiling, so also the highest --approve N


def check_run_id(value: str) -> str:
    """A RUN argument's callback: refuse what no run id can be before it reaches the state store
    (bytes that are not UTF-8, control characters); anything else is looked up ("no run ...")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise typer.BadParameter("not a run id (not UTF-8); run ids look like 9b34d0d2: python -m agent approvals") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise typer.BadParameter("not a run id (control characters); run ids look like 9b34d0d2") from None
    return value


def group_settings() -> dict[str, object]:
    """``context_settings`` for a Typer app with sub-commands: keeps ``COMMAND --help`` fast.

    Typer 0.29 coerces each parameter's value through a pydantic TypeAdapter that it builds on
    first use, even for a value of None that never reaches it. Asking a sub-command for help
    leaves the group's own ``--help`` at None, so ``inventory --help`` imported pydantic (~45 ms
    of a 165 ms start). Boolean values skip coercion: defaulting the flag to False avoids it, and
    so for the shell-completion flags Typer adds (``add_completion``).
    """
    return {"default_map": {"help": False, "install_completion": False, "show_completion": False}}


def load_config(path: Path) -> Settings:
    """Settings from ``path`` (stack.yaml) and the environment."""
    from agent.config import load_settings

    return load_settings(path)


def cluster_binding(twin: bool, manifests: list[Path] | None, *, cluster: str | None = None) -> ClusterBinding:
    """The cluster a command works on (``cluster``: a name of stack.yaml's clusters:); ``--manifests``
    files are checked here, before anything (state, twin) is opened, so a bad one leaves nothing behind."""
    from agent.config.files import check_manifests
    from agent.wiring import ClusterBinding

    check_manifests(manifests or [])
    return ClusterBinding(twin=twin or bool(manifests), manifests=[str(m.resolve()) for m in manifests] if manifests else None,
                          cluster=cluster)


@contextmanager
def open_run(settings: Settings, binding: ClusterBinding) -> Iterator[tuple[RunGraph, Deps]]:
    from contextlib import ExitStack

    from agent.config.files import make_dirs, remove_dirs
    from agent.wiring import open_checkpointer, open_deps
    from graphs.builder import build

    # Where a run writes its specs and its report, known to work before any chaos: a report that
    # cannot be written after the fault ran would leave the run without an ending. Taken back if
    # the state or the cluster cannot be opened (a failed command leaves nothing behind).
    made = make_dirs([(settings.path(p), f"{settings.source or 'stack.yaml'} paths.{name}")
                      for name, p in (("experiments", settings.paths.experiments), ("reports", settings.paths.reports))])
    with ExitStack() as opened:
        try:
            saver = opened.enter_context(open_checkpointer(settings))
            deps = opened.enter_context(open_deps(settings, binding, console=console))
        except BaseException:
            opened.close()
            remove_dirs(made)
            raise
        yield build(saver), deps


def decide(graph: RunGraph, deps: Deps, view: RunView, *, approve: int | None, reject: bool,
           out: Artifacts | None = None) -> None:
    """Answer ``view``'s approval: ``approve``/``reject`` given up front (a script: a choice that
    does not exist ends the run as refused), else ask at a terminal, else say how to go on.
    Ends with the run's exit code, after writing ``out`` (``--junit``/``--result``)."""
    if view.waiting is None:
        finish(view, out)
        return
    n = len(view.waiting.candidates)
    up_front = approve is not None
    if approve is None and not reject:
        if not sys.stdin.isatty():
            console.print(f"Run {view.run_id} waits for approval. Continue from any terminal with:\n"
                          f"{_next_commands(view.run_id, n)}", highlight=False, soft_wrap=True)
            paused(view.run_id, out)
        answer = ask(n)
        if answer is None:
            console.print(f"Left paused: nothing was applied. Continue later with:\n{_next_commands(view.run_id, n)}",
                          highlight=False, soft_wrap=True)  # a command to copy is never broken across lines
            paused(view.run_id, out)
        approve, reject = (None, True) if answer == 0 else (answer, False)
    finish(resume_here(graph, deps, view.run_id, decision(deps, approve=approve), final=up_front), out)


def _next_commands(run_id: str, n: int) -> str:
    cmd = agent_command()
    return (f"  {cmd} resume {run_id} --approve N   (1..{n})\n"
            f"  {cmd} resume {run_id} --reject")


def agent_command() -> str:
    """This CLI as a fresh shell runs it: ``python -m agent`` when the ``python`` on PATH is this
    interpreter (an activated venv), else this interpreter's path (``.venv/bin/python -m agent``
    from ``scripts/demo.sh``, relative to the working directory when under it)."""
    import os
    import shutil

    exe = Path(os.path.abspath(sys.executable))
    found = shutil.which("python")
    if found and Path(os.path.abspath(found)).parent == exe.parent:  # symlinks not followed: a venv's python is one
        return "python -m agent"
    try:
        shown = str(exe.relative_to(Path.cwd()))
    except ValueError:
        shown = str(exe)
    return f"{shown if '/' in shown else './' + shown} -m agent"


def resume_here(graph: RunGraph, deps: Deps, run_id: str, answer: Decision, *, final: bool = False) -> RunView:
    """Resume ``run_id`` in this process, which then runs its experiment: Ctrl-C or SIGTERM
    stops the chaos and ends the run with its report (a second one exits at once). ``final``:
    see :func:`graphs.runner.resume`."""
    from dataclasses import replace

    from agent.cli.interrupts import stopping_on_signals
    from graphs import runner

    with stopping_on_signals(console, run_id) as stop:
        return runner.resume(graph, replace(deps, stop_requested=stop.requested), run_id, answer, final=final)


def ask(n: int) -> int | None:
    from rich.prompt import Prompt

    choices = [str(i) for i in range(1, n + 1)] + ["r", "q", "n"]
    try:
        answer = Prompt.ask(f"Approve which experiment? 1-{n}, r = reject, q or n = leave paused", choices=choices,
                            console=console)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C or Ctrl-D at the prompt: leave it paused, say so
        console.print()
        return None
    return None if answer in ("q", "n") else 0 if answer == "r" else int(answer)


def decision(deps: Deps, *, approve: int | None, note: str = "") -> Decision:
    from agent.models import Decision

    return Decision(
        verdict="approve" if approve is not None else "reject",
        choice=approve,
        approver=getpass.getuser(),
        channel="cli",
        at=deps.wall_now(),  # real time: when the person decided (the run's clock may be the twin's)
        note=note,
    )


def finish(view: RunView, out: Artifacts | None = None) -> None:
    """Say how the run ended, write ``out`` and exit with the verdict's code (agent/cli/exits.py)."""
    from agent.report import ci

    s = view.state
    if view.waiting is not None:
        console.print(f"Run {view.run_id} still waits for approval.")
        paused(view.run_id, out)
    console.print(f"Run {view.run_id}: {s.get('outcome')}" + (f" ({s['reason']})" if s.get("reason") else ""))
    if not s.get("report_path"):  # every ending writes its report: without one, the ending alone decides
        from agent.cli.exits import for_outcome

        raise typer.Exit(for_outcome(s))
    console.print(f"Report: {s['report_path']}")
    result = ci.load(Path(str(s["report_path"])))
    console.print(f"Verdict: {result.verdict} (exit {result.exit_code})", highlight=False)
    (out or Artifacts()).write(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def paused(run_id: str, out: Artifacts | None) -> NoReturn:
    """A run left waiting for an approval: its artifacts say so, and it exits 7."""
    from agent.report import ci

    result = ci.waiting(run_id)
    (out or Artifacts()).write(result)
    raise typer.Exit(result.exit_code)
