"""``freeze`` / ``unfreeze``: the kill switch. While it is on, every apply is refused on every
replica sharing the state backend (the policy reads it at approval and just before each apply);
``freeze --stop`` also stops the chaos of every run that is running now."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from agent.cli.common import DEFAULT_CONFIG, ConfigOpt, console, load_config

StopOpt = Annotated[bool, typer.Option("--stop", help="Also stop every running experiment's engine now.")]
ReasonOpt = Annotated[str, typer.Option("--reason", "-r", help="Why (shown to whoever is refused).")]


def freeze(config: ConfigOpt = DEFAULT_CONFIG, stop: StopOpt = False, reason: ReasonOpt = "") -> None:
    """Turn the kill switch on: refuse every new apply (all replicas); --stop also stops running chaos."""
    _switch(config, on=True, reason=reason)
    console.print("Kill switch ON: every apply is refused until `python -m agent unfreeze`.")
    if stop:
        _stop_running(config)


def unfreeze(config: ConfigOpt = DEFAULT_CONFIG, reason: ReasonOpt = "") -> None:
    """Turn the kill switch off (policy.frozen in stack.yaml, if set, still applies)."""
    _switch(config, on=False, reason=reason)
    console.print("Kill switch off.")


def _switch(config: ConfigOpt, *, on: bool, reason: str) -> None:
    from agent.models import AuditEntry
    from agent.ports import utc_now
    from agent.run.switch import set_kill_switch
    from agent.wiring import build_audit, open_store

    settings = load_config(config)
    who, now = getpass.getuser(), utc_now()
    with open_store(settings) as store:
        set_kill_switch(store, on=on, by=f"cli:{who}", at=now, reason=reason)
        build_audit(settings, store).record(AuditEntry(
            run_at=now, run_id="-", who=who, channel="cli", action="freeze" if on else "unfreeze",
            what="kill switch " + ("on" if on else "off") + (f" ({reason})" if reason else ""),
        ))


def _stop_running(config: ConfigOpt) -> None:
    """Abort every run whose engine is applied and whose monitor has not finished."""
    from agent.cli.status import abort_run
    from agent.errors import ChaosAdvisorError
    from agent.wiring import open_checkpointer
    from graphs import runner
    from graphs.builder import build

    settings = load_config(config)
    with open_checkpointer(settings) as saver:
        running = [v.run_id for v in runner.runs(build(saver), saver)
                   if v.state.get("engine") and not v.state.get("outcome") and v.state.get("phase") != "done"]
    if not running:
        console.print("No experiment is running.")
    failed = 0
    for run_id in running:
        try:
            abort_run(console, settings, run_id, timeout_s=60.0, who=getpass.getuser())
        except ChaosAdvisorError as e:
            failed += 1
            console.print(f"[red]run {run_id}: not stopped:[/red] {e}", highlight=False)
    if failed:
        raise typer.Exit(1)
