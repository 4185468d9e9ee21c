"""Recovery measured from the signals: the baseline band, the right reference instant, the data's
resolution, and the monitor noting a return to the band while chaos still runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from agent.config import MonitorSettings
from agent.models import (
    AbortThreshold,
    EngineStatus,
    ExpectedSignal,
    Fault,
    Hypothesis,
    Parameters,
    RunEvent,
    Sample,
    Signals,
)
from agent.report.record import RunRecord, tldr
from agent.report.recovery import finding, measure
from agent.report.render import render
from agent.run.band import band_of
from agent.run.monitor import steady_state
from agent.run.phases import EngineRead, Note, Plan, Reading, View, decide
from tests.factories import T0, spec

CALM = {"web": Signals(error_rate_pct=0.4, latency_p95_ms=80, ready_replicas=1, replicas=1),
        "api": Signals(error_rate_pct=0.2, latency_p95_ms=20, ready_replicas=1, replicas=1)}


class Clock:
    """The run's clock, injected: samples are stamped with it, and only ``sleep`` moves it."""

    def __init__(self) -> None:
        self.t = T0

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def run(clock: Clock, *, tick_s: float, until_s: float, off: dict[str, dict[str, float]], off_for: tuple[float, float],
        baseline_s: float = 10) -> list[Sample]:
    """Samples every ``tick_s`` from ``baseline_s`` before T0 to ``until_s`` after it; within
    ``off_for`` (seconds after T0) the services' signals take the ``off`` values."""
    clock.t = T0 - timedelta(seconds=baseline_s)
    out, tick = [], -round(baseline_s / tick_s)
    while clock.now() <= T0 + timedelta(seconds=until_s):
        s = (clock.now() - T0).total_seconds()
        services = {name: sig.model_copy(update=off.get(name, {}) if off_for[0] <= s < off_for[1] else {})
                    for name, sig in CALM.items()}
        out.append(Sample(tick=tick, at=clock.now(), services=services))
        clock.sleep(tick_s)
        tick += 1
    return out


def events(*, ended_s: float) -> list[RunEvent]:
    return [RunEvent(at=T0, kind="applied"), RunEvent(at=T0 + timedelta(seconds=ended_s), kind="completed")]


def hypothesis(recovery_s: float) -> Hypothesis:
    return Hypothesis(statement="api restarts fast", affected_services=["api", "web"], recovery_s=recovery_s,
                      expected=[ExpectedSignal(service="web", signal="error_rate_pct", peak=100)])


def test_a_pod_deleted_at_t0_and_back_at_t10_recovers_in_10_s_and_confirms_a_10_s_prediction() -> None:
    samples = run(Clock(), tick_s=2, until_s=60, off={"api": {"error_rate_pct": 100, "ready_replicas": 0},
                                                       "web": {"error_rate_pct": 45}}, off_for=(1, 10))
    s = spec(hypothesis=hypothesis(10))  # pod-delete: measured from the kill
    f = finding(s, events(ended_s=30), None, samples)
    assert f is not None
    assert (f.observed_s, f.resolution_s, f.verdict, f.measured_from) == (10.0, 2.0, "confirmed", "the kill")
    m = measure(s, events(ended_s=30), None, samples)
    assert m.affected == ["api", "web"]
    web = next(r for r in m.rows if (r.service, r.signal) == ("web", "error_rate_pct"))
    assert (web.off_at, web.back_at, web.worst) == (T0 + timedelta(seconds=2), T0 + timedelta(seconds=10), 45)
    assert not finding(s.model_copy(update={"hypothesis": hypothesis(5)}), events(ended_s=30), None, samples).verdict == "confirmed"  # type: ignore[union-attr]
    record = RunRecord(run_id="r1", outcome="completed", reason=None, spec=s, decision=None, events=events(ended_s=30),
                       baseline=steady_state([x for x in samples if x.tick <= 0]), samples=samples, manifest=None,
                       verdict="Pass", source="test")
    assert tldr(record) == ("Finding: Api pod delete caused 100.0% errors in api (baseline 0.2%), completed; "
                            "back within baseline ≈ 10 s ± 2 s after the kill")
    md = render(record)
    assert ("recovery, from the kill to every affected service back within its baseline band: predicted ≤ 10 s, "
            "measured ≈ 10 s ± 2 s: confirmed (the rule: confirmed while the earliest it can have taken is ≤ 12 s, "
            "the prediction + 20 %)") in md
    assert "  - web error rate: off from T+2s (worst 45.0%, band 0.0–2.4%), back at T+10s" in md
    assert "samples up to 2 s apart, so each instant is known to ± 2 s" in md


def test_a_slow_recovery_after_a_60_s_duration_fault_is_measured_from_the_end_of_chaos() -> None:
    samples = run(Clock(), tick_s=2, until_s=150, off={"web": {"latency_p95_ms": 900}}, off_for=(1, 100))
    s = spec(action=Fault.POD_CPU_HOG, parameters=Parameters(duration_s=60, cpu_cores=1), hypothesis=hypothesis(20))
    f = finding(s, events(ended_s=60), None, samples)
    assert f is not None
    # Back at T+100s, chaos ended at T+60s: 40 s from the end of chaos (not 100 s from the injection).
    assert (f.observed_s, f.measured_from, f.verdict) == (40.0, "the end of chaos", "refuted")
    assert finding(s.model_copy(update={"hypothesis": hypothesis(40)}), events(ended_s=60), None, samples).verdict == "confirmed"  # type: ignore[union-attr]
    # Back before chaos ended: 0 s after its end.
    early = run(Clock(), tick_s=2, until_s=90, off={"web": {"latency_p95_ms": 900}}, off_for=(1, 20))
    assert finding(s, events(ended_s=60), None, early).observed_s == 0.0  # type: ignore[union-attr]


def test_coarse_samples_widen_the_resolution_and_a_run_still_off_at_its_end_is_refuted() -> None:
    samples = run(Clock(), tick_s=5, until_s=400, off={"web": {"error_rate_pct": 60}}, off_for=(1, 1000))
    f = finding(spec(hypothesis=hypothesis(10)), events(ended_s=30), None, samples)
    assert f is not None
    assert (f.observed_s, f.watched_s, f.resolution_s, f.verdict) == (None, 400.0, 5.0, "refuted")
    short = [x for x in samples if x.at <= T0 + timedelta(seconds=10)]  # watched for 10 s: too short to say
    assert finding(spec(hypothesis=hypothesis(10)), events(ended_s=30), None, short).verdict == "not measured"  # type: ignore[union-attr]


def test_no_signal_is_not_measured_never_confirmed() -> None:
    blind = [x.model_copy(update={"services": {n: Signals() for n in CALM}}) if x.tick >= 1 else x
             for x in run(Clock(), tick_s=2, until_s=60, off={}, off_for=(0, 0))]
    s = spec(hypothesis=hypothesis(10))
    assert finding(s, events(ended_s=30), None, blind).verdict == "not measured"  # type: ignore[union-attr]
    record = RunRecord(run_id="r1", outcome="completed", reason=None, spec=s, decision=None, events=events(ended_s=30),
                       baseline=None, samples=blind, manifest=None, verdict="Pass", source="test")
    md = render(record)
    assert "web error rate: predicted peak 100%; not measured: web reported no error rate during the run" in md
    assert "confirmed" not in md.split("## Key findings")[1].split("\n## ")[0]
    assert tldr(record).endswith("; recovery not measured")


def test_the_band_comes_from_the_baseline_spread_with_a_floor() -> None:
    noisy = [Sample(tick=-i, at=T0, services={"web": Signals(latency_p95_ms=v)}) for i, v in enumerate([100, 160, 40, 100])]
    r = band_of(noisy).ranges["web"]["latency_p95_ms"]
    assert (r.mean, round(r.high - r.mean, 1)) == (100, 127.3)  # 3 x stddev 42.4, above the 25 ms floor
    steady = band_of([Sample(tick=0, at=T0, services={"web": Signals(latency_p95_ms=100)})]).ranges["web"]["latency_p95_ms"]
    assert (steady.low, steady.high) == (75, 125)  # no spread: the floor


def test_the_monitor_notes_a_return_to_the_band_while_chaos_still_runs() -> None:
    base = run(Clock(), tick_s=2, until_s=0, off={}, off_for=(0, 0))
    plan = Plan(settings=MonitorSettings(), threshold=AbortThreshold(service="web", error_rate_pct=90), duration_s=60,
                engine="shop/x", baseline=base[-1], band=band_of(base))
    running = View(phase="running", tick=1, chaos_started_at=T0, last_metrics_at=T0, last_cluster_at=T0)
    active = EngineRead(status=EngineStatus(engine_state="active", engine_status="initialized"))

    def tick(view: View, s: float, **web: float) -> tuple[View, list[Note]]:
        sample = Sample(tick=view.tick + 1, at=T0 + timedelta(seconds=s), services={**CALM, "web": CALM["web"].model_copy(update=web)})
        d = decide(view, Reading(sample), active, who=None, now=sample.at, plan=plan)
        return d.after, [x for x in d.steps if isinstance(x, Note)]

    view, notes = tick(running, 2, error_rate_pct=40)
    assert [x.kind for x in notes] == ["first_deviation"]
    view, notes = tick(view, 10)
    assert notes == [Note("recovered", "every service back within its baseline band, chaos still running")]
    assert view.phase == "running" and view.back
    view, notes = tick(view, 12, error_rate_pct=40)
    assert notes == [Note("first_deviation", "again: web")] and not view.back
    view, notes = tick(view, 14)
    assert [x.kind for x in notes] == ["recovered"]
    done = decide(view, Reading(Sample(tick=9, at=T0 + timedelta(seconds=62), services=CALM)),
                  EngineRead(status=EngineStatus(engine_state="active", engine_status="completed", phase="Completed")),
                  who=None, now=T0 + timedelta(seconds=62), plan=plan)
    assert done.after.phase == "recovering"
    end = decide(done.after, Reading(Sample(tick=10, at=T0 + timedelta(seconds=64), services=CALM)), active, who=None,
                 now=T0 + timedelta(seconds=64), plan=plan)
    assert end.after.phase == "done" and end.steps == ()  # already noted during chaos: no second event


def test_a_rate_window_lag_is_allowed_for_but_never_hides_a_recovery_beyond_it() -> None:
    """Back at T+20s through a 10 s rate window: the errors may have stopped up to 10 s earlier,
    so a 10 s prediction is not refuted; a 2 s one still is (20 - 2 - 10 > 2 x 1.2)."""
    samples = run(Clock(), tick_s=2, until_s=60, off={"web": {"error_rate_pct": 45}}, off_for=(1, 20))
    s = spec(hypothesis=hypothesis(10))
    assert finding(s, events(ended_s=30), None, samples).verdict == "refuted"  # type: ignore[union-attr]
    lagged = finding(s, events(ended_s=30), None, samples, lag_s=10)
    assert lagged is not None and (lagged.observed_s, lagged.verdict, lagged.lag_s) == (20.0, "confirmed", 10)
    assert finding(s.model_copy(update={"hypothesis": hypothesis(2)}), events(ended_s=30), None, samples,
                   lag_s=10).verdict == "refuted"  # type: ignore[union-attr]
