"""The command line: ``python -m agent <command>``.

Heavy libraries (langgraph, kubernetes) are imported inside the commands so ``--help`` stays
fast. Expected failures print one clear line and exit non-zero; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agent.cli import audit as cli_audit
from agent.cli import catalog as cli_catalog
from agent.cli import chat as cli_chat
from agent.cli import design as cli_design
from agent.cli import doctor as cli_doctor
from agent.cli import freeze as cli_freeze
from agent.cli import init as cli_init
from agent.cli import manifests as cli_manifests
from agent.cli import recover as cli_recover
from agent.cli import runs as cli_runs
from agent.cli import slack as cli_slack
from agent.cli import templates as cli_templates
from agent.cli import web as cli_web
from agent.cli.common import console, group_settings
from agent.cli.exits import EPILOG, ERROR, USAGE
from agent.errors import ChaosAdvisorError, ConfigError

app = typer.Typer(
    help="Chaos Advisor: discovers a stack, proposes chaos experiments, runs the approved one, reports.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,  # plain Click help: Typer's Rich help loads ~50 ms of modules (bench/cold_start.py)
    pretty_exceptions_enable=False,
    context_settings=group_settings(),
    epilog=EPILOG,
)
_debug = {"on": False}

app.command()(cli_init.init)
app.command()(cli_design.inventory)
app.command()(cli_design.suggest)
app.command()(cli_runs.schema)  # --dialect native|seed
app.command()(cli_catalog.catalog)
app.command("run-graph")(cli_runs.run_graph)
app.command()(cli_runs.run)
app.command()(cli_runs.resume)
app.command()(cli_runs.approvals)
app.command()(cli_runs.runs)
app.command()(cli_runs.status)
app.command()(cli_runs.abort)
app.command()(cli_recover.recover)
app.command()(cli_audit.audit)
app.command()(cli_freeze.freeze)
app.command()(cli_freeze.unfreeze)
app.command()(cli_design.twin)
app.command()(cli_doctor.doctor)
app.command()(cli_templates.templates)
app.command()(cli_manifests.manifests)
app.command()(cli_chat.chat)
app.add_typer(cli_slack.app, name="slack")
app.command()(cli_web.web)


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False) -> None:
    _debug["on"] = debug


def main() -> None:
    """Entry point: run the app, turning expected errors into one line and an exit code."""
    # Shells complete command names, and "python -m agent" is not one: completion is for the
    # installed `chaos-advisor`, the same app, so `python -m agent --install-completion` installs that.
    completing = any(a.startswith(("--install-completion", "--show-completion")) for a in sys.argv[1:2])
    try:
        app(prog_name="chaos-advisor" if completing else None)
    except ChaosAdvisorError as e:
        if _debug["on"]:
            raise
        console.print(f"[red]error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(USAGE if isinstance(e, ConfigError) else ERROR)
