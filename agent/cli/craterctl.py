"""``craterctl``: the seed's command line, kept for its users, on the same functions as
``python -m agent`` (agent/cli/design.py, agent/cli/runs.py).

Global options come before the command, as in the seed: ``craterctl -v -c stack.yaml inventory``.
``--twin`` runs a command on the embedded Sock Shop twin. Expected failures print one line; exit
codes as ``python -m agent`` (agent/cli/exits.py); ``--verbose`` adds tracebacks and the agent's logs.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from agent.cli import design as cli_design
from agent.cli import runs as cli_runs
from agent.cli.artifacts import JunitOpt, ResultOpt
from agent.cli.common import DEFAULT_CONFIG, TwinOpt, check_run_id, console, load_config
from agent.cli.exits import EPILOG, ERROR, USAGE
from agent.cli.output import Format, FormatOpt
from agent.errors import ChaosAdvisorError, ConfigError

app = typer.Typer(
    help="craterctl: discover a stack, suggest chaos experiments, run one, watch it, abort it.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    rich_markup_mode=None,  # plain Click help: Typer's Rich help loads ~50 ms of modules (bench/cold_start.py)
    pretty_exceptions_enable=False,
    epilog=EPILOG,
)
_verbose = {"on": False}  # read by main() after the app returns, as cli.py's --debug


@dataclass(frozen=True)
class Globals:
    """The options given before the command."""

    config: Path
    verbose: bool


LocalConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="stack.yaml (overrides the global one).")]


def _config(ctx: typer.Context, local: Path | None = None) -> Path:
    options: Globals = ctx.obj
    return local or options.config


@app.callback()
def _globals(
    ctx: typer.Context,
    config: Annotated[Path, typer.Option("--config", "-c", help="stack.yaml to use.")] = DEFAULT_CONFIG,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Tracebacks and the agent's logs.")] = False,
) -> None:
    ctx.obj = Globals(config=config, verbose=verbose)
    _verbose["on"] = verbose
    if verbose:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        logging.getLogger("agent").setLevel(logging.DEBUG)


@app.command()
def inventory(ctx: typer.Context, config: LocalConfigOpt = None, twin: TwinOpt = False) -> None:
    """Discover the stack and print it, grouped by kind and tier."""
    cli_design.inventory(config=_config(ctx, config), twin=twin, manifests=None)


@app.command()
def suggest(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=20, help="How many experiments.")] = 3,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Save specs here (default: paths.experiments).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the suggestions; save nothing.")] = False,
    twin: TwinOpt = False,
    spec_format: cli_design.SpecFormatOpt = cli_design.SpecFormat.NATIVE,
) -> None:
    """Propose ranked, policy-checked experiments and save them as spec files (nothing runs)."""
    cli_design.suggest(config=_config(ctx), twin=twin, manifests=None, count=count, output=output, dry_run=dry_run,
                       spec_format=spec_format)


@app.command()
def run(
    ctx: typer.Context,
    spec_file: Annotated[Path, typer.Argument(help="A spec file, as `suggest` saves it.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Stop after the server-side dry-run.")] = False,
    monitor: Annotated[bool, typer.Option("--monitor", help="Watch the run (always on: chaos never runs unwatched).")] = True,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve without asking (where there is no terminal).")] = False,
    twin: TwinOpt = False,
    junit: JunitOpt = None,
    result: ResultOpt = None,
) -> None:
    """Run one saved spec through the policy, an approval, execution, monitoring and a report."""
    cli_runs.run(spec_file, config=_config(ctx), twin=twin, manifests=None, dry_run=dry_run, monitor=monitor, yes=yes,
                 junit=junit, result=result)


@app.command()
def status(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run's id.", callback=check_run_id)],
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """Show a run as the seed does (status, started, current metrics, Slack updates), then its phase,
    engine, verdict and report."""
    from agent.cli.status import show_status

    show_status(console, load_config(_config(ctx)), run_id, output_format, seed=True)


@app.command()
def runs(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only runs in this state or with this outcome.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only runs started since: 30m, 24h, 7d or an ISO date.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many, newest first.")] = 20,
    output_format: FormatOpt = Format.TABLE,
) -> None:
    """List past and current runs, newest first: state, outcome, experiment, target, start, duration, report."""
    cli_runs.runs(config=_config(ctx), status=status, since=since, limit=limit, output_format=output_format)


@app.command()
def abort(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run's id.")],
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the Stopped verdict.")] = 120,
) -> None:
    """Stop a run's chaos now (engineState: stop) and wait until Litmus reports it Stopped."""
    cli_runs.abort(run_id, config=_config(ctx), timeout=timeout)


def main() -> None:
    """Entry point (``craterctl``): expected errors become one line and an exit code."""
    completing = any(a.startswith(("--install-completion", "--show-completion")) for a in sys.argv[1:2])
    try:
        app(prog_name="craterctl" if completing else None)  # also from `python -m agent.cli.craterctl`
    except ChaosAdvisorError as e:
        if _verbose["on"]:
            raise
        console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(USAGE if isinstance(e, ConfigError) else ERROR)


if __name__ == "__main__":
    main()
