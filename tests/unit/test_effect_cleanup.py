"""The pure decisions after a run: did the fault take effect (agent.run.effect), was its chaos cleaned
up (agent.run.cleanup), and how the report says so (agent.report.verified). Times come from a fixed
clock (T0 + seconds), never the wall clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from agent.models import ChaosLeftover, EngineStatus, Fault, Pod, Sample, Signals, Workload
from agent.report.verified import cleanup_line, effect_line, status_rows
from agent.run.band import band_of
from agent.run.cleanup import CleanupReading, leftovers, result
from agent.run.effect import (
    callers,
    chaos_samples,
    inconclusive_reason,
    judge,
    pod_check,
    signal_check,
    target_pods,
)
from tests.factories import T0, catalogue_delete


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def pod(name: str, uid: str, *, restarts: int = 0, created: float = -600, labels: dict[str, str] | None = None) -> Pod:
    return Pod(name=name, namespace="sock-shop", labels=labels or {"name": "catalogue"}, ready=True,
               restarts=restarts, uid=uid, created_at=at(created))


def sample(tick: int, s: float, **signals: float) -> Sample:
    return Sample(tick=tick, at=at(s), services={"catalogue": Signals(**signals), "front-end": Signals(
        error_rate_pct=0.3, latency_p95_ms=60)})


BASELINE = [sample(t, t * 2, error_rate_pct=0.2, latency_p95_ms=11, cpu_millicores=5, memory_mib=80) for t in range(-4, 1)]


def test_the_registry_names_an_effect_check_for_every_fault() -> None:
    kinds = {f.value: f.entry.effect for f in Fault}
    assert kinds["pod-delete"] == "replaced" and kinds["container-kill"] == "restarted"
    assert kinds["pod-cpu-hog"] == "cpu" and kinds["pod-memory-hog"] == "memory"
    assert kinds["pod-network-latency"] == kinds["pod-network-loss"] == kinds["pod-network-corruption"] == "signal"
    assert kinds["pod-dns-error"] == "caller-errors"


def test_replaced_pods_are_seen_by_their_new_uids() -> None:
    before = [pod("catalogue-a", "u1")]
    same = pod_check("replaced", before, [pod("catalogue-a", "u1")], at=at(5))
    assert not same.seen and "the same 1 pod uid" in same.detail
    new = pod_check("replaced", before, [pod("catalogue-b", "u2", created=3)], at=at(10))
    assert new.seen and new.at == at(10)
    assert "catalogue-a (u1) -> catalogue-b (u2, created 12:00:03)" in new.detail
    gone = pod_check("replaced", before, [], at=at(5))
    assert not gone.seen and "none replaced yet" in gone.detail


def test_a_restart_is_seen_only_on_the_same_pod() -> None:
    before = [pod("user-a", "u1", restarts=2)]
    assert pod_check("restarted", before, [pod("user-a", "u1", restarts=3)], at=at(1)).detail == (
        "user-a restartCount 2 -> 3")
    assert not pod_check("restarted", before, [pod("user-a", "u1", restarts=2)], at=at(1)).seen
    assert not pod_check("restarted", before, [pod("user-b", "u9", restarts=5)], at=at(1)).seen  # another pod


def test_signals_are_judged_against_the_baseline_band() -> None:
    band = band_of(BASELINE)
    slow = signal_check("signal", sample(3, 6, error_rate_pct=0.2, latency_p95_ms=900), band,
                        target="catalogue", calling=["front-end"])
    assert slow.seen and "catalogue latency_p95_ms 900 ms outside" in slow.detail
    calm = signal_check("signal", sample(3, 6, error_rate_pct=0.2, latency_p95_ms=12), band,
                        target="catalogue", calling=["front-end"])
    assert not calm.seen and "inside the baseline band" in calm.detail
    # usage must rise: a CPU that fell (a restarted pod idles) is not a hog's effect
    assert not signal_check("cpu", sample(3, 6, cpu_millicores=0), band, target="catalogue", calling=[]).seen
    assert signal_check("cpu", sample(3, 6, cpu_millicores=900), band, target="catalogue", calling=[]).seen
    # a DNS fault shows in errors, not latency
    assert not signal_check("caller-errors", sample(3, 6, error_rate_pct=0.2, latency_p95_ms=900), band,
                            target="catalogue", calling=[]).seen


def test_only_the_samples_while_the_fault_was_injected_count() -> None:
    samples = [*BASELINE, sample(1, 2), sample(2, 4), sample(3, 6)]
    assert [s.tick for s in chaos_samples(samples, start=at(0), end=at(4))] == [1, 2]
    assert [s.tick for s in chaos_samples(samples, start=at(0), end=None)] == [1, 2, 3]


def test_no_effect_over_three_checks_is_inconclusive_and_says_what_was_checked() -> None:
    spec = catalogue_delete()
    checks = [pod_check("replaced", [pod("catalogue-a", "u1")], [pod("catalogue-a", "u1")], at=at(s)) for s in (0, 5, 10)]
    effect = judge(spec, "replaced", checks)
    assert not effect.observed and effect.window_s == 10
    reason = inconclusive_reason(effect, 3)
    assert reason.startswith("inconclusive: the fault had no observable effect; checked target pods replaced")
    assert "3 checks over 10 s" in reason
    short = judge(spec, "replaced", checks[:1])
    assert "(only 1 of the 3 checks wanted could be made)" in inconclusive_reason(short, 3)
    line = effect_line(effect, at(-30))
    assert line.startswith("inconclusive: the fault had no observable effect") and "T+30 s, T+35 s, T+40 s" in line
    seen = judge(spec, "replaced", [*checks[:2], pod_check("replaced", [pod("catalogue-a", "u1")],
                                                             [pod("catalogue-b", "u2")], at=at(10))])
    assert seen.observed and effect_line(seen, at(0)).startswith("observed at T+10 s")


def test_target_pods_and_callers() -> None:
    spec = catalogue_delete()
    pods = [pod("catalogue-a", "u1"), pod("carts-a", "u2", labels={"name": "carts"})]
    assert [p.name for p in target_pods(pods, spec)] == ["catalogue-a"]
    assert callers(None, "catalogue") == []


def reading(**changes: object) -> CleanupReading:
    base = CleanupReading(
        at=at(42), engine="sock-shop/ca-1", status=EngineStatus(engine_state="stop", engine_status="completed"),
        chaos_pods=[ChaosLeftover(kind="Pod", namespace="sock-shop", name="ca-1-runner", phase="Succeeded"),
                    ChaosLeftover(kind="ChaosResult", namespace="sock-shop", name="ca-1-pod-delete")],
        workload=Workload(kind="Deployment", name="catalogue", namespace="sock-shop", replicas=1, ready_replicas=1),
        target="catalogue", sample=sample(9, 40, error_rate_pct=0.2, latency_p95_ms=11), band=band_of(BASELINE),
    )
    return CleanupReading(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_cleanup_is_verified_when_nothing_is_left() -> None:
    verdict = result(reading())
    assert verdict.verified and verdict.at == at(42)
    assert verdict.kept == ["runner pod ca-1-runner (Succeeded)"]  # retained for its logs, no leftover
    assert cleanup_line(verdict, at(0)).startswith("Cleanup verified at T+42 s")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"status": EngineStatus(engine_state="active", engine_status="initialized")},
     "ChaosEngine sock-shop/ca-1 still active (engineState active, engineStatus initialized)"),
    ({"chaos_pods": [ChaosLeftover(kind="Pod", namespace="sock-shop", name="pod-network-loss-helper-x1",
                                   phase="Running")]}, "helper pod sock-shop/pod-network-loss-helper-x1 (Running)"),
    ({"workload": Workload(kind="Deployment", name="catalogue", namespace="sock-shop", replicas=2, ready_replicas=1)},
     "Deployment catalogue 1/2 Ready"),
    ({"workload": None}, "target workload catalogue not found"),
    ({"sample": sample(9, 40, error_rate_pct=40, latency_p95_ms=11)}, "catalogue not back in its baseline band"),
    ({"sample": None}, "steady state not known: no metrics could be read"),
])
def test_every_leftover_is_listed(changes: dict[str, object], expected: str) -> None:
    left = leftovers(reading(**changes))
    assert any(x.startswith(expected) for x in left), left
    verdict = result(reading(**changes))
    assert not verdict.verified and cleanup_line(verdict, at(0)).startswith("NOT verified at T+42 s: 1 leftover")


def test_an_engine_gone_is_clean() -> None:
    assert leftovers(reading(status=None, chaos_pods=[])) == []


def test_status_shows_both_checks_relative_to_the_injection() -> None:
    effect = judge(catalogue_delete(), "replaced", [pod_check("replaced", [pod("catalogue-a", "u1")],
                                                              [pod("catalogue-b", "u2")], at=at(12))])
    rows = status_rows(effect, result(reading()), at(2).isoformat())
    assert [k for k, _ in rows] == ["effect", "cleanup"]
    assert rows[0][1].startswith("observed at T+10 s") and rows[1][1].startswith("Cleanup verified at T+40 s")
    assert status_rows(None, None, None) == []  # a run that applied nothing shows neither
