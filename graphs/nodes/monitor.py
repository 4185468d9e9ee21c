"""monitor: one tick of the watch loop (the loop itself is a graph edge back to this node).

Each tick lets one poll interval pass, reads the signals and the engine, and moves the phase:
running -> (breach: stop the engine) stopping -> recovering -> done, or running -> recovering
when the engine completes. Losing metrics longer than the grace period aborts: never run blind.
So does losing the Kubernetes API (``cluster_grace_s``), and an engine still injecting past its
planned duration (``overrun_grace_s``) is stopped: no chaos outlives its plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from langgraph.runtime import Runtime

from agent.errors import ClusterError, MetricsUnavailable, NotFound
from agent.models import EngineRef, EngineStatus, ExperimentSpec, Sample
from agent.ports import Deps
from agent.run.monitor import breach, deviations, recovered, summary_line
from graphs.nodes.common import baseline, chosen_spec, event, inventory, read_sample
from graphs.state import RunState


def monitor(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    deps.clock.sleep(deps.settings.monitor.poll_interval_s)
    spec = chosen_spec(deps, state)
    tick = state.get("tick", 0) + 1
    update: RunState = {"tick": tick, "events": []}
    sample = _read(deps, state, spec, tick, update)
    phase = state.get("phase", "running")
    if phase == "running" and sample is not None:
        _stop_on_breach(deps, state, spec, sample, update)  # before anything else: react fast
    if update.get("phase", phase) in ("running", "recovering"):
        _stop_on_request(deps, state, update)
    status = _status(deps, state, spec, update)
    if status is not None:
        update["engine_status"] = status.model_dump(mode="json")
    if phase == "running" and update.get("phase", phase) == "running":
        _guard(deps, state, spec, status, update)
    if phase == "running":
        if update.get("phase", phase) == "running":  # not aborted just above
            _while_running(deps, state, spec, sample, status, update)
    elif phase == "stopping":
        if update.get("phase", phase) == "stopping":  # the engine was not deleted meanwhile
            _while_stopping(deps, state, spec, status, update)
    else:
        _while_recovering(deps, state, sample, update)
    if tick >= deps.settings.monitor.max_ticks and update.get("phase", phase) != "done":
        _give_up(deps, state, update)
    _progress(deps, state, spec, sample, update)
    deps.notifier.observe(state["run_id"], spec.title, str(update.get("phase", phase)), sample)
    return update


def _read(deps: Deps, state: RunState, spec: ExperimentSpec, tick: int, update: RunState) -> Sample | None:
    try:
        sample = read_sample(deps, inventory(deps, state), spec, tick=tick)
    except MetricsUnavailable as e:
        update["metrics_error"] = str(e)
        return None
    deps.store.append(state["run_id"], sample)
    update["last_metrics_at"] = sample.at.isoformat()
    update["metrics_error"] = None
    return sample


def _status(deps: Deps, state: RunState, spec: ExperimentSpec, update: RunState) -> EngineStatus | None:
    engine = EngineRef.model_validate(state["engine"])
    try:
        status = deps.cluster.engine_status(engine.namespace, engine.name, spec.action.value)
    except NotFound as e:  # an answer, not an outage: someone deleted the engine, and its chaos with it
        update["last_cluster_at"] = deps.clock.now().isoformat()
        update["cluster_error"] = None
        if state.get("phase", "running") in ("running", "stopping"):
            update["events"].append(event(deps, "engine_removed", f"{engine.namespace}/{engine.name}: {e}"))
            reason = "the ChaosEngine was deleted outside the agent; its chaos ended with it"
            update |= {"phase": "recovering", "outcome": "aborted", "chaos_ended_at": deps.clock.now().isoformat(),
                       "reason": reason if state.get("phase", "running") == "running" else f"{state.get('reason')}; {reason}"}
        return None
    except ClusterError as e:
        update["cluster_error"] = str(e)
        return None  # judged again next tick (see _guard); losing the engine does not hide the metrics
    update["last_cluster_at"] = deps.clock.now().isoformat()
    update["cluster_error"] = None
    return status


def _guard(deps: Deps, state: RunState, spec: ExperimentSpec, status: EngineStatus | None, update: RunState) -> None:
    """Abort when the Kubernetes API has not answered for longer than its grace period, or when
    the engine is still injecting past its planned duration."""
    m, now = deps.settings.monitor, deps.clock.now()
    if status is None:
        lost_for = (now - _at(state.get("last_cluster_at") or state.get("last_metrics_at"))).total_seconds()
        if lost_for > m.cluster_grace_s:
            update["events"].append(event(deps, "cluster_lost", f"no answer for {lost_for:.0f} s: {update.get('cluster_error')}"))
            _abort(deps, state, f"Kubernetes API unanswered for {lost_for:.0f} s (grace {m.cluster_grace_s:g} s)", update)
        return
    over = (now - _planned_end(state, spec)).total_seconds()
    if not status.finished and over > m.overrun_grace_s:
        update["events"].append(event(deps, "overrun", f"still {status.engine_status or 'running'} {over:.0f} s after its planned end"))
        _abort(deps, state, f"chaos outlived its planned duration of {spec.parameters.duration_s} s by {over:.0f} s", update)


def _planned_end(state: RunState, spec: ExperimentSpec) -> datetime:
    return _at(state.get("chaos_started_at") or state.get("last_metrics_at")) + timedelta(seconds=spec.parameters.duration_s)


def _stop_on_breach(deps: Deps, state: RunState, spec: ExperimentSpec, sample: Sample, update: RunState) -> None:
    moved = deviations(sample, baseline(deps, state))
    if moved and not state.get("deviated"):
        update["deviated"] = True
        update["events"].append(event(deps, "first_deviation", ", ".join(moved)))
    assert spec.abort_threshold is not None
    why = breach(sample, spec.abort_threshold)
    if why:
        update["events"].append(event(deps, "threshold_breached", why))
        _abort(deps, state, why, update)


def _stop_on_request(deps: Deps, state: RunState, update: RunState) -> None:
    """Ctrl-C or SIGTERM in the process running the monitor: stop the chaos as on a breach (or,
    once it has ended, stop watching recovery), so the run still ends with its report."""
    who = deps.stop_requested()
    if who is None:
        return
    at = (deps.clock.now() - _at(state.get("chaos_started_at") or state.get("last_metrics_at"))).total_seconds()
    if state.get("phase", "running") == "running":
        update["events"].append(event(deps, "interrupted", f"{who}: stopping the chaos"))
        _abort(deps, state, f"aborted by the user ({who}) at T+{at:.0f} s", update)
    else:
        update["events"].append(event(deps, "interrupted", f"{who}: recovery no longer watched"))
        update["phase"] = "done"


def _while_running(
    deps: Deps,
    state: RunState,
    spec: ExperimentSpec,
    sample: Sample | None,
    status: EngineStatus | None,
    update: RunState,
) -> None:
    events = update["events"]
    if sample is None:
        lost_for = (deps.clock.now() - _at(state.get("last_metrics_at"))).total_seconds()
        if lost_for > deps.settings.monitor.metrics_grace_s:
            events.append(event(deps, "metrics_lost", f"no metrics for {lost_for:.0f} s: {update.get('metrics_error')}"))
            _abort(deps, state, f"metrics lost for {lost_for:.0f} s (grace {deps.settings.monitor.metrics_grace_s:g} s)", update)
        return
    if status is not None and status.finished:
        detail = f"engine {status.engine_status}, verdict {status.verdict}"
        ended: RunState = {"phase": "recovering", "chaos_ended_at": sample.at.isoformat()}
        if status.verdict == "Stopped" or status.engine_status == "stopped":
            events.append(event(deps, "stopped", f"{detail}: stopped from outside this monitor"))
            reason = "stopped from outside the monitor (python -m agent abort, or engineState patched)"
            update |= ended
            update |= {"outcome": "aborted", "reason": reason}
        else:
            events.append(event(deps, "completed", detail))
            update |= ended
            update["outcome"] = "completed"


def _abort(deps: Deps, state: RunState, why: str, update: RunState) -> None:
    update |= {"phase": "stopping", "outcome": "aborted", "reason": why, "stop_requested_at": deps.clock.now().isoformat()}
    _request_stop(deps, state, update)


def _request_stop(deps: Deps, state: RunState, update: RunState) -> None:
    engine = EngineRef.model_validate(state["engine"])
    try:
        deps.cluster.stop_engine(engine.namespace, engine.name)
    except ClusterError as e:  # the abort path must not crash: retried at the next tick
        update["events"].append(event(deps, "failed", f"stop failed, retrying next tick: {e}"))
        return
    update["events"].append(event(deps, "abort_requested", "patched engineState: stop"))


def _while_stopping(
    deps: Deps, state: RunState, spec: ExperimentSpec, status: EngineStatus | None, update: RunState
) -> None:
    if status is None or status.engine_state != "stop":
        _request_stop(deps, state, update)
    if status is not None and status.finished:
        update["events"].append(event(deps, "stopped", f"engine {status.engine_status}, verdict {status.verdict}"))
        update |= {"phase": "recovering", "chaos_ended_at": deps.clock.now().isoformat()}
        return
    # Not confirmed yet. Keep asking until the planned end of chaos; after it (and the grace
    # period) Litmus ends the chaos itself, so stop waiting and say what is not known.
    now, grace = deps.clock.now(), deps.settings.monitor.cluster_grace_s
    asked_for = (now - _at(state.get("stop_requested_at") or state.get("last_metrics_at"))).total_seconds()
    end = _planned_end(state, spec)
    if asked_for > grace and now > end:
        why = (f"no answer from the Kubernetes API ({update.get('cluster_error') or state.get('cluster_error')})"
               if status is None else f"the engine is still {status.engine_status or 'running'} (engineState {status.engine_state})")
        detail = (f"stop asked {asked_for:.0f} s ago, not confirmed: {why}; its planned end was "
                  f"{end.strftime('%H:%M:%S')} UTC; check with python -m agent recover")
        update["events"].append(event(deps, "stop_unconfirmed", detail))
        update |= {"phase": "recovering", "chaos_ended_at": now.isoformat(),
                   "reason": f"{state.get('reason')}; the stop could not be confirmed"}


def _while_recovering(deps: Deps, state: RunState, sample: Sample | None, update: RunState) -> None:
    base = baseline(deps, state)
    if sample is not None and recovered(sample, base):
        update["events"].append(event(deps, "recovered", "every service back within its baseline"))
        update["phase"] = "done"
        return
    waited = (deps.clock.now() - _at(state.get("chaos_ended_at"))).total_seconds()
    if waited >= deps.settings.monitor.recovery_timeout_s:
        still = ", ".join(deviations(sample, base)) if sample else "unknown (no metrics)"
        update["events"].append(event(deps, "recovery_timeout", f"after {waited:.0f} s still off: {still}"))
        update["phase"] = "done"


def _give_up(deps: Deps, state: RunState, update: RunState) -> None:
    if update.get("phase", state.get("phase")) == "running":
        _abort(deps, state, f"monitor reached max_ticks ({deps.settings.monitor.max_ticks})", update)
    update["phase"] = "done"


def _progress(deps: Deps, state: RunState, spec: ExperimentSpec, sample: Sample | None, update: RunState) -> None:
    now = deps.clock.now()
    last = _at(state.get("last_progress_at"))
    if sample is None or (now - last).total_seconds() < deps.settings.monitor.update_interval_s:
        return
    assert spec.abort_threshold is not None
    line = summary_line(sample, spec.abort_threshold.service)
    deps.notifier.progress(state["run_id"], spec.title, line)
    update["last_progress_at"] = now.isoformat()


def _at(text: str | None) -> datetime:
    assert text, "set by execute before the first tick"
    return datetime.fromisoformat(text)
