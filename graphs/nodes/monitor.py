"""monitor: one tick of the watch loop (the loop itself is a graph edge back to this node).

Each tick lets one poll interval pass, reads the signals and the engine, and carries out what the
phase machine (:mod:`agent.run.phases`, pure) decides: running -> (breach: stop the engine)
stopping -> recovering -> done, or running -> recovering when the engine completes. The I/O is
here, in this order: the metrics read, the stop a breach or a user's request calls for (sent
before the engine is read, to react fast), the engine read, then any later stop, and the
progress line.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from langgraph.runtime import Runtime

from agent.errors import ClusterError, MetricsUnavailable, NotFound
from agent.models import EngineRef, ExperimentSpec, Sample
from agent.ports import Deps
from agent.run import chaos, control
from agent.run.abort import asked_elsewhere
from agent.run.band import band_of, baseline_window
from agent.run.monitor import summary_line
from agent.run.phases import (
    EngineRead,
    Note,
    Plan,
    Reading,
    Step,
    View,
    on_engine,
    on_sample,
    on_user,
    phase_of,
    planned_end,
    progress_due,
)
from agent.run.progress import run_head, watch_line
from agent.run.watch import blind_text, missing, watched
from graphs.nodes.common import baseline, chosen_spec, event, inventory, read_sample
from graphs.state import RunState


def monitor(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    deps.clock.sleep(deps.settings.monitor.poll_interval_s)
    spec = chosen_spec(deps, state)
    before = _view(state)
    plan = _plan(deps, state, spec, before)
    first = on_sample(before, _read(deps, state, spec, tick=before.tick + 1), now=deps.clock.now(), plan=plan)
    if first.listening:
        who = deps.stop_requested() or (asked_elsewhere(deps, state["run_id"]) if control.is_control(spec) else None)
        first = on_user(first, who, now=deps.clock.now())
    events = _act(deps, state, first.steps)  # a breach's stop goes out before the engine is read
    engine = _engine(deps, state, spec, first.after.phase, planned_end(before, plan))
    d = on_engine(first, engine, now=deps.clock.now(), plan=plan)
    events += _act(deps, state, d.steps_since(first))
    update = _changes(d.before, d.after)
    if engine.status is not None:
        update["engine_status"] = engine.status.model_dump(mode="json")
    if events:  # an empty list would still write the channel (a checkpoint blob per tick)
        update["events"] = events
    _progress(deps, state, spec, d.sample, update)
    head = run_head(d.after.phase, started=d.after.chaos_started_at, now=deps.clock.now())
    line = watch_line(head, d.sample, spec, inventory(deps, state))
    deps.notifier.observe(state["run_id"], spec.title, d.after.phase, d.sample, line=line)
    return update


def _view(state: RunState) -> View:
    return View(
        phase=phase_of(state.get("phase", "running")),
        tick=state.get("tick", 0),
        outcome=state.get("outcome"),
        reason=state.get("reason"),
        deviated=state.get("deviated", False),
        back=state.get("back", False),
        chaos_started_at=_at(state.get("chaos_started_at")),
        chaos_ended_at=_at(state.get("chaos_ended_at")),
        stop_requested_at=_at(state.get("stop_requested_at")),
        last_metrics_at=_at(state.get("last_metrics_at")),
        last_cluster_at=_at(state.get("last_cluster_at")),
        metrics_error=state.get("metrics_error"),
        cluster_error=state.get("cluster_error"),
    )


def _fields(v: View) -> RunState:
    return {
        "phase": v.phase, "tick": v.tick, "outcome": v.outcome, "reason": v.reason, "deviated": v.deviated, "back": v.back,
        "chaos_started_at": _iso(v.chaos_started_at), "chaos_ended_at": _iso(v.chaos_ended_at),
        "stop_requested_at": _iso(v.stop_requested_at), "last_metrics_at": _iso(v.last_metrics_at),
        "last_cluster_at": _iso(v.last_cluster_at), "metrics_error": v.metrics_error,
        "cluster_error": v.cluster_error,
    }


def _changes(before: View, after: View) -> RunState:
    """Only the keys that changed: each written key is a new checkpoint blob."""
    old = _fields(before)
    return cast(RunState, {k: v for k, v in _fields(after).items() if old.get(k) != v})


def _plan(deps: Deps, state: RunState, spec: ExperimentSpec, view: View) -> Plan:
    assert spec.abort_threshold is not None
    watching = view.phase in ("running", "recovering")
    base = baseline(deps, state) if watching else None
    return Plan(
        settings=deps.settings.monitor,
        threshold=spec.abort_threshold,
        duration_s=spec.parameters.duration_s,
        engine=_label(state),
        baseline=base,
        band=band_of(baseline_window(base, deps.store.samples(state["run_id"]))) if watching else None,
    )


def _read(deps: Deps, state: RunState, spec: ExperimentSpec, *, tick: int) -> Reading:
    try:
        sample = read_sample(deps, inventory(deps, state), spec, tick=tick)
    except MetricsUnavailable as e:
        return Reading(sample=None, error=str(e))
    deps.store.append(state["run_id"], sample)
    gaps = missing(sample, watched(spec, hypothesis=False))  # an abort condition on a signal without a value is blind
    ns = spec.target_selector.namespace
    return Reading(sample=sample, error=blind_text(gaps, lambda svc, sig: deps.metrics.describe(ns, svc, sig)) if gaps else None)


def _label(state: RunState) -> str:
    if not state.get("engine"):
        return control.NO_ENGINE
    engine = EngineRef.model_validate(state["engine"])
    return f"{engine.namespace}/{engine.name}"


def _engine(deps: Deps, state: RunState, spec: ExperimentSpec, phase: str, end: datetime) -> EngineRead:
    if control.is_control(spec):  # no engine to read: the control "runs" for the spec's duration
        return EngineRead(status=control.status(phase, now=deps.clock.now(), planned_end=end))
    engine = EngineRef.model_validate(state["engine"])
    try:
        return EngineRead(status=chaos.status(deps, engine, spec.action.value))
    except NotFound as e:  # an answer, not an outage: someone deleted the engine, and its chaos with it
        return EngineRead(gone=True, error=str(e))
    except ClusterError as e:  # judged by the phase machine; losing the engine does not hide the metrics
        return EngineRead(error=str(e))


def _act(deps: Deps, state: RunState, steps: tuple[Step, ...]) -> list[dict[str, object]]:
    """Carry out the decided steps in order; each leaves one timeline event."""
    return [event(deps, s.kind, s.detail) if isinstance(s, Note) else _stop(deps, state) for s in steps]


def _stop(deps: Deps, state: RunState) -> dict[str, object]:
    if not state.get("engine"):  # a control: nothing was injected
        return event(deps, "abort_requested", control.NOTHING_TO_STOP)
    engine = EngineRef.model_validate(state["engine"])
    try:
        done = chaos.stop(deps, engine)
    except ClusterError as e:  # the abort path must not crash: retried at the next tick
        return event(deps, "failed", f"stop failed, retrying next tick: {e}")
    return event(deps, "abort_requested", done)


def _progress(deps: Deps, state: RunState, spec: ExperimentSpec, sample: Sample | None, update: RunState) -> None:
    now = deps.clock.now()
    last = _at(state.get("last_progress_at"))
    assert last is not None, "set by execute before the first tick"
    if sample is None or not progress_due(last, sample, now=now, settings=deps.settings.monitor):
        return
    assert spec.abort_threshold is not None
    deps.notifier.progress(state["run_id"], spec.title, summary_line(sample, spec.abort_threshold.service))
    update["last_progress_at"] = now.isoformat()


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
