"""What the console's pages read, through the functions the CLI commands call: ``runs``
(:func:`agent.cli.status.list_runs`), ``status`` (:func:`agent.cli.status.run_status`),
``approvals`` (``graphs.runner.paused``), ``audit`` (the audit log), ``inventory``
(:func:`agent.inventory.discovery.discover`) and a run's report file. No HTTP here, and no
business logic of its own: the console is one more channel onto the same runs.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console

from agent.cli.listing import Known, RunSummary, list_runs
from agent.cli.status import RunStatus, run_status
from agent.config import Settings
from agent.errors import ChaosAdvisorError
from agent.models import AuditEntry, Candidate, Inventory, Rejection, RunEvent, Sample
from agent.report.result import RunResult
from agent.wiring import ClusterBinding, build_audit, open_checkpointer, open_deps, open_store

MAX_LISTED = 10_000  # runs the runs page and the history read (the CLI's --limit ceiling)
MAX_REPORT_BYTES = 4 * 1024 * 1024  # a report is tens of KB; a bigger file is not one of ours


class Listing:
    """Every run's row, as ``list_runs`` reads them, with the rows of runs that have not moved
    kept between asks (keyed by the run's head: its newest checkpoint and pending writes). A page
    costs one query plus a read of each run that moved since the last page, and is never stale:
    ~15 ms for 1,000 runs of which none moved, against ~300 ms to read them all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._known: Known = {}
        self._lock = threading.Lock()  # one read at a time updates the kept rows

    def rows(self, *, since: datetime | None = None) -> list[RunSummary]:
        with self._lock:
            return list_runs(self.settings, status=None, since=since, limit=MAX_LISTED, known=self._known)


@dataclass(frozen=True)
class Pending:
    """A run waiting at the approval: the request shown (``interrupt_id``) and its candidates."""

    run_id: str
    interrupt_id: str
    candidates: list[Candidate]
    asked_at: datetime | None


@dataclass(frozen=True)
class Live:
    """What a run's page updates: where the run stands, and its samples after a given tick."""

    run_id: str
    phase: str
    outcome: str | None
    reason: str | None
    engine: str | None  # namespace/name of its ChaosEngine, once applied
    engine_state: str | None
    verdict: str | None
    report_path: str | None
    samples: list[Sample]
    events: list[RunEvent]


@dataclass(frozen=True)
class Suggested:
    """One proposed experiment as ``suggest`` prints it: the candidate, the pods it hits, the
    condition that stops it, and a warning when that watches a service off the predicted path."""

    candidate: Candidate
    hits: str
    stops: str
    warning: str | None


@dataclass(frozen=True)
class Suggestions:
    """``python -m agent suggest --dry-run``: the candidates, and the ones the policy refused."""

    designer: str
    notice: str | None
    candidates: list[Suggested]
    rejected: list[Rejection]


class WebConsole:
    """The console's reads over one ``Settings`` (stack.yaml and the environment), and the cluster
    ``binding`` it discovers on (the twin with ``--twin``)."""

    def __init__(self, settings: Settings, binding: ClusterBinding) -> None:
        self.settings, self.binding = settings, binding
        self.listing = Listing(settings)

    def runs(self, *, state: str | None = None, service: str | None = None, since: datetime | None = None,
             limit: int = MAX_LISTED) -> list[RunSummary]:
        """Runs newest first, as ``python -m agent runs --status STATE --since WHEN`` lists them
        (the same filters); ``service`` keeps those whose approved experiment targets it."""
        rows = self.listing.rows(since=since)
        rows = [r for r in rows if state in (None, "", r.state, r.outcome)]
        if service:
            rows = [r for r in rows if r.target and r.target.split("/", 1)[-1] == service]
        return rows[:limit]

    def status(self, run_id: str) -> RunStatus:
        """``python -m agent status RUN -o json``: phase, engine (live when reachable), signals."""
        return run_status(Console(file=io.StringIO()), self.settings, run_id)

    def live(self, run_id: str, *, after_tick: int) -> Live:
        """The run's checkpoint and its recorded samples past ``after_tick`` (cheap: no cluster
        call, so it can be asked every second while the run executes in another process)."""
        from agent.models import EngineStatus
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self.settings) as saver:
            view = runner.view(build(saver), run_id)
        with open_store(self.settings) as store:
            samples = [s for s in store.samples(run_id) if s.tick > after_tick]
        s = view.state
        engine = EngineStatus.model_validate(s["engine_status"]) if s.get("engine_status") else None
        phase = "waiting for approval" if view.waiting else str(s.get("phase") or "designed")
        return Live(
            run_id=run_id, phase=phase, outcome=s.get("outcome"), reason=s.get("reason"),
            engine=f"{ref['namespace']}/{ref['name']}" if isinstance(ref := s.get("engine"), dict) else None,
            engine_state=engine.engine_status if engine else None, verdict=engine.verdict if engine else None,
            report_path=s.get("report_path"), samples=samples,
            events=[RunEvent.model_validate(e) for e in s.get("events") or []],
        )

    def suggestions(self, count: int) -> Suggestions:
        """``python -m agent suggest --dry-run -n COUNT``: discover, design and policy-check now;
        nothing is saved or applied (the same ``design`` the CLI and the suggest tool call)."""
        from agent.design.measurable import abort_warning
        from agent.design.propose import design
        from agent.design.targets import abort_line, target_line
        from agent.inventory.checks import require_allowed, require_usable
        from agent.inventory.discovery import discover

        require_allowed(self.settings.k8s.namespaces, self.settings.policy)
        with open_deps(self.settings, self.binding, console=Console(file=io.StringIO()), realtime=False) as deps:
            inv = discover(deps)
            require_usable(inv, self.settings)
            result = design(inv, deps.designer, deps.policy(), count=count)
        return Suggestions(
            designer=result.proposal.designer, notice=result.proposal.notice, rejected=result.rejected,
            candidates=[Suggested(c, target_line(c.spec, inv), abort_line(c.spec), abort_warning(c.spec, inv))
                        for c in result.candidates],
        )

    def result(self, report_path: str | None) -> RunResult | str | None:
        """The result narrate wrote beside the run's report (its verdict is what CI gates on);
        None before the run has a report, why not when the file cannot be read."""
        from agent.report.ci import load

        if not report_path:
            return None
        path = Path(report_path)
        try:
            return load(path if path.is_absolute() else self.settings.path(report_path))
        except ChaosAdvisorError as e:
            return str(e)

    def approvals(self) -> list[Pending]:
        """Every run waiting for a human, with the request (interrupt) a decision must name."""
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self.settings) as saver:
            paused = runner.paused(build(saver), saver)
        with open_store(self.settings) as store:
            return [
                Pending(run_id=v.run_id, interrupt_id=v.interrupt_id or "", candidates=store.candidates(v.run_id),
                        asked_at=_iso(v.state.get("asked_at")))
                for v in paused
            ]

    def pending(self, run_id: str) -> Pending | None:
        """The run's pending approval, or None when it waits for nothing."""
        return next((p for p in self.approvals() if p.run_id == run_id), None)

    def audit(self, run_id: str | None = None) -> list[AuditEntry]:
        """``python -m agent audit [RUN]``: every decision, refusal and cluster write."""
        with open_store(self.settings) as store:
            return build_audit(self.settings, store).entries(run_id or None)

    def inventory(self) -> Inventory:
        """``python -m agent inventory``: the services, their tiers and calls, discovered now."""
        from agent.inventory.discovery import discover

        with open_deps(self.settings, self.binding, console=Console(file=io.StringIO()), realtime=False) as deps:
            return discover(deps)

    def report(self, run_id: str) -> tuple[Path, str]:
        """The run's report (path and Markdown); ChaosAdvisorError while it has none."""
        path = self.status_path(run_id)
        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise ChaosAdvisorError(f"{path}: larger than {MAX_REPORT_BYTES} bytes; not one of our reports")
            return path, path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ChaosAdvisorError(f"run {run_id}: its report {path} is gone; was the reports directory moved?") from None

    def status_path(self, run_id: str) -> Path:
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self.settings) as saver:
            written = runner.view(build(saver), run_id).state.get("report_path")
        if not written:
            raise ChaosAdvisorError(f"run {run_id} has no report yet; it is written when the run ends")
        path = Path(written)
        return path if path.is_absolute() else self.settings.path(written)


def _iso(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
