"""One contract for both RunStores: the files under the state directory and the PostgreSQL tables
(a real server, tests/integration/postgres_fixture.py). Graph nodes cannot tell them apart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.errors import ChaosAdvisorError, StateUnavailable
from agent.models import Candidate, KillSwitch, Sample, Signals
from agent.ports import RunStore
from agent.run.files import FileRunStore
from tests.factories import T0, shop, spec
from tests.integration.postgres_fixture import RunningPostgres


@pytest.fixture(params=["files", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[RunStore, RunStore]]:
    """Two handles on one store, as two processes (or replicas) would hold them."""
    if request.param == "files":
        yield FileRunStore(tmp_path / "runs"), FileRunStore(tmp_path / "runs")
        return
    from agent.adapters.pg_runstore import open_postgres_store

    server: RunningPostgres = request.getfixturevalue("postgres")
    url = server.fresh_database()
    with open_postgres_store(url) as pg, open_postgres_store(url) as other:
        yield pg, other


@pytest.fixture
def store(stores: tuple[RunStore, RunStore]) -> RunStore:
    return stores[0]


def sample(tick: int, errors: float) -> Sample:
    return Sample(tick=tick, at=T0 + timedelta(seconds=tick), services={"carts": Signals(error_rate_pct=errors)})


def test_documents_round_trip_and_a_missing_one_says_which(store: RunStore) -> None:
    inv = shop()
    store.save_inventory("r1", inv)
    store.save("r1", "baseline", sample(0, 0.5))
    store.save("r1", "baseline", sample(0, 0.7))  # a replayed step rewrites it
    candidates = [Candidate(rank=1, score=0.9, spec=spec()), Candidate(rank=2, score=0.5, spec=spec(title="Web pod delete"))]
    store.save_candidates("r1", candidates)
    assert store.inventory("r1") == inv
    assert store.load("r1", "baseline", Sample) == sample(0, 0.7)
    assert store.candidates("r1") == candidates
    with pytest.raises(ChaosAdvisorError, match="run r2"):
        store.inventory("r2")


def test_samples_come_back_in_tick_order_with_the_last_write_of_a_tick_winning(store: RunStore) -> None:
    assert store.samples("r1") == []
    for tick, errors in [(1, 1.0), (2, 2.0), (3, 3.0), (2, 9.0)]:  # tick 2 replayed
        store.append("r1", sample(tick, errors))
    store.append("other", sample(1, 5.0))
    assert store.samples("r1") == [sample(1, 1.0), sample(2, 9.0), sample(3, 3.0)]


def test_claim_is_won_once_among_racing_threads(store: RunStore) -> None:
    won: list[bool] = []
    go = threading.Event()

    def race() -> None:
        go.wait()
        won.append(store.claim("r1", "interrupt-1"))

    threads = [threading.Thread(target=race) for _ in range(20)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=30)
    assert sorted(won) == [False] * 19 + [True]
    assert store.claim("r1", "interrupt-2") is True  # another interrupt of the run
    assert store.claim("r2", "interrupt-1") is True  # the same key of another run


def test_an_unreachable_server_is_one_clear_error_without_the_password(postgres: RunningPostgres) -> None:
    from agent.adapters.pg_runstore import open_postgres_store
    from tests.integration.prometheus_fixture import free_port

    url = f"postgresql://chaos:s3cret@127.0.0.1:{free_port()}/chaos"
    with pytest.raises(StateUnavailable) as caught:
        with open_postgres_store(url):
            pass
    message = str(caught.value)
    assert message.startswith(f"checkpoint.postgres_url (127.0.0.1:{url.split(':')[3].split('/')[0]}/chaos): cannot connect")
    assert "s3cret" not in message


def test_a_released_claim_can_be_won_again(store: RunStore) -> None:
    assert store.claim("r1", "interrupt-1")
    assert not store.claim("r1", "interrupt-1")
    assert store.release("r1", "interrupt-1") is True
    assert store.release("r1", "interrupt-1") is False
    assert store.claim("r1", "interrupt-1")


def test_leases_are_shared_by_workers_and_exclusive_for_recover(stores: tuple[RunStore, RunStore]) -> None:
    worker, other = stores
    with worker.lease("r1") as held:
        assert held
        with other.lease("r1") as second:
            assert second  # another worker on the same run
        with other.lease("r1", exclusive=True) as recovering:
            assert not recovering  # a live worker: recover leaves the run alone
        with other.lease("r2", exclusive=True) as elsewhere:
            assert elsewhere  # per run
    with other.lease("r1", exclusive=True) as recovering:
        assert recovering  # nobody works on it any more
        with worker.lease("r1") as late:
            assert not late  # a worker arriving meanwhile is told to wait
    with worker.lease("r1", exclusive=True) as again:
        assert again  # every lease was given back


def test_the_audit_log_appends_and_filters(stores: tuple[RunStore, RunStore], tmp_path: Path) -> None:
    from agent.adapters.audit_file import FileAuditLog
    from agent.models import AuditEntry

    store, other = stores
    logs = (store.audit_log(), other.audit_log()) if hasattr(store, "audit_log") else (
        FileAuditLog(tmp_path / "audit.jsonl"), FileAuditLog(tmp_path / "audit.jsonl"))
    for i, run in enumerate(["r1", "r2", "r1"]):
        logs[i % 2].record(AuditEntry(run_at=T0, run_id=run, who="tester", action="decision", what=f"#{i}", result="ok"))
    assert [e.what for e in logs[0].entries(None)] == ["#0", "#1", "#2"]
    assert [e.what for e in logs[1].entries("r1")] == ["#0", "#2"]


def test_the_kill_switch_is_off_until_set_and_every_store_sharing_the_state_sees_it(
    stores: tuple[RunStore, RunStore],
) -> None:
    one, other = stores
    assert one.kill_switch() == KillSwitch()
    at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    one.set_kill_switch(KillSwitch(on=True, by="cli:alice", at=at, reason="incident 42"))
    assert other.kill_switch() == KillSwitch(on=True, by="cli:alice", at=at, reason="incident 42")
    other.set_kill_switch(KillSwitch(on=False, by="cli:bob", at=at))
    assert one.kill_switch().on is False
