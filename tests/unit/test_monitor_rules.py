"""Breach, deviation and recovery rules on plain samples."""

from __future__ import annotations

from agent.models import AbortThreshold, Sample, Signals
from agent.monitor import breach, deviations, recovered, summary_line
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
