"""The report timed from Prometheus's range read (its step is the resolution), the rate() window's lag,
and the user journey: key findings, TL;DR and the evidence the number check holds prose to."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from agent.models import Sample
from agent.models.history import MetricsRange
from agent.models.journey import JourneyHit, JourneyLog
from agent.models.verify import EffectCheck, EffectResult
from agent.report.evidence import bundle
from agent.report.number_check import check
from agent.report.record import RunRecord, measured, tldr
from agent.report.render import render
from agent.run.monitor import steady_state
from tests.factories import T0, spec
from tests.unit.test_recovery import Clock, events, hypothesis, run

OFF = {"api": {"error_rate_pct": 100, "ready_replicas": 0}, "web": {"error_rate_pct": 45}}


def record(*, history: MetricsRange | None = None, journey: JourneyLog | None = None) -> RunRecord:
    ticks = run(Clock(), tick_s=5, until_s=60, off=OFF, off_for=(1, 10))  # the monitor: every 5 s
    return RunRecord(run_id="r1", outcome="completed", reason=None, spec=spec(hypothesis=hypothesis(10)),
                     decision=None, events=events(ended_s=30), baseline=steady_state([x for x in ticks if x.tick <= 0]),
                     samples=ticks, manifest=None, verdict="Pass", source="http://prometheus:9090",
                     queries={"web.error_rate_pct": 'sum(rate(request_duration_seconds_count{name="web"}[1m]))'},
                     history=history, journey=journey)


def scraped() -> list[Sample]:
    """Prometheus's points every 1 s, numbered as read_history numbers them."""
    return run(Clock(), tick_s=1, until_s=60, off=OFF, off_for=(1, 10))


def test_recovery_is_timed_from_the_range_read_at_its_step() -> None:
    coarse = measured(record())
    fine = measured(record(history=MetricsRange(samples=scraped(), step_s=1.0, window="1m")))
    assert coarse is not None and fine is not None
    assert (coarse.observed_s, coarse.resolution_s) == (10.0, 5.0)  # back at the T+10s tick, ± 5 s
    assert (fine.observed_s, fine.resolution_s) == (10.0, 1.0)
    md = render(record(history=MetricsRange(samples=scraped(), step_s=1.0, window="1m")))
    assert ("measured ≈ 10 s ± 1 s (read through a 60 s rate window, which shows a recovery up to that late: "
            "it took between 0 and 11 s): confirmed") in md
    assert "- timed from Prometheus's range read over the run at its scrape interval (1 s, 71 points)" in md
    assert "with rate over 1m, a change shows in the error rate and p95 gradually over up to 60 s: recovery can read up to 60 s late" in md
    # Without a range read the window still comes from the queries, and the resolution is the ticks'.
    assert "recovery can read up to 60 s late" in render(record()) and "± 5 s" in render(record())


def journey() -> JourneyLog:
    hits = [JourneyHit(at=T0 + timedelta(seconds=i / 2), path=p, status=503 if p == "/cart" and 1 <= i < 16 else 200,
                       latency_ms=2.0) for i in range(-4, 40) for p in ("/", "/cart")]
    return JourneyLog(url="http://edge", paths=["/", "/cart"], interval_s=0.5, hits=hits)


def test_the_user_journey_is_a_key_finding_a_tldr_clause_and_evidence() -> None:
    r = record(journey=journey())
    assert tldr(r).endswith("; api failover took 7500 ms ± 500 ms, caused 37.5% failed requests on /cart")
    md = render(r)
    assert ("- User journey (the agent requested /, /cart at http://edge, every 500 ms of the run's clock): 80 requests "
            "from the injection on, 15 failed (18.8%: no answer or 5xx); failover 7500 ms ± 500 ms on /cart (first failed "
            "request at T+0s to the first success after it), 37.5% of its requests failed") in md
    evidence = bundle(r)
    prose = "Users lost the cart for 7500 ms, 37.5% of its requests failed. It took 9000 ms."
    kept = check(prose, evidence)
    assert "7500 ms" in kept.kept and "37.5%" in kept.kept and kept.dropped == ["It took 9000 ms."]


def test_a_replaced_targets_cadvisor_memory_peak_is_marked_as_counting_both_pods() -> None:
    # api's pod deleted at T0; while the old pod's last cAdvisor sample lingers, the sum holds both pods
    ticks = [t.model_copy(update={"services": {**t.services, "api": t.services["api"].model_copy(update={
        "memory_mib": 128.0 if 1 <= (t.at - T0).total_seconds() < 10 else 64.0})}})
        for t in run(Clock(), tick_s=5, until_s=60, off=OFF, off_for=(1, 10))]
    base = replace(record(), samples=ticks, baseline=steady_state([x for x in ticks if x.tick <= 0]))
    replaced = EffectResult(fault="pod-delete", kind="replaced", what="target pods replaced", observed=True,
                            checks=[EffectCheck(at=T0 + timedelta(seconds=5), seen=True, detail="1 of 1 pods replaced")],
                            window_s=10)
    memory = 'sum(max by (pod, container) (container_memory_working_set_bytes{pod=~"api-.*"})) / 1048576'
    marked = render(replace(base, effect=replaced, queries={**base.queries, "api.memory_mib": memory}))
    assert "- api memory: 64.0 MiB before, peak 128 MiB\\* at T+5s, 64.0 MiB at the end." in marked
    assert "| api | memory | 64.0 MiB | 128 MiB\\* |" in marked
    assert marked.count("\\* while the target's pods were replaced, its memory may count a deleted pod and its "
                        "replacement together") == 2  # under What happened and under the impact table
    # the model reader (no cAdvisor query), or no pod replaced: nothing to mark
    plain = render(replace(base, effect=replaced))
    unreplaced = render(replace(base, queries={**base.queries, "api.memory_mib": memory}))
    assert "128 MiB\\*" not in plain and "128 MiB\\*" not in unreplaced and "128 MiB" in plain
