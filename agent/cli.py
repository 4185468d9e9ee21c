"""The command line: ``python -m agent <command>``.

Heavy libraries (langgraph, kubernetes) are imported inside the commands so ``--help`` stays
fast. Expected failures print one clear line and exit non-zero; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console

from agent.errors import ChaosAdvisorError, ConfigError

if TYPE_CHECKING:
    from agent.config import Settings
    from agent.models import Decision
    from agent.ports import Deps
    from agent.wiring import ClusterBinding
    from graphs.builder import RunGraph
    from graphs.runner import RunView

app = typer.Typer(
    help="Chaos Advisor: discovers a stack, proposes chaos experiments, runs the approved one, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
T = TypeVar("T")
_debug = {"on": False}

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="stack.yaml to use.")]
TwinOpt = Annotated[bool, typer.Option("--twin", help="Use the embedded Sock Shop twin instead of a cluster.")]
ManifestsOpt = Annotated[
    list[Path] | None,
    typer.Option("--manifests", help="Seed the twin from these manifests (repeat the option); implies --twin."),
]
DEFAULT_CONFIG = Path("stack.yaml")


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _debug["on"] = debug


def main() -> None:
    """Entry point: run the app, turning expected errors into one line and an exit code."""
    try:
        app()
    except ChaosAdvisorError as e:
        if _debug["on"]:
            raise
        console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(2 if isinstance(e, ConfigError) else 1)


def _settings(path: Path) -> Settings:
    from agent.config import load_settings

    return load_settings(path)


def _binding(twin: bool, manifests: list[Path] | None) -> ClusterBinding:
    from agent.wiring import ClusterBinding

    return ClusterBinding(twin=twin or bool(manifests), manifests=[str(m.resolve()) for m in manifests] if manifests else None)


@contextmanager
def _graph(settings: Settings, binding: ClusterBinding) -> Iterator[tuple[RunGraph, Deps]]:
    from agent.wiring import open_checkpointer, open_deps
    from graphs.builder import build

    with open_checkpointer(settings) as saver, open_deps(settings, binding, console=console) as deps:
        yield build(saver), deps


@app.command()
def inventory(config: ConfigOpt = DEFAULT_CONFIG, twin: TwinOpt = False, manifests: ManifestsOpt = None) -> None:
    """Discover the stack and print it, grouped by kind and tier."""
    from agent.discovery import discover
    from agent.inventory_view import render_inventory
    from agent.wiring import open_deps

    settings = _settings(config)
    with open_deps(settings, _binding(twin, manifests), console=console) as deps:
        inv = discover(deps)
    render_inventory(console, inv)


@app.command()
def suggest(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=20, help="How many experiments.")] = 3,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Save specs here (default: paths.experiments).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the suggestions; save nothing.")] = False,
) -> None:
    """Propose ranked, policy-checked experiments and save them as spec files (nothing runs)."""
    from agent.adapters.terminal import print_candidates
    from agent.design import design, save
    from agent.discovery import discover
    from agent.wiring import open_deps

    settings = _settings(config)
    with open_deps(settings, _binding(twin, manifests), console=console) as deps:
        result = design(discover(deps), deps.designer, settings.policy, count=count)
    candidates = result.candidates
    if not dry_run:
        candidates = save(candidates, output or settings.path(settings.paths.experiments))
    print_candidates(console, candidates, result.rejected, notice=result.proposal.notice)
    if dry_run:
        console.print("dry run: nothing saved")


@app.command()
def schema() -> None:
    """Print the JSON Schema of an experiment spec (the files `suggest` saves and `run` takes)."""
    import json

    from agent.models import ExperimentSpec

    typer.echo(json.dumps(ExperimentSpec.model_json_schema(), indent=2))


@app.command("run-graph")
def run_graph(
    config: ConfigOpt = DEFAULT_CONFIG,
    twin: TwinOpt = False,
    manifests: ManifestsOpt = None,
    approve: Annotated[int | None, typer.Option("--approve", help="Approve candidate N without asking.")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject all candidates without asking.")] = False,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=20, help="How many candidates.")] = 3,
) -> None:
    """Run the whole loop: discover, design, ask for approval, execute, monitor, report."""
    from graphs import runner

    settings = _settings(config)
    binding = _binding(twin, manifests)
    with _graph(settings, binding) as (graph, deps):
        run_id = runner.new_run_id()
        console.print(f"Run [bold]{run_id}[/bold] on {'the Sock Shop twin' if binding.twin else 'the cluster'}")
        view = runner.start(graph, deps, run_id=run_id, count=count, cluster=binding.model_dump(mode="json"))
        _decide(graph, deps, view, approve=approve, reject=reject)


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="The paused run's id.")],
    config: ConfigOpt = DEFAULT_CONFIG,
    approve: Annotated[int | None, typer.Option("--approve", help="Approve candidate N.")] = None,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the run.")] = False,
    note: Annotated[str, typer.Option("--note", help="Why (kept in the report).")] = "",
) -> None:
    """Answer a paused run's approval from any process; the run continues here."""
    from agent.wiring import ClusterBinding, open_checkpointer
    from graphs import runner
    from graphs.builder import build

    if (approve is None) == (not reject):
        raise typer.BadParameter("give exactly one of --approve N or --reject")
    settings = _settings(config)
    with open_checkpointer(settings) as saver:
        view = runner.view(build(saver), run_id)
    binding = ClusterBinding.model_validate(view.state.get("cluster") or {})
    with _graph(settings, binding) as (graph, deps):
        _finish(runner.resume(graph, deps, run_id, _decision(deps, approve=approve, note=note)))


@app.command()
def approvals(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """List runs waiting for an approval."""
    from rich.table import Table

    from agent.wiring import open_checkpointer
    from graphs import runner
    from graphs.builder import build

    settings = _settings(config)
    with open_checkpointer(settings) as saver:
        runs = runner.paused(build(saver), saver)
    if not runs:
        console.print("No run is waiting for approval.")
        return
    table = Table(title="Paused runs")
    for column in ("run", "candidates", "continue with"):
        table.add_column(column)
    for r in runs:
        assert r.waiting is not None
        names = "\n".join(f"{i}. {t}" for i, t in enumerate(r.waiting.candidates, 1))
        table.add_row(r.run_id, names, f"python -m agent resume {r.run_id} --approve N | --reject")
    console.print(table)


@app.command()
def twin(
    config: ConfigOpt = DEFAULT_CONFIG,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 = any free one).")] = 8001,
    manifests: ManifestsOpt = None,
    speed: Annotated[float | None, typer.Option("--speed", help="Advance the virtual clock at this many x real time.")] = None,
) -> None:
    """Serve the Sock Shop twin's Kubernetes API until Ctrl-C (kubectl --server URL works)."""
    import threading

    from agent.twin import TwinServer
    from agent.wiring import twin_state_path

    settings = _settings(config)
    binding = _binding(True, manifests)
    paths = [Path(m) for m in binding.manifests] if binding.manifests else None
    with TwinServer(twin_state_path(settings, binding), manifests=paths, port=port, seed=settings.twin.seed, speed=speed) as server:
        console.print(f"Sock Shop twin at {server.url}\n  kubectl --server {server.url} get pods -n sock-shop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopped")


def _decide(graph: RunGraph, deps: Deps, view: RunView, *, approve: int | None, reject: bool) -> None:
    from graphs import runner

    if view.waiting is None:
        _finish(view)
        return
    if approve is None and not reject:
        if not sys.stdin.isatty():
            console.print(
                f"Run {view.run_id} waits for approval. Continue from any terminal with:\n"
                f"  python -m agent resume {view.run_id} --approve N   (1..{len(view.waiting.candidates)})\n"
                f"  python -m agent resume {view.run_id} --reject"
            )
            return
        answer = _ask(len(view.waiting.candidates))
        if answer is None:
            console.print(f"Left paused. Later: python -m agent resume {view.run_id} --approve N")
            return
        approve, reject = (None, True) if answer == 0 else (answer, False)
    _finish(runner.resume(graph, deps, view.run_id, _decision(deps, approve=approve)))


def _ask(n: int) -> int | None:
    from rich.prompt import Prompt

    choices = [str(i) for i in range(1, n + 1)] + ["r", "q"]
    answer = Prompt.ask(f"Approve which experiment? 1-{n}, r = reject, q = leave paused", choices=choices, console=console)
    return None if answer == "q" else 0 if answer == "r" else int(answer)


def _decision(deps: Deps, *, approve: int | None, note: str = "") -> Decision:
    from agent.models import Decision

    return Decision(
        verdict="approve" if approve is not None else "reject",
        choice=approve,
        approver=getpass.getuser(),
        channel="cli",
        at=deps.clock.now(),
        note=note,
    )


def _finish(view: RunView) -> None:
    s = view.state
    if view.waiting is not None:
        console.print(f"Run {view.run_id} still waits for approval.")
        return
    console.print(f"Run {view.run_id}: {s.get('outcome')}" + (f" ({s['reason']})" if s.get("reason") else ""))
    if s.get("report_path"):
        console.print(f"Report: {s['report_path']}")
