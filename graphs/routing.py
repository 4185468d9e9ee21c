"""Routing functions of the run graph; each returns the name of the next node."""

from __future__ import annotations

from typing import Literal

from graphs.state import RunState


def after_design(state: RunState) -> Literal["notify", "narrate"]:
    return "notify" if state.get("candidates") else "narrate"


def after_approve(state: RunState) -> Literal["execute", "narrate"]:
    return "narrate" if state.get("outcome") in ("rejected", "refused") else "execute"


def after_execute(state: RunState) -> Literal["monitor", "narrate"]:
    return "monitor" if state.get("engine") and state.get("outcome") not in ("failed", "dry_run") else "narrate"


def after_monitor(state: RunState) -> Literal["monitor", "narrate"]:
    return "narrate" if state.get("phase") == "done" else "monitor"
