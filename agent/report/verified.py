"""The report's Effect and Cleanup lines: what the agent checked itself after the run
(``graphs.nodes.verify``), with the evidence and the times relative to the injection."""

from __future__ import annotations

from datetime import datetime

from agent.errors import ChaosAdvisorError
from agent.models import CleanupResult, EffectResult
from agent.ports import RunStore


def _rel(start: datetime | None, at: datetime) -> str:
    if start is None:
        return at.strftime("%H:%M:%S")
    s = (at - start).total_seconds()
    return f"T{'+' if s >= 0 else '-'}{abs(s):.0f} s"


def effect_line(effect: EffectResult | None, start: datetime | None) -> str:
    """``observed at T+4 s (...)`` or ``inconclusive: the fault had no observable effect (...)``."""
    if effect is None:
        return "not checked (the run ended before any chaos ran)"
    if effect.kind == "none":  # a no-fault control (agent.run.control)
        return "none expected: a control run injects nothing (any deviation is a false alarm)"
    times = ", ".join(_rel(start, c.at) for c in effect.checks) or "none"
    if effect.observed and effect.first_seen is not None:
        return f"observed at {_rel(start, effect.first_seen)}: {effect.summary()}; checks at {times}"
    return f"inconclusive: the fault had no observable effect; checked {effect.summary()}; checks at {times}"


def cleanup_line(cleanup: CleanupResult | None, start: datetime | None) -> str:
    """``Cleanup verified at T+… s`` or every leftover."""
    if cleanup is None:
        return "not checked (nothing was applied)"
    kept = f"; kept for their logs: {', '.join(cleanup.kept)}" if cleanup.kept else ""
    if cleanup.verified:
        return f"Cleanup verified at {_rel(start, cleanup.at)} ({'; '.join(cleanup.checked)}){kept}"
    return (f"NOT verified at {_rel(start, cleanup.at)}: {len(cleanup.leftovers)} leftover"
            f"{'s' * (len(cleanup.leftovers) != 1)}: " + "; ".join(cleanup.leftovers) + kept)


def stored(store: RunStore, run_id: str) -> tuple[EffectResult | None, CleanupResult | None]:
    """The run's effect and cleanup results, each None until verified."""
    def load(name: str, cls: type[EffectResult] | type[CleanupResult]) -> EffectResult | CleanupResult | None:
        try:
            return store.load(run_id, name, cls)
        except ChaosAdvisorError:
            return None
    effect, cleanup = load("effect", EffectResult), load("cleanup", CleanupResult)
    return (effect if isinstance(effect, EffectResult) else None,
            cleanup if isinstance(cleanup, CleanupResult) else None)


def status_rows(effect: EffectResult | None, cleanup: CleanupResult | None, started: object) -> list[tuple[str, str]]:
    """``status``'s rows for them (``started``: the state's chaos_started_at, ISO)."""
    start = datetime.fromisoformat(started) if isinstance(started, str) else None
    rows = [("effect", effect_line(effect, start))] if effect else []
    return rows + ([("cleanup", cleanup_line(cleanup, start))] if cleanup else [])
