"""The report is written from the run's data: its numbers are the samples' numbers."""

from __future__ import annotations

from datetime import timedelta

from agent.models import Decision, RunEvent, Sample, Signals
from agent.report.record import RunRecord, impacts, tldr
from agent.report.render import render
from tests.factories import T0, spec


def at(s: int) -> object:
    return T0 + timedelta(seconds=s)


def sample(tick: int, web_err: float, api_ready: int) -> Sample:
    return Sample(
        tick=tick,
        at=at(tick * 5),  # type: ignore[arg-type]
        services={
            "web": Signals(error_rate_pct=web_err, latency_p95_ms=100, ready_replicas=1, replicas=1),
            "api": Signals(error_rate_pct=0.2, latency_p95_ms=20, ready_replicas=api_ready, replicas=2),
        },
    )


def record(**changes: object) -> RunRecord:
    events = [
        RunEvent(at=at(-10), kind="approved", detail="by cli:ann"),  # type: ignore[arg-type]
        RunEvent(at=at(0), kind="applied", detail="ChaosEngine created"),  # type: ignore[arg-type]
        RunEvent(at=at(30), kind="completed", detail="verdict Pass"),  # type: ignore[arg-type]
        RunEvent(at=at(45), kind="recovered"),  # type: ignore[arg-type]
    ]
    base = dict(
        run_id="r1", outcome="completed", reason=None, spec=spec(),
        decision=Decision(verdict="approve", choice=1, approver="ann", channel="cli", at=at(-10)),  # type: ignore[arg-type]
        events=events, baseline=sample(0, 0.5, 2),
        samples=[sample(1, 0.5, 2), sample(2, 23.4, 1), sample(3, 12.0, 1), sample(9, 0.6, 2)],
        manifest=None, verdict="Pass", source="test signals",
    )
    return RunRecord(**(base | changes))  # type: ignore[arg-type]


def test_impacts_are_baseline_peak_end_of_the_samples() -> None:
    web = next(p for p in impacts(record()) if p.service == "web" and p.signal == "error_rate_pct")
    assert (web.baseline, web.peak, web.end) == (0.5, 23.4, 0.6)
    assert web.at == at(10)
    assert not any(p.service == "api" and p.signal == "error_rate_pct" for p in impacts(record()))


def test_tldr_in_the_seed_form() -> None:
    assert tldr(record()) == (
        "Finding: Api pod delete caused 23.4% errors in web (baseline 0.5%), completed; "
        "back within baseline ≈ 45 s ± 30 s after the kill"  # samples at T+15s and T+45s: ± 30 s
    )


def test_report_sections_and_numbers() -> None:
    md = render(record())
    assert md.startswith("# Chaos report: Api pod delete")
    for heading in ("## Executive summary", "## What happened", "## Timeline", "## Impact analysis",
                    "## What is known, and what is not", "## Technical details"):
        assert heading in md
    assert "| web | error rate | 0.5% | 23.4% | 0.6% | `test signals` |" in md
    assert "| Chaos duration | ≈ 30 s ± 30 s |" in md  # seen ended at a tick; samples up to 30 s apart
    assert "T+10s" in md  # the peak, relative to the injection


def test_rejected_run_says_nothing_was_injected() -> None:
    md = render(record(outcome="rejected", reason="rejected by cli:ann", spec=None, events=[], baseline=None, samples=[]))
    assert "No chaos was injected: rejected by cli:ann." in md
    assert "No samples were taken, so the impact is not known." in md
    assert tldr(record(outcome="rejected", reason="by ann", spec=None, samples=[])) == "Finding: run r1 rejected (by ann)"


def test_tldr_names_latency_when_errors_did_not_move() -> None:
    slow = [
        Sample(tick=i, at=at(i * 5), services={  # type: ignore[arg-type]
            "web": Signals(error_rate_pct=0.5, latency_p95_ms=lat, ready_replicas=1, replicas=1),
            "api": Signals(error_rate_pct=0.2, latency_p95_ms=20, ready_replicas=2, replicas=2),
        })
        for i, lat in enumerate([100, 945, 120], 1)
    ]
    assert tldr(record(samples=slow)) == (
        "Finding: Api pod delete raised web p95 to 945 ms (baseline 100 ms) without errors, completed; "
        "back within baseline ≈ 15 s ± 5 s after the kill"  # 945 ms at T+10s, 120 ms at T+15s
    )


def test_hypothesis_is_confirmed_or_refuted_with_the_numbers() -> None:
    from agent.models import ExpectedSignal, Hypothesis

    hyp = Hypothesis(
        statement="api absorbs the loss of a pod", affected_services=["api"],
        expected=[ExpectedSignal(service="api", signal="error_rate_pct", peak=0.0),
                  ExpectedSignal(service="web", signal="error_rate_pct", peak=20.0)],
        recovery_s=30,
    )
    md = render(record(spec=spec(hypothesis=hyp)))
    findings = md.split("## Key findings")[1].split("##")[0]
    assert "api error rate: predicted peak 0.0%, observed 0.2%" in findings and "confirmed" in findings
    assert "web error rate: predicted peak 20.0%, observed 23.4% at T+10s (baseline 0.5%): confirmed" in findings
    # Back at T+45s, but the sample before was at T+15s: it may have been back by T+16s.
    assert "from the kill to every affected service back within its baseline band: predicted ≤ 30 s, measured ≈ 45 s ± 30 s: confirmed" in findings
    assert "blast radius: predicted api; observed api, web; not predicted: web" in findings


def test_every_ending_says_what_is_not_known() -> None:
    for outcome, reason in [("rejected", "by ann"), ("dry_run", "dry run: accepted"), ("failed", "dry-run rejected")]:
        md = render(record(outcome=outcome, reason=reason, events=[], baseline=None, samples=[]))
        assert "No chaos was injected" in md
        assert "- Not known: how the system behaves under the fault." in md or "would have behaved" in md
        assert tldr(record(outcome=outcome, reason=reason, events=[], samples=[])).startswith(f"Finding: run r1 {outcome}")
    aborted = render(record(outcome="aborted", reason="web error rate 60% > 50%"))
    assert "- Known: the run was aborted: web error rate 60% > 50%" in aborted
    assert "Not known: how far the impact would have gone" in aborted
