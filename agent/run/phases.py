"""The monitor's phase machine, as pure functions of (state, sample, engine status, now).

    running --breach | user stop | API lost | overrun | metrics lost | max_ticks--> stopping
    running --engine completed, or stopped from outside--> recovering (a return to the band is noted while running)
    running | stopping --engine deleted outside the agent--> recovering (aborted)
    stopping --stop confirmed | not confirmed past the planned end--> recovering
    recovering --recovered | recovery timeout | user stop | max_ticks--> done

A tick is three steps, because the node's I/O comes between them: :func:`on_sample` (the metrics
read: first deviation, breach; its stop is sent before the engine is read, to react fast),
:func:`on_user` (Ctrl-C or SIGTERM; asked only while :attr:`Decision.listening`), then, with the
engine read, :func:`on_engine`. :func:`decide` composes the three. Nothing here sleeps, reads a
clock or calls a port: the node passes ``now`` and carries out the :data:`Step` s in order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from agent.config import MonitorSettings
from agent.models import AbortThreshold, EngineStatus, EventKind, Sample
from agent.run.band import Band
from agent.run.monitor import breach, deviations, overrun

Phase = Literal["running", "stopping", "recovering", "done"]
ENGINE_DELETED = "the ChaosEngine was deleted outside the agent; its chaos ended with it"
STOPPED_OUTSIDE = "stopped from outside the monitor (python -m agent abort, or engineState patched)"
PHASES: tuple[Phase, ...] = ("running", "stopping", "recovering", "done")


def phase_of(text: str) -> Phase:
    """``text`` (a state's phase) as a monitor :data:`Phase`; anything else is a bug upstream."""
    for phase in PHASES:
        if phase == text:
            return phase
    raise ValueError(f"the monitor cannot run in phase {text!r}; execute sets 'running'")


@dataclass(frozen=True)
class View:
    """The monitor's part of the run state (same names as ``RunState``; times parsed)."""

    phase: Phase = "running"
    tick: int = 0
    outcome: str | None = None
    reason: str | None = None
    deviated: bool = False
    back: bool = False  # deviated, then every service back within its band while chaos still ran
    chaos_started_at: datetime | None = None  # set by execute, as is last_metrics_at
    chaos_ended_at: datetime | None = None
    stop_requested_at: datetime | None = None
    last_metrics_at: datetime | None = None
    last_cluster_at: datetime | None = None
    metrics_error: str | None = None
    cluster_error: str | None = None


@dataclass(frozen=True)
class Plan:
    """What the rules hold the run to; the same at every tick."""

    settings: MonitorSettings
    threshold: AbortThreshold
    duration_s: int  # the planned chaos duration
    engine: str  # "namespace/name", for the timeline
    baseline: Sample | None = None  # needed only while running or recovering
    band: Band | None = None  # the baseline window's band (agent.run.band); None: the fixed rules of agent.run.monitor


@dataclass(frozen=True)
class Reading:
    """This tick's metrics read: a sample, or why there is none (beside one: a watched signal it lacks)."""

    sample: Sample | None
    error: str | None = None


@dataclass(frozen=True)
class EngineRead:
    """This tick's engine read: its status, or gone (NotFound), or unanswered (``error``)."""

    status: EngineStatus | None = None
    gone: bool = False
    error: str | None = None


@dataclass(frozen=True)
class Note:
    """Record a timeline event."""

    kind: EventKind
    detail: str = ""


@dataclass(frozen=True)
class StopEngine:
    """Patch the engine's ``engineState: stop``; the node records ``abort_requested``, or
    ``failed`` when the patch fails (then the stopping phase asks again next tick)."""


Step = Note | StopEngine


@dataclass(frozen=True)
class Decision:
    """The state before and after this tick, and the steps to carry out, in order."""

    before: View
    after: View
    sample: Sample | None = None
    steps: tuple[Step, ...] = ()

    @property
    def listening(self) -> bool:
        """Whether a user's stop request matters now (see :func:`on_user`)."""
        return self.after.phase in ("running", "recovering")

    def then(self, after: View | None = None, *steps: Step) -> Decision:
        return replace(self, after=after or self.after, steps=self.steps + steps)

    def steps_since(self, earlier: Decision) -> tuple[Step, ...]:
        return self.steps[len(earlier.steps):]


def decide(
    before: View, reading: Reading, engine: EngineRead, *, who: str | None, now: datetime, plan: Plan
) -> Decision:
    """One whole tick: :func:`on_sample`, :func:`on_user` (while listening), :func:`on_engine`."""
    d = on_sample(before, reading, now=now, plan=plan)
    if d.listening:
        d = on_user(d, who, now=now)
    return on_engine(d, engine, now=now, plan=plan)


def on_sample(before: View, reading: Reading, *, now: datetime, plan: Plan) -> Decision:
    """The metrics read's bookkeeping; while running, the first deviation and a breach (stop)."""
    sample, tick = reading.sample, before.tick + 1
    if sample is None:
        return Decision(before, replace(before, tick=tick, metrics_error=reading.error))
    d = Decision(before, replace(before, tick=tick, last_metrics_at=before.last_metrics_at if reading.error else sample.at, metrics_error=reading.error), sample)
    if before.phase != "running":
        return d
    moved = _moved(sample, plan)
    if moved and not before.deviated:
        d = d.then(replace(d.after, deviated=True), Note("first_deviation", ", ".join(moved)))
    elif moved and before.back:
        d = d.then(replace(d.after, back=False), Note("first_deviation", f"again: {', '.join(moved)}"))
    elif not moved and before.deviated and not before.back:  # recovery is watched during chaos too
        d = d.then(replace(d.after, back=True), Note("recovered", "every service back within its baseline band, chaos still running"))
    why = breach(sample, plan.threshold)
    return _abort(d.then(None, Note("threshold_breached", why)), why, now=now) if why else d


def on_user(d: Decision, who: str | None, *, now: datetime) -> Decision:
    """Ctrl-C or SIGTERM: stop the chaos as on a breach or, once it has ended, stop watching."""
    if who is None or not d.listening:
        return d
    if d.before.phase == "running":
        at = _since(now, d.before.chaos_started_at or d.before.last_metrics_at)
        d = d.then(None, Note("interrupted", f"{who}: stopping the chaos"))
        return _abort(d, f"aborted by the user ({who}) at T+{at:.0f} s", now=now)
    return d.then(replace(d.after, phase="done"), Note("interrupted", f"{who}: recovery no longer watched"))


def on_engine(d: Decision, engine: EngineRead, *, now: datetime, plan: Plan) -> Decision:
    """The engine read: gone or unanswered, the guards, the phase's own rules, then max_ticks."""
    d = _engine_read(d, engine, now=now, plan=plan)
    phase = d.before.phase
    if phase == "running" and d.after.phase == "running":
        d = _guard(d, engine.status, now=now, plan=plan)
    if phase == "running":
        if d.after.phase == "running":  # not aborted just above
            d = _while_running(d, engine.status, now=now, plan=plan)
    elif phase == "stopping":
        if d.after.phase == "stopping":  # the engine was not deleted meanwhile
            d = _while_stopping(d, engine.status, now=now, plan=plan)
    else:
        d = _while_recovering(d, now=now, plan=plan)
    return _give_up(d, now=now, plan=plan)


def progress_due(last: datetime, sample: Sample | None, *, now: datetime, settings: MonitorSettings) -> bool:
    """Whether to send a progress line now (there is a sample, and the interval has passed)."""
    return sample is not None and _since(now, last) >= settings.update_interval_s


def planned_end(view: View, plan: Plan) -> datetime:
    """When the chaos should end: its start (or the last metrics before it) plus its duration."""
    start = view.chaos_started_at or view.last_metrics_at
    assert start is not None, "set by execute before the first tick"
    return start + timedelta(seconds=plan.duration_s)


def _engine_read(d: Decision, engine: EngineRead, *, now: datetime, plan: Plan) -> Decision:
    if engine.status is None and not engine.gone:
        return d.then(replace(d.after, cluster_error=engine.error))  # judged by _guard
    d = d.then(replace(d.after, last_cluster_at=now, cluster_error=None))
    if not engine.gone or d.before.phase not in ("running", "stopping"):
        return d
    # An answer, not an outage: someone deleted the engine, and its chaos with it.
    reason = ENGINE_DELETED if d.before.phase == "running" else f"{d.before.reason}; {ENGINE_DELETED}"
    after = replace(d.after, phase="recovering", outcome="aborted", chaos_ended_at=now, reason=reason)
    return d.then(after, Note("engine_removed", f"{plan.engine}: {engine.error}"))


def _guard(d: Decision, status: EngineStatus | None, *, now: datetime, plan: Plan) -> Decision:
    """Abort when the Kubernetes API has not answered for longer than its grace period, or when
    the engine is still injecting past its planned duration."""
    m = plan.settings
    if status is None:
        lost_for = _since(now, d.before.last_cluster_at or d.before.last_metrics_at)
        if lost_for <= m.cluster_grace_s:
            return d
        d = d.then(None, Note("cluster_lost", f"no answer for {lost_for:.0f} s: {d.after.cluster_error}"))
        return _abort(d, f"Kubernetes API unanswered for {lost_for:.0f} s (grace {m.cluster_grace_s:g} s)", now=now)
    over = _since(now, planned_end(d.before, plan))
    if status.finished or over <= m.overrun_grace_s:
        return d
    note, why = overrun(status, over=over, duration_s=plan.duration_s, engine=plan.engine)
    return _abort(d.then(None, Note("overrun", note)), why, now=now)


def _while_running(d: Decision, status: EngineStatus | None, *, now: datetime, plan: Plan) -> Decision:
    grace = plan.settings.metrics_grace_s
    if d.sample is None or d.after.metrics_error:  # nothing read, or a watched signal without a value
        lost_for = _since(now, d.before.last_metrics_at)
        if lost_for <= grace:
            return d
        d = d.then(None, Note("metrics_lost", f"no metrics for {lost_for:.0f} s: {d.after.metrics_error}"))
        return _abort(d, f"metrics lost for {lost_for:.0f} s (grace {grace:g} s): {d.after.metrics_error}", now=now)
    if status is None or not status.finished:
        return d
    detail = f"engine {status.engine_status}, verdict {status.verdict}"
    ended = replace(d.after, phase="recovering", chaos_ended_at=d.sample.at)
    if status.verdict == "Stopped" or status.engine_status == "stopped":
        after = replace(ended, outcome="aborted", reason=STOPPED_OUTSIDE)
        return d.then(after, Note("stopped", f"{detail}: stopped from outside this monitor"))
    return d.then(replace(ended, outcome="completed"), Note("completed", detail))


def _while_stopping(d: Decision, status: EngineStatus | None, *, now: datetime, plan: Plan) -> Decision:
    if status is None or status.engine_state != "stop":
        d = d.then(None, StopEngine())
    if status is not None and status.finished:
        note = Note("stopped", f"engine {status.engine_status}, verdict {status.verdict}")
        return d.then(replace(d.after, phase="recovering", chaos_ended_at=now), note)
    # Not confirmed yet. Keep asking until the planned end of chaos; after it (and the grace
    # period) Litmus ends the chaos itself, so stop waiting and say what is not known.
    asked_for = _since(now, d.before.stop_requested_at or d.before.last_metrics_at)
    end = planned_end(d.before, plan)
    if asked_for <= plan.settings.cluster_grace_s or now <= end:
        return d
    why = (f"no answer from the Kubernetes API ({d.after.cluster_error or d.before.cluster_error})"
           if status is None else f"the engine is still {status.engine_status or 'running'} (engineState {status.engine_state})")
    detail = (f"stop asked {asked_for:.0f} s ago, not confirmed: {why}; its planned end was "
              f"{end.strftime('%H:%M:%S')} UTC; check with python -m agent recover")
    after = replace(d.after, phase="recovering", chaos_ended_at=now, reason=f"{d.before.reason}; the stop could not be confirmed")
    return d.then(after, Note("stop_unconfirmed", detail))


def _while_recovering(d: Decision, *, now: datetime, plan: Plan) -> Decision:
    sample = d.sample
    if sample is not None and not _moved(sample, plan):
        if d.before.back:  # noted during chaos, and still so: nothing new for the timeline
            return d.then(replace(d.after, phase="done"))
        return d.then(replace(d.after, phase="done"), Note("recovered", "every service back within its baseline"))
    waited = _since(now, d.before.chaos_ended_at)
    if waited < plan.settings.recovery_timeout_s:
        return d
    still = ", ".join(_moved(sample, plan)) if sample is not None else "unknown (no metrics)"
    return d.then(replace(d.after, phase="done"), Note("recovery_timeout", f"after {waited:.0f} s still off: {still}"))


def _give_up(d: Decision, *, now: datetime, plan: Plan) -> Decision:
    max_ticks = plan.settings.max_ticks
    if d.after.tick < max_ticks or d.after.phase == "done":
        return d
    if d.after.phase == "running":
        d = _abort(d, f"monitor reached max_ticks ({max_ticks})", now=now)
    return d.then(replace(d.after, phase="done"))


def _abort(d: Decision, why: str, *, now: datetime) -> Decision:
    after = replace(d.after, phase="stopping", outcome="aborted", reason=why, stop_requested_at=now)
    return d.then(after, StopEngine())


def _moved(sample: Sample, plan: Plan) -> list[str]:
    """Services outside their baseline band (or, with no band, past the fixed deviation rules)."""
    if plan.band is not None:
        return plan.band.deviations(sample)
    assert plan.baseline is not None, "the node loads the baseline while running or recovering"
    return deviations(sample, plan.baseline)


def _since(now: datetime, then: datetime | None) -> float:
    assert then is not None, "set by execute before the first tick"
    return (now - then).total_seconds()
