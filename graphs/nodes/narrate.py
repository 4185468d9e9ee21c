"""narrate: write the RCA report (reports/<date>_<slug>_<run>.md and reports/latest.md)."""

from __future__ import annotations

import shutil

from langgraph.runtime import Runtime

from agent.errors import ChaosAdvisorError
from agent.litmus import ChaosEngineManifest
from agent.models import EngineStatus, RunEvent, Sample
from agent.ports import Deps
from agent.report import RunRecord, render, tldr
from graphs.nodes.common import candidates, decision, event
from graphs.state import RunState


def narrate(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    record = _record(deps, state)
    reports = deps.settings.path(deps.settings.paths.reports)
    reports.mkdir(parents=True, exist_ok=True)
    slug = record.spec.slug if record.spec else "no-experiment"
    stamp = deps.clock.now().strftime("%Y%m%d-%H%M%S")
    path = reports / f"{stamp}_{slug}_{record.run_id}.md"
    path.write_text(render(record), encoding="utf-8")
    shutil.copyfile(path, reports / "latest.md")
    line = tldr(record)
    deps.notifier.finished(record.run_id, line, path)
    return {
        "report_path": str(path),
        "tldr": line,
        "outcome": record.outcome,
        "events": [event(deps, "reported", str(path))],
    }


def _record(deps: Deps, state: RunState) -> RunRecord:
    d = decision(state)
    spec = None
    if d is not None and d.choice is not None:
        spec = candidates(deps, state)[d.choice - 1].spec
    status = state.get("engine_status")
    run_id = state["run_id"]
    executed = spec is not None and state.get("has_baseline", False)
    return RunRecord(
        run_id=state["run_id"],
        outcome=state.get("outcome") or "failed",  # type: ignore[arg-type]
        reason=state.get("reason"),
        spec=spec,
        decision=d,
        events=[RunEvent.model_validate(e) for e in state.get("events", [])],
        baseline=deps.store.load(run_id, "baseline", Sample) if executed else None,
        samples=deps.store.samples(state["run_id"]),
        manifest=_manifest(deps, run_id) if spec is not None else None,
        verdict=EngineStatus.model_validate(status).verdict if status else None,
        source=deps.metrics_source,
    )


def _manifest(deps: Deps, run_id: str) -> ChaosEngineManifest | None:
    try:
        return deps.store.load(run_id, "manifest", ChaosEngineManifest)
    except ChaosAdvisorError:
        return None  # approved but execute never rendered it
