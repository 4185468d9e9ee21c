"""The run read again from a real Prometheus (range queries at its scrape interval), and what the
report makes of it. The stack (the twin at speed, Prometheus scraping it every 500 ms) is
test_prometheus's fixture, started once for this module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.adapters.prometheus_range import scrape_interval_s, seconds
from agent.engines.litmus import render
from agent.errors import MetricsUnavailable
from agent.models import Sample, Signals
from agent.run.history import number
from tests.factories import catalogue_delete
from tests.integration.prometheus_fixture import poll_until
from tests.integration.test_prometheus import LITMUS, NS, SERVICES, WINDOW_S, Stack
from tests.integration.test_prometheus import stack as stack  # noqa: F401 - the fixture


def test_the_step_is_the_scrape_interval_prometheus_runs_with(stack: Stack) -> None:  # noqa: F811
    assert scrape_interval_s(stack.metrics) == 0.5
    assert [seconds(d) for d in ("500ms", "15s", "1m30s", "2h")] == [0.5, 15, 90, 7200]
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        seconds("15 seconds")


def test_a_range_read_holds_every_scrape_of_the_outage(stack: Stack) -> None:  # noqa: F811
    stack.wait_healthy()
    manifest = render(catalogue_delete(duration_s=60), run_id="range001", service_account="litmus-admin",
                      cleanup="retain")
    applied = datetime.now(UTC)
    stack.custom.create_namespaced_custom_object(*LITMUS, NS, "chaosengines", manifest.body())

    def risen() -> float | None:  # the outage shows at the caller: a deleted pod records nothing itself
        now = stack.read()["front-end"].error_rate_pct
        return now if now is not None and now > 10 else None

    poll_until(risen, timeout_s=15, what="front-end's error rate to pass 10 %")
    got = stack.metrics.range(NS, SERVICES, applied - timedelta(seconds=4), datetime.now(UTC))
    assert got.step_s == 0.5 and got.window == f"{WINDOW_S}s"
    ats = [s.at for s in got.samples]
    assert len(ats) >= 9 and all((b - a).total_seconds() == 0.5 for a, b in zip(ats, ats[1:], strict=False))
    errors = [s.services["front-end"].error_rate_pct for s in got.samples]
    assert errors[0] is not None and errors[0] < 1 and max(e or 0 for e in errors) > 5
    rose = next(at for at, e in zip(ats, errors, strict=True) if (e or 0) > 5)
    assert applied < rose  # the rise is in the data, at the scrape resolution
    own = [s.services["catalogue"].error_rate_pct for s in got.samples]
    assert own[0] is not None and max(e or 0 for e in own) < 1  # a deleted pod counts no errors of its own
    assert all(s.services["catalogue-db"].error_rate_pct is None for s in got.samples)  # not measured, not 0
    assert got.samples[0].services["catalogue"].memory_mib is not None


def test_a_range_read_of_a_broken_template_is_metrics_unavailable(stack: Stack) -> None:  # noqa: F811
    from agent.adapters.prometheus import PrometheusMetrics

    queries = stack.settings.queries.model_copy(update={"error_rate_pct": "sum(rate(nope{{[{window}]))"})
    broken = PrometheusMetrics(stack.settings.model_copy(update={"queries": queries}))
    now = datetime.now(UTC)
    with pytest.raises(MetricsUnavailable, match=r"error_rate_pct for sock-shop/catalogue \(range\)"):
        broken.range(NS, ["catalogue"], now - timedelta(seconds=5), now)


def test_range_samples_are_numbered_around_the_injection_with_the_monitors_replicas() -> None:
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    history = [Sample(tick=0, at=t0 + timedelta(seconds=i), services={"carts": Signals(error_rate_pct=float(i))})
               for i in range(5)]
    monitor = [Sample(tick=0, at=t0, services={"carts": Signals(ready_replicas=1, replicas=1)}),
               Sample(tick=1, at=t0 + timedelta(seconds=2.5), services={"carts": Signals(ready_replicas=0, replicas=1)})]
    numbered = number(history, t0 + timedelta(seconds=1), monitor)
    assert [s.tick for s in numbered] == [-1, 0, 1, 2, 3]
    assert [s.services["carts"].ready_replicas for s in numbered] == [1, 1, 1, 0, 0]
    assert [s.services["carts"].error_rate_pct for s in numbered] == [0.0, 1.0, 2.0, 3.0, 4.0]
