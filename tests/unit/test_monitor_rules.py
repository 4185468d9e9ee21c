"""Breach, deviation and recovery rules on plain samples."""

from __future__ import annotations

from agent.models import AbortThreshold, Sample, Signals
from agent.run.monitor import breach, deviations, recovered, summary_line
from tests.factories import T0


def sample(**services: Signals) -> Sample:
    return Sample(tick=1, at=T0, services=services)


BASE = sample(web=Signals(error_rate_pct=0.5, latency_p95_ms=100, ready_replicas=1, replicas=1))


def test_breach_on_error_rate_and_latency() -> None:
    t = AbortThreshold(service="web", error_rate_pct=10, latency_p95_ms=1000)
    assert breach(sample(web=Signals(error_rate_pct=10.0, latency_p95_ms=999)), t) is None
    assert breach(sample(web=Signals(error_rate_pct=10.1)), t) == "web error rate 10.1% > 10%"
    assert breach(sample(web=Signals(latency_p95_ms=1500)), t) == "web p95 1500 ms > 1000 ms"


def test_missing_watched_service_is_a_breach() -> None:
    assert "no signal for web" in (breach(sample(), AbortThreshold(service="web", error_rate_pct=1)) or "")


def test_deviation_thresholds() -> None:
    assert deviations(sample(web=Signals(error_rate_pct=5.4, latency_p95_ms=149, ready_replicas=1, replicas=1)), BASE) == []
    assert deviations(sample(web=Signals(error_rate_pct=5.6, latency_p95_ms=100)), BASE) == ["web"]
    assert deviations(sample(web=Signals(error_rate_pct=0.5, latency_p95_ms=151)), BASE) == ["web"]
    assert deviations(sample(web=Signals(error_rate_pct=0.5, latency_p95_ms=100, ready_replicas=0, replicas=1)), BASE) == ["web"]


def test_recovered_when_nothing_deviates() -> None:
    assert recovered(BASE, BASE)
    assert not recovered(sample(web=Signals(error_rate_pct=50)), BASE)


def test_progress_line_in_the_seed_form() -> None:
    assert summary_line(sample(web=Signals(error_rate_pct=2.34, latency_p95_ms=187.2)), "web") == "web Error Rate: 2.3% | Latency: 187ms"


def test_conditions_with_operators_per_service_or_overall() -> None:
    from agent.models import AbortCondition

    s = sample(
        web=Signals(error_rate_pct=1.0, latency_p95_ms=100, cpu_millicores=250, memory_mib=90),
        api=Signals(error_rate_pct=0.1, latency_p95_ms=20, cpu_millicores=40, memory_mib=400),
    )
    t = AbortThreshold(service="web", conditions=[
        AbortCondition(signal="cpu_millicores", op=">=", value=250, service="web"),
    ])
    assert breach(s, t) == "web CPU 250m >= 250m"
    overall = AbortThreshold(service="web", conditions=[AbortCondition(signal="memory_mib", op=">", value=300)])
    assert breach(s, overall) == "api memory 400 MiB > 300 MiB"
    low = AbortThreshold(service="web", conditions=[AbortCondition(signal="latency_p95_ms", op="<", value=10, service="api")])
    assert breach(s, low) is None
    several = AbortThreshold(service="web", error_rate_pct=50, conditions=[
        AbortCondition(signal="latency_p95_ms", op="<=", value=20, service="api"),
    ])
    assert breach(s, several) == "api p95 20 ms <= 20 ms"


def test_steady_state_is_the_median_of_the_window() -> None:
    from agent.run.monitor import steady_state

    window = [
        sample(web=Signals(error_rate_pct=v, latency_p95_ms=100 + v, ready_replicas=1, replicas=1))
        for v in (0.5, 40.0, 0.7)  # one noisy tick does not move the baseline
    ]
    base = steady_state(window).services["web"]
    assert base.error_rate_pct == 0.7 and base.latency_p95_ms == 100.7 and base.ready_replicas == 1
