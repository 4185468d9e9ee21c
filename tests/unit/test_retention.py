"""policy.engine_retention: which engines the sweep may delete (a pure rule, one test per case),
the order and the outcome of its deletes over an in-memory cluster, and the setting's parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from agent.config.sections import Policy
from agent.errors import ClusterUnreachable, Conflict
from agent.models import ChaosLeftover, EngineInfo
from agent.run.retention import RunPhase, expired, span, sweep

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DAY = 86_400


def engine(run: str = "r1", *, age_s: float = 2 * DAY, status: str | None = "completed", state: str = "stop",
           managed: bool = True, duration_s: int | None = 60, name: str | None = None) -> EngineInfo:
    return EngineInfo(name=name or f"ca-{run}", namespace="sock-shop", uid=f"uid-{run}", resource_version="7",
                      created_at=NOW - timedelta(seconds=age_s), engine_state=state, engine_status=status,
                      managed=managed, duration_s=duration_s)


@pytest.mark.parametrize(("info", "run", "reason"), [
    (engine(), None, "ended (completed) 47h59m ago, longer than policy.engine_retention 24h"),  # unknown run
    (engine(status="stopped"), "ended", "ended (stopped)"),
    (engine(status="initialized"), "ended", "its run ended and it was stopped"),  # operator never confirmed
    (engine(status=None, state="stop", duration_s=None), "ended", "its run ended and it was stopped 48h ago"),
])
def test_an_ended_engine_older_than_the_retention_may_go(info: EngineInfo, run: RunPhase | None, reason: str) -> None:
    why = expired(info, run, now=NOW, retention_s=DAY)
    assert why is not None and why.startswith(reason), why


@pytest.mark.parametrize(("info", "run"), [
    (engine(), "live"),  # its run is running, paused or waiting in the store
    (engine(status="initialized", state="active"), "ended"),  # may still inject chaos
    (engine(status="initialized", state="stop"), None),  # stop asked by someone, operator silent, run unknown
    (engine(status=None, state="active"), None),
    (engine(age_s=DAY - 61), "ended"),  # created a day ago, but ended (after its 60 s) under a day ago
    (engine(managed=False), "ended"),  # not labelled by the agent
    (engine(name="someone-else"), "ended"),  # labelled, but not named ca-<run>
    (engine().model_copy(update={"created_at": None}), "ended"),  # age unknown
])
def test_everything_else_is_kept(info: EngineInfo, run: RunPhase | None) -> None:
    assert expired(info, run, now=NOW, retention_s=DAY) is None


def test_retention_zero_keeps_everything() -> None:
    assert expired(engine(age_s=100 * DAY), "ended", now=NOW, retention_s=0) is None


class Cluster:
    """The deleting half of the Cluster port, in memory: objects by (kind, name)."""

    def __init__(self, *, conflict: bool = False, down: bool = False) -> None:
        self.objects = {("ChaosEngine", "ca-r1"), ("Pod", "ca-r1-runner"), ("Pod", "pod-delete-abc"),
                        ("ChaosResult", "ca-r1-pod-delete")}
        self.calls: list[str] = []
        self.conflict, self.down = conflict, down

    def chaos_leftovers(self, namespace: str, engine: str, engine_uid: str) -> list[ChaosLeftover]:
        if self.down:
            raise ClusterUnreachable("list pods: HTTP 503")
        assert engine_uid == "uid-r1"
        return [ChaosLeftover(kind=k, namespace=namespace, name=n, uid=f"u-{n}", engine=engine)  # type: ignore[arg-type]
                for k, n in sorted(self.objects) if k != "ChaosEngine"]

    def delete_leftover(self, leftover: ChaosLeftover) -> bool:
        self.calls.append(f"delete {leftover.kind} {leftover.name}")
        return (leftover.kind, leftover.name) in self.objects and not self.objects.remove((leftover.kind, leftover.name))

    def delete_engine(self, namespace: str, name: str, *, uid: str, resource_version: str) -> bool:
        self.calls.append(f"delete ChaosEngine {name} if uid {uid} rv {resource_version}")
        if self.conflict:
            raise Conflict("delete ChaosEngine: conflict (Precondition failed)")
        self.objects.discard(("ChaosEngine", name))
        return True


def test_the_sweep_deletes_the_leftovers_then_the_engine_with_preconditions() -> None:
    cluster = Cluster()
    [done] = sweep(cluster, [engine(), engine("r2", age_s=60)], {"r1": "ended"},  # type: ignore[arg-type]
                   now=NOW, retention_s=DAY, dry_run=False)
    assert cluster.calls == ["delete ChaosResult ca-r1-pod-delete", "delete Pod ca-r1-runner", "delete Pod pod-delete-abc",
                             "delete ChaosEngine ca-r1 if uid uid-r1 rv 7"]
    assert cluster.objects == set()
    assert (done.run_id, done.action) == ("r1", "deleted it, with 2 chaos pods and 1 ChaosResult")
    assert done.found.startswith("engine sock-shop/ca-r1 ended (completed) 47h59m ago")


def test_a_dry_run_deletes_nothing() -> None:
    cluster = Cluster()
    [planned] = sweep(cluster, [engine()], {}, now=NOW, retention_s=DAY, dry_run=True)  # type: ignore[arg-type]
    assert planned.action == "would delete it with its chaos pods and ChaosResults" and cluster.calls == []


def test_an_engine_changed_since_listed_is_left_alone_and_a_failure_is_reported() -> None:
    [changed] = sweep(Cluster(conflict=True), [engine()], {}, now=NOW, retention_s=DAY, dry_run=False)  # type: ignore[arg-type]
    assert changed.action == "left alone: it changed since it was listed"
    [failed] = sweep(Cluster(down=True), [engine()], {}, now=NOW, retention_s=DAY, dry_run=False)  # type: ignore[arg-type]
    assert failed.action == "failed: list pods: HTTP 503; run recover again"


@pytest.mark.parametrize(("value", "seconds"), [("24h", DAY), ("90m", 5400), ("1h30m", 5400), ("3600", 3600),
                                                (3600, 3600), ("off", 0), (0, 0), ("0", 0)])
def test_the_setting_takes_durations_and_off(value: object, seconds: int) -> None:
    assert Policy(engine_retention=value).engine_retention == seconds
    assert Policy().engine_retention == DAY


@pytest.mark.parametrize("value", ["2d", "-1", -5, "soon"])
def test_a_bad_retention_is_refused_saying_what_to_write(value: object) -> None:
    with pytest.raises(ValidationError, match=r"engine_retention") as refused:
        Policy(engine_retention=value)
    assert "24h, 90m, 3600 (seconds), or off" in str(refused.value) or "greater than or equal to 0" in str(refused.value)


def test_spans_read_as_durations() -> None:
    assert [span(s) for s in (DAY, 5400, 90, 0)] == ["24h", "1h30m", "1m30s", "0s"]
