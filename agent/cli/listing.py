"""`runs`: one row per run, read at its latest checkpoint only.

The checkpointer names every run's head (its newest checkpoint and how many pending writes it
has) in one query (:func:`graphs.runner.heads`); only the runs whose head is not in ``known``
are read. A caller that keeps ``known`` between calls (the web console) re-reads just the runs
that moved since, and shows nothing stale: any step, interrupt or answer moves the head.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict

from agent.config import Settings
from agent.models import Candidate, Decision, RunEvent
from agent.wiring import open_checkpointer, open_store
from graphs.runner import RunView


class RunSummary(BaseModel):
    """One row of ``runs``: a past or current run (``-o json`` prints a list of these)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    state: str  # waiting (for approval), interrupted (its process died), or the graph's phase
    outcome: str | None  # completed, aborted, rejected, refused, failed, dry_run; None while running
    experiment: str | None  # the approved spec's title (or the candidates', while waiting)
    target: str | None  # namespace/service of the approved spec
    started: datetime | None  # the run's first event (real time, UTC when recorded)
    duration_s: float | None  # first to last event, on the run's clock (virtual on the twin)
    report_path: str | None
    reason: str | None = None
    cluster: str | None = None  # its name in stack.yaml's clusters: (None: a single-cluster stack.yaml)


def parse_since(text: str, *, now: datetime) -> datetime:
    """``30m``, ``24h``, ``7d`` before ``now``, or an ISO date/time (UTC unless it says otherwise);
    ValueError naming the accepted forms otherwise."""
    m = re.fullmatch(r"(\d+)([smhd])", text.strip())
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return now - timedelta(**{unit: int(m.group(1))})
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"since {text[:40]!r}: give 30m, 24h, 7d or an ISO date like 2026-01-22") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


Known = dict[str, tuple[str, RunSummary]]  # run id -> (its head when read, its row)


def list_runs(
    settings: Settings, *, status: str | None, since: datetime | None, limit: int, known: Known | None = None
) -> list[RunSummary]:
    """Every run the checkpointer knows, newest first, filtered by state or outcome and start.

    ``known`` (updated in place): rows read before, reused while their run's head is unchanged.
    """
    from graphs import runner
    from graphs.builder import build

    known = {} if known is None else known
    with open_checkpointer(settings) as saver:
        heads = runner.heads(saver)
        moved = [t for t, head in heads.items() if t not in known or known[t][0] != head]
        graph = build(saver) if moved else None
        views = [runner.view(graph, t) for t in moved] if graph else []
    with open_store(settings) as store:  # the candidates file only where a choice names one
        for v in views:
            known[v.run_id] = (heads[v.run_id], _summary(v, store.candidates(v.run_id) if _chose(v) else []))
    for gone in known.keys() - heads.keys():
        del known[gone]
    rows = [row for _, row in known.values()]
    rows = [r for r in rows if status in (None, r.state, r.outcome) and (since is None or (r.started and r.started >= since))]
    rows.sort(key=lambda r: (r.started.timestamp() if r.started else 0.0, r.run_id), reverse=True)
    return rows[:limit]


def _chose(view: RunView) -> bool:
    raw = view.state.get("decision")
    return isinstance(raw, dict) and raw.get("choice") is not None


def _summary(view: RunView, candidates: list[Candidate]) -> RunSummary:
    s = view.state
    raw_events = s.get("events") or []  # a long run has hundreds: only the first and last matter here
    events = [RunEvent.model_validate(e) for e in raw_events[:1] + raw_events[-1:]]
    raw = s.get("decision")
    decision = Decision.model_validate(raw) if raw else None
    chosen = candidates[decision.choice - 1].spec if decision and decision.choice and len(candidates) >= decision.choice else None
    state = ("waiting" if view.waiting else "interrupted" if view.interrupted else "done" if s.get("outcome")
             else str(s.get("phase") or "designed"))
    preset = s.get("preset") or {}
    started = (events[0].wall or events[0].at) if events else None
    return RunSummary(
        run_id=view.run_id, state=state, outcome=s.get("outcome"),
        experiment=chosen.title if chosen else ", ".join(s.get("candidates") or []) or _str(preset.get("title")),
        target=f"{chosen.target_selector.namespace}/{chosen.target_selector.service}" if chosen else None,
        started=started.replace(tzinfo=UTC) if started and started.tzinfo is None else started,
        duration_s=(events[-1].at - events[0].at).total_seconds() if events else None,
        report_path=s.get("report_path"), reason=s.get("reason"), cluster=_str((s.get("cluster") or {}).get("cluster")),
    )


def _str(value: object) -> str | None:
    return str(value) if value else None
