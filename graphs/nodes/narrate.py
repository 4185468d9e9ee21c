"""narrate: write the RCA report (reports/<date>_<slug>_<run>.md); reports/latest.md is the report of
the last run that applied a fault (a rejected, refused or dry run keeps its own report only)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime

from langgraph.runtime import Runtime

from agent.engines.litmus import ChaosEngineManifest
from agent.errors import ChaosAdvisorError
from agent.models import (
    AuditEntry,
    CleanupResult,
    EffectResult,
    EngineRef,
    EngineStatus,
    Inventory,
    LLMUsage,
    RunEvent,
    Sample,
)
from agent.models.verify import ConfounderResult
from agent.ports import Deps, M
from agent.report import ci
from agent.report.findings import first
from agent.report.render import RunRecord, render, sidecar, tldr
from agent.report.result import dumps
from agent.run.history import read_history
from agent.run.journey import journey_log
from agent.run.locks import release
from graphs.nodes.common import candidates, decision, event
from graphs.state import RunState


def narrate(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    record = _record(deps, state)
    if deps.narrator is not None:
        narrative = deps.narrator.narrate(record)
        if narrative is not None:  # the report's token line covers design and narration
            usage = (record.llm_usage or LLMUsage()).plus(narrative.usage)
            record = replace(record, narrative=narrative, llm_usage=usage)
    reports = deps.settings.path(deps.settings.paths.reports)
    reports.mkdir(parents=True, exist_ok=True)
    slug = record.spec.slug if record.spec else "no-experiment"
    # Named from the state, not the clock, so a replay after a crash rewrites the same file.
    first = record.events[0] if record.events else None
    stamp = ((first.wall or first.at) if first else deps.wall_now()).strftime("%Y%m%d-%H%M%S")
    path = reports / f"{stamp}_{slug}_{record.run_id}.md"
    path.write_text(render(record), encoding="utf-8")
    path.with_suffix(".json").write_text(sidecar(record), encoding="utf-8")
    ci.beside(path).write_text(dumps(ci.build(record, report=path)), encoding="utf-8")  # what --result/--junit copy
    if record.injected:
        shutil.copyfile(path, reports / "latest.md")
    line = tldr(record)
    if not any(e.action == "run_outcome" for e in deps.audit.entries(record.run_id)):  # once, also on replay
        deps.audit.record(AuditEntry(
            run_at=deps.clock.now(), run_id=record.run_id, who="agent", action="run_outcome",
            what=f"{record.outcome}" + (f": {record.reason}" if record.reason else "") + f"; report {path}",
        ))
    release(deps.store, record.run_id)  # the run has ended: its namespace (or blast radius) is free
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
    litmus = spec is not None and spec.chaos_engine == "litmus"  # another engine has no ChaosEngine, verdict or probes
    status = state.get("engine_status") if litmus else None
    run_id = state["run_id"]
    inv = _inventory(deps, run_id)
    executed = spec is not None and state.get("has_baseline", False)
    samples = deps.store.samples(run_id)
    return RunRecord(
        run_id=state["run_id"],
        outcome=state.get("outcome") or "failed",  # type: ignore[arg-type]
        reason=state.get("reason"),
        spec=spec,
        decision=d,
        events=[RunEvent.model_validate(e) for e in state.get("events", [])],
        baseline=deps.store.load(run_id, "baseline", Sample) if executed else None,
        samples=samples,
        manifest=_manifest(deps, run_id) if litmus else None,
        engine=EngineRef.model_validate(state["engine"]) if state.get("engine") else None,
        verdict=EngineStatus.model_validate(status).verdict if status else None,
        litmus=EngineStatus.model_validate(status) if status else None,
        source=deps.metrics_source,
        inventory=inv,
        poll_s=deps.settings.monitor.poll_interval_s,
        queries=_queries(deps, inv, spec.target_selector.namespace) if spec and inv else {},
        llm_usage=LLMUsage.model_validate(state["llm_usage"]) if state.get("llm_usage") else None,
        effect=_stored(deps, run_id, "effect", EffectResult),
        cleanup=_stored(deps, run_id, "cleanup", CleanupResult),
        confounders=_stored(deps, run_id, "confounders", ConfounderResult),
        journey=journey_log(deps, run_id),
        history=read_history(deps, spec.target_selector.namespace, samples, _start(state)) if executed and spec else None,
    )


def _start(state: RunState) -> datetime | None:
    """The injection on the run's clock: the applied (or found) engine's event."""
    applied = first([RunEvent.model_validate(e) for e in state.get("events", [])], "applied", "engine_found")
    return applied.at if applied else None


def _stored(deps: Deps, run_id: str, name: str, cls: type[M]) -> M | None:
    """What graphs.nodes.verify stored, if it ran (it does not for a run that applied nothing)."""
    try:
        return deps.store.load(run_id, name, cls)
    except ChaosAdvisorError:
        return None


def _queries(deps: Deps, inv: Inventory, namespace: str) -> dict[str, str]:
    signals = ("error_rate_pct", "latency_p95_ms", "cpu_millicores", "memory_mib")
    return {
        f"{t.name}.{s}": deps.metrics.describe(namespace, t.name, s)
        for t in inv.targets
        if t.namespace == namespace
        for s in signals
    }


def _manifest(deps: Deps, run_id: str) -> ChaosEngineManifest | None:
    try:
        return deps.store.load(run_id, "manifest", ChaosEngineManifest)
    except ChaosAdvisorError:
        return None  # approved but execute never rendered it


def _inventory(deps: Deps, run_id: str) -> Inventory | None:
    try:
        return deps.store.inventory(run_id)
    except ChaosAdvisorError:
        return None  # a run that failed before discovery finished
