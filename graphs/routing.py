"""Routing functions of the run graph; each returns the name of the next node."""

from __future__ import annotations

from typing import Literal

from graphs.state import RunState


def after_design(state: RunState) -> Literal["notify", "narrate"]:
    return "notify" if state.get("candidates") else "narrate"


def after_approve(state: RunState) -> Literal["execute", "narrate"]:
    return "narrate" if state.get("outcome") in ("rejected", "refused") else "execute"


def after_execute(state: RunState) -> Literal["monitor", "verify", "narrate"]:
    if state.get("outcome") == "dry_run":
        return "narrate"
    # failed or refused: verify looks for an engine the apply may have left (and checks its cleanup).
    # A control (agent.run.control) applies no engine but is watched all the same.
    watching = state.get("engine") or state.get("phase") == "running"
    return "monitor" if watching and state.get("outcome") != "failed" else "verify"


def after_monitor(state: RunState) -> Literal["monitor", "verify"]:
    return "verify" if state.get("phase") == "done" else "monitor"
