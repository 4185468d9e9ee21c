"""Every transition of the monitor's phase machine, on hand-built states, samples and engine reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from agent.config import MonitorSettings
from agent.models import AbortThreshold, EngineStatus, Sample, Signals
from agent.run.phases import (
    ENGINE_DELETED,
    STOPPED_OUTSIDE,
    Decision,
    EngineRead,
    Note,
    Plan,
    Reading,
    StopEngine,
    View,
    decide,
    on_sample,
    on_user,
    phase_of,
    progress_due,
)
from tests.factories import T0

SETTINGS = MonitorSettings()  # grace: metrics 15 s, cluster 30 s, overrun 120 s; recovery 300 s
CALM = Signals(error_rate_pct=0.5, latency_p95_ms=100, ready_replicas=1, replicas=1)
PLAN = Plan(settings=SETTINGS, threshold=AbortThreshold(service="web", error_rate_pct=10), duration_s=60,
            engine="shop/web-chaos", baseline=Sample(tick=0, at=T0, services={"web": CALM}))
RUNNING = View(phase="running", tick=1, chaos_started_at=T0, last_metrics_at=T0, last_cluster_at=T0)
ACTIVE = EngineStatus(engine_state="active", engine_status="initialized")
STOPPING_ENGINE = EngineStatus(engine_state="stop", engine_status="initialized")
STOPPED = EngineStatus(engine_state="stop", engine_status="stopped", verdict="Stopped")
COMPLETED = EngineStatus(engine_state="active", engine_status="completed", phase="Completed", verdict="Pass")


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def seen(s: float, **signals: float) -> Reading:
    """A sample of the watched service at T0 + ``s``: calm unless signals are given."""
    return Reading(Sample(tick=2, at=at(s), services={"web": CALM.model_copy(update=signals)}))


LOST = Reading(None, "Prometheus unreachable")
OK = EngineRead(status=ACTIVE)


def tick(view: View, reading: Reading, engine: EngineRead = OK, *, s: float, who: str | None = None,
         plan: Plan = PLAN) -> Decision:
    return decide(view, reading, engine, who=who, now=at(s), plan=plan)


def kinds(d: Decision) -> list[str]:
    return [step.kind if isinstance(step, Note) else "STOP" for step in d.steps]


def stopping(s: float = 10, **changes: object) -> View:
    v = replace(RUNNING, phase="stopping", outcome="aborted", reason="web error rate 20% > 10%",
                stop_requested_at=at(s), last_metrics_at=at(s), last_cluster_at=at(s))
    return replace(v, **changes)  # type: ignore[arg-type]  # test data: View's own field names


def recovering(ended: float = 60) -> View:
    return replace(RUNNING, phase="recovering", outcome="completed", chaos_ended_at=at(ended),
                   last_metrics_at=at(ended), last_cluster_at=at(ended))


# --- bookkeeping --------------------------------------------------------------------------------

def test_a_quiet_tick_records_the_reads_and_decides_nothing() -> None:
    d = tick(RUNNING, seen(5), s=5)
    assert d.steps == ()
    assert d.after == replace(RUNNING, tick=2, last_metrics_at=at(5), last_cluster_at=at(5))


def test_a_failed_metrics_read_keeps_the_last_good_time() -> None:
    d = tick(RUNNING, LOST, s=10)
    assert d.after.metrics_error == "Prometheus unreachable" and d.after.last_metrics_at == T0
    assert d.steps == () and d.sample is None
    assert tick(replace(RUNNING, metrics_error="x"), seen(15), s=15).after.metrics_error is None


def test_a_failed_engine_read_is_recorded_and_keeps_the_last_answer() -> None:
    d = tick(RUNNING, seen(5), EngineRead(error="timeout"), s=5)
    assert d.after.cluster_error == "timeout" and d.after.last_cluster_at == T0 and d.steps == ()
    assert tick(replace(RUNNING, cluster_error="x"), seen(5), s=5).after.cluster_error is None


# --- running ------------------------------------------------------------------------------------

def test_first_deviation_is_noted_once() -> None:
    d = tick(RUNNING, seen(5, error_rate_pct=6), s=5)
    assert kinds(d) == ["first_deviation"] and d.after.deviated and d.after.phase == "running"
    assert tick(d.after, seen(10, error_rate_pct=6), s=10).steps == ()


def test_breach_stops_the_engine() -> None:
    d = tick(RUNNING, seen(5, error_rate_pct=20), s=5)
    assert kinds(d) == ["first_deviation", "threshold_breached", "STOP"]
    assert (d.after.phase, d.after.outcome, d.after.reason) == ("stopping", "aborted", "web error rate 20% > 10%")
    assert d.after.stop_requested_at == at(5)


def test_breach_is_judged_only_while_running() -> None:
    d = tick(recovering(), seen(70, error_rate_pct=20), s=70)
    assert d.after.phase == "recovering" and d.steps == ()


def test_breach_stop_is_decided_before_the_engine_is_read() -> None:
    first = on_sample(RUNNING, seen(5, error_rate_pct=20), now=at(5), plan=PLAN)
    assert first.steps[-1] == StopEngine() and not first.listening


def test_user_stop_while_running_stops_the_engine() -> None:
    d = tick(RUNNING, seen(30), s=30, who="Ctrl-C")
    assert kinds(d) == ["interrupted", "STOP"]
    assert d.after.phase == "stopping" and d.after.reason == "aborted by the user (Ctrl-C) at T+30 s"


def test_user_stop_is_not_heard_after_a_breach_or_while_stopping() -> None:
    d = tick(RUNNING, seen(5, error_rate_pct=20), s=5, who="SIGTERM")
    assert "interrupted" not in kinds(d) and d.after.reason == "web error rate 20% > 10%"
    assert not on_sample(stopping(), seen(15), now=at(15), plan=PLAN).listening
    assert on_user(Decision(stopping(), stopping()), "Ctrl-C", now=at(15)).steps == ()


def test_engine_completed_starts_recovery() -> None:
    d = tick(RUNNING, seen(61), EngineRead(status=COMPLETED), s=62)
    assert kinds(d) == ["completed"]
    assert (d.after.phase, d.after.outcome, d.after.chaos_ended_at) == ("recovering", "completed", at(61))


def test_engine_stopped_from_outside_is_an_abort() -> None:
    d = tick(RUNNING, seen(20), EngineRead(status=STOPPED), s=20)
    assert kinds(d) == ["stopped"]
    assert (d.after.phase, d.after.outcome, d.after.reason) == ("recovering", "aborted", STOPPED_OUTSIDE)


def test_engine_deleted_outside_ends_the_chaos() -> None:
    d = tick(RUNNING, seen(20), EngineRead(gone=True, error="not found"), s=20)
    assert d.steps == (Note("engine_removed", "shop/web-chaos: not found"),)
    assert (d.after.phase, d.after.outcome, d.after.reason) == ("recovering", "aborted", ENGINE_DELETED)
    assert d.after.chaos_ended_at == at(20) and d.after.last_cluster_at == at(20)


def test_engine_deleted_in_the_breach_tick_still_sends_the_stop() -> None:
    d = tick(RUNNING, seen(5, error_rate_pct=20), EngineRead(gone=True, error="nf"), s=5)
    assert kinds(d) == ["first_deviation", "threshold_breached", "STOP", "engine_removed"]
    assert d.after.phase == "recovering" and d.after.reason == ENGINE_DELETED


def test_metrics_lost_past_their_grace_abort() -> None:
    assert tick(RUNNING, LOST, s=15).steps == ()  # 15 s: within the grace
    d = tick(RUNNING, LOST, s=16)
    assert kinds(d) == ["metrics_lost", "STOP"] and d.steps[0] == Note(
        "metrics_lost", "no metrics for 16 s: Prometheus unreachable")
    assert d.after.phase == "stopping" and d.after.reason == "metrics lost for 16 s (grace 15 s): Prometheus unreachable"


def blind(s: float, **signals: float | None) -> Reading:
    """A sample at T0 + ``s`` whose watched signal has no value (the node says so beside it)."""
    return Reading(seen(s, **signals).sample, "web error rate has no value (query: q)")  # type: ignore[arg-type]


def test_a_watched_signal_without_a_value_aborts_past_the_grace_like_lost_metrics() -> None:
    within = tick(RUNNING, blind(15, error_rate_pct=None), s=15)
    assert kinds(within) == ["first_deviation"]  # a vanished signal deviates, and the grace runs
    assert within.after.last_metrics_at == T0  # a blind sample is not "seen"
    assert within.after.metrics_error == "web error rate has no value (query: q)"
    d = tick(within.after, blind(16, error_rate_pct=None), s=16)
    assert kinds(d) == ["metrics_lost", "STOP"]
    assert d.after.reason == "metrics lost for 16 s (grace 15 s): web error rate has no value (query: q)"
    back = tick(within.after, seen(16), s=16)  # the signal is back within the grace: no abort
    assert "STOP" not in kinds(back) and back.after.last_metrics_at == at(16) and back.after.metrics_error is None


def test_a_blind_sample_is_still_judged_for_the_signals_it_has() -> None:
    d = tick(RUNNING, blind(3, error_rate_pct=20, latency_p95_ms=None), s=3)
    assert kinds(d) == ["first_deviation", "threshold_breached", "STOP"]  # no waiting out the grace


def test_kubernetes_api_lost_past_its_grace_aborts() -> None:
    unanswered = EngineRead(error="connection refused")
    assert tick(RUNNING, seen(30), unanswered, s=30).steps == ()
    d = tick(RUNNING, seen(31), unanswered, s=31)
    assert kinds(d) == ["cluster_lost", "STOP"]
    assert d.steps[0] == Note("cluster_lost", "no answer for 31 s: connection refused")
    assert d.after.reason == "Kubernetes API unanswered for 31 s (grace 30 s)"


def test_kubernetes_api_loss_counts_from_its_last_answer() -> None:
    d = tick(replace(RUNNING, last_cluster_at=at(20)), seen(45), EngineRead(error="x"), s=45)
    assert d.steps == ()


def test_overrun_past_the_planned_end_and_its_grace_aborts() -> None:
    injecting = EngineRead(status=ACTIVE.model_copy(update={"experiment_status": "Running", "phase": "Running"}))
    assert tick(RUNNING, seen(180), injecting, s=180).steps == ()  # planned end 60 s + grace 120 s
    d = tick(RUNNING, seen(181), injecting, s=181)
    assert kinds(d) == ["overrun", "STOP"] and d.steps[0] == Note(
        "overrun", "still initialized 121 s after its planned end")
    assert d.after.reason == "chaos outlived its planned duration of 60 s by 121 s"


def test_an_engine_whose_runner_never_started_is_said_to_have_never_started() -> None:
    # initialized, no experiments[] status, no ChaosResult: what chaos-operator 3.18.0 leaves when the
    # engine's ChaosExperiment is missing (chaosengine_controller.go:171-175)
    d = tick(RUNNING, seen(181), s=181)
    assert kinds(d) == ["overrun", "STOP"]
    assert d.after.reason is not None and d.after.reason.startswith(
        f"the chaos never started: {PLAN.engine} still initialized with no experiment status 121 s after its planned end")
    assert "ChaosExperiment is found in its namespace" in d.after.reason and d.steps[0].detail == d.after.reason


def test_a_finished_engine_is_no_overrun() -> None:
    assert kinds(tick(RUNNING, seen(500), EngineRead(status=COMPLETED), s=500)) == ["completed"]


# --- stopping -----------------------------------------------------------------------------------

def test_stop_confirmed_starts_recovery() -> None:
    d = tick(stopping(), seen(15), EngineRead(status=STOPPED), s=15)
    assert d.steps == (Note("stopped", "engine stopped, verdict Stopped"),)
    assert d.after.phase == "recovering" and d.after.chaos_ended_at == at(15)
    assert d.after.reason == "web error rate 20% > 10%"  # the breach stays the reason


def test_stop_is_asked_again_until_the_engine_says_stop() -> None:
    assert tick(stopping(), seen(15), EngineRead(status=STOPPING_ENGINE), s=15).steps == ()
    assert kinds(tick(stopping(), seen(15), EngineRead(status=ACTIVE), s=15)) == ["STOP"]
    assert kinds(tick(stopping(), seen(15), EngineRead(error="timeout"), s=15)) == ["STOP"]
    assert kinds(tick(stopping(), seen(15), EngineRead(status=replace_state(STOPPED, "active")), s=15)) == [
        "STOP", "stopped"]


def replace_state(status: EngineStatus, engine_state: str) -> EngineStatus:
    return status.model_copy(update={"engine_state": engine_state})


def test_stop_unconfirmed_past_the_planned_end_stops_waiting() -> None:
    engine = EngineRead(status=STOPPING_ENGINE)
    assert tick(stopping(), seen(60), engine, s=60).steps == ()  # not past the planned end (60 s)
    assert tick(stopping(s=50), seen(61), engine, s=61).steps == ()  # asked 11 s ago: within the grace
    d = tick(stopping(), seen(61), engine, s=61)
    assert kinds(d) == ["stop_unconfirmed"] and "the engine is still initialized (engineState stop)" in d.steps[0].detail
    assert "stop asked 51 s ago" in d.steps[0].detail and "planned end was 12:01:00 UTC" in d.steps[0].detail
    assert (d.after.phase, d.after.chaos_ended_at) == ("recovering", at(61))
    assert d.after.reason == "web error rate 20% > 10%; the stop could not be confirmed"


def test_stop_unconfirmed_without_the_api_says_so() -> None:
    d = tick(stopping(cluster_error="old"), seen(61), EngineRead(error="refused"), s=61)
    assert kinds(d) == ["STOP", "stop_unconfirmed"]
    assert "no answer from the Kubernetes API (refused)" in d.steps[1].detail


def test_engine_deleted_while_stopping_keeps_the_first_reason() -> None:
    d = tick(stopping(), seen(15), EngineRead(gone=True, error="nf"), s=15)
    assert kinds(d) == ["engine_removed"] and d.after.phase == "recovering"
    assert d.after.reason == f"web error rate 20% > 10%; {ENGINE_DELETED}"


def test_breach_and_guards_are_not_judged_while_stopping() -> None:
    d = tick(stopping(), seen(40, error_rate_pct=50), EngineRead(status=STOPPING_ENGINE), s=40)
    assert d.steps == () and d.after.phase == "stopping"


# --- recovering ---------------------------------------------------------------------------------

def test_recovered_ends_the_watch() -> None:
    d = tick(recovering(), seen(70), EngineRead(status=COMPLETED), s=70)
    assert d.steps == (Note("recovered", "every service back within its baseline"),) and d.after.phase == "done"


def test_recovery_is_watched_until_its_timeout() -> None:
    off = seen(359, error_rate_pct=30)
    assert tick(recovering(), off, s=359).steps == ()
    d = tick(recovering(), seen(360, error_rate_pct=30), s=360)
    assert d.steps == (Note("recovery_timeout", "after 300 s still off: web"),) and d.after.phase == "done"
    blind = tick(recovering(), LOST, s=360)
    assert blind.steps == (Note("recovery_timeout", "after 300 s still off: unknown (no metrics)"),)


def test_engine_gone_while_recovering_changes_nothing() -> None:
    d = tick(recovering(), seen(70, error_rate_pct=30), EngineRead(gone=True, error="nf"), s=70)
    assert d.steps == () and d.after.phase == "recovering" and d.after.outcome == "completed"


def test_user_stop_while_recovering_stops_watching() -> None:
    d = tick(recovering(), seen(70, error_rate_pct=30), s=70, who="Ctrl-C")
    assert d.steps == (Note("interrupted", "Ctrl-C: recovery no longer watched"),) and d.after.phase == "done"
    assert d.after.outcome == "completed"


# --- max_ticks ----------------------------------------------------------------------------------

def test_max_ticks_while_running_stops_the_engine_and_ends() -> None:
    plan = replace(PLAN, settings=SETTINGS.model_copy(update={"max_ticks": 2}))
    d = tick(RUNNING, seen(10), s=10, plan=plan)
    assert kinds(d) == ["STOP"]
    assert (d.after.phase, d.after.outcome, d.after.reason) == ("done", "aborted", "monitor reached max_ticks (2)")
    assert d.after.stop_requested_at == at(10)


@pytest.mark.parametrize("view", [stopping(), recovering()])
def test_max_ticks_otherwise_just_ends(view: View) -> None:
    plan = replace(PLAN, settings=SETTINGS.model_copy(update={"max_ticks": 2}))
    d = tick(view, seen(20, error_rate_pct=30), EngineRead(status=STOPPING_ENGINE), s=20, plan=plan)
    assert d.after.phase == "done" and d.steps == () and d.after.outcome == view.outcome


def test_below_max_ticks_nothing_ends() -> None:
    plan = replace(PLAN, settings=SETTINGS.model_copy(update={"max_ticks": 3}))
    assert tick(RUNNING, seen(10), s=10, plan=plan).after.phase == "running"


# --- the rest -----------------------------------------------------------------------------------

def test_progress_is_due_with_a_sample_every_interval() -> None:
    sample = seen(30).sample
    assert progress_due(T0, sample, now=at(30), settings=SETTINGS)
    assert not progress_due(T0, sample, now=at(29), settings=SETTINGS)
    assert not progress_due(T0, None, now=at(60), settings=SETTINGS)


def test_the_monitor_runs_only_in_its_own_phases() -> None:
    assert phase_of("recovering") == "recovering"
    with pytest.raises(ValueError, match="'designed'"):
        phase_of("designed")


def test_steps_since_gives_the_later_steps_only() -> None:
    first = on_sample(RUNNING, seen(5, error_rate_pct=20), now=at(5), plan=PLAN)
    d = decide(RUNNING, seen(5, error_rate_pct=20), EngineRead(gone=True, error="nf"), who=None, now=at(5), plan=PLAN)
    assert d.steps[: len(first.steps)] == first.steps and [s.kind for s in d.steps_since(first)] == ["engine_removed"]  # type: ignore[union-attr]
