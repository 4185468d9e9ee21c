"""Shared state in a real PostgreSQL (``checkpoint.backend: postgres``): a run paused by one
process is resumed by others, exactly once, and a long run keeps the checkpoint tables bounded.

The twin's own state stays a local file: it stands in for the cluster, which replicas share anyway.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from kubernetes import client
from pydantic import SecretStr
from rich.console import Console

from agent.config import Settings, load_settings
from agent.errors import ApprovalError, ConfigError
from agent.models import Decision
from agent.ports import Deps
from agent.wiring import ClusterBinding, open_checkpointer, open_deps, open_store
from graphs import runner
from graphs.builder import build
from tests.integration.postgres_fixture import RunningPostgres
from tests.integration.test_checkpoint_growth import LONG
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(postgres: RunningPostgres) -> str:
    return postgres.fresh_database()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    return tmp_path


def env_for(url: str) -> dict[str, str]:
    """A replica's environment: the postgres backend, chosen the usual way (no stack.yaml edit)."""
    return os.environ | {
        "CHAOS_ADVISOR_CHECKPOINT__BACKEND": "postgres",
        "CHAOS_ADVISOR_CHECKPOINT__POSTGRES_URL": url,
        "CHAOS_ADVISOR_TWIN__SPEED": "1000000",  # the twin's clock runs without waiting
        "COLUMNS": "200",
    }


def agent_argv(workdir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "agent", *args, "--config", str(workdir / "stack.yaml")]


def engines(twin_state: Path) -> list[str]:
    with TwinServer(twin_state) as twin:
        api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=twin.url)))
        found = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")
    return [e["metadata"]["name"] for e in found["items"]]


def rows(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql, params).fetchall())


def count(url: str, table: str, run_id: str) -> int:
    return int(rows(url, f"SELECT count(*) FROM {table} WHERE thread_id = %s", run_id)[0][0])  # noqa: S608


def test_a_run_paused_by_one_process_is_resumed_by_another_exactly_once(workdir: Path, database: str) -> None:
    env = env_for(database)
    first = subprocess.run(agent_argv(workdir, "run-graph", "--twin"), cwd=workdir, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert first.returncode == 7, first.stderr + first.stdout  # left waiting for an approval
    run_id = re.search(r"resume (\w+) --approve N", first.stdout).group(1)  # type: ignore[union-attr]
    # Everything of the run is in PostgreSQL; nothing in the local state directory but the twin.
    assert sorted(p.name for p in (workdir / ".chaos-advisor").iterdir()) == ["twin"]
    saved = rows(database, "SELECT name FROM ca_run_documents WHERE run_id = %s ORDER BY name", run_id)
    assert saved == [("candidates",), ("inventory",)]
    assert count(database, "checkpoints", run_id) >= 1

    # Three replicas answer at once: one resumes the run, the others change nothing.
    resumes = [subprocess.Popen(agent_argv(workdir, "resume", run_id, "--approve", "1"), cwd=workdir, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in resumes]
    winners = [out for rc, out, err in outs if rc != 1]  # the run's code (3: carts-db's weakness); the others 1
    assert len(winners) == 1, outs
    assert f"Run {run_id}: completed" in winners[0]
    assert all(rc == 1 and "nothing changed" in out for rc, out, _ in outs if out not in winners), outs
    assert engines(workdir / ".chaos-advisor" / "twin" / "sock-shop.json") == [f"ca-{run_id}"]

    report = (workdir / "reports" / "latest.md").read_text()
    timeline = report.split("## Timeline")[1].split("##")[0]
    assert timeline.count("| discovered |") == 1  # the steps before the approval did not re-run
    assert timeline.count("| applied |") == 1
    assert rows(database, "SELECT count(*) FROM ca_run_claims WHERE run_id = %s", run_id) == [(1,)]
    status = subprocess.run(agent_argv(workdir, "status", run_id), cwd=workdir, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert status.returncode == 0 and "completed" in status.stdout, status.stderr + status.stdout


@pytest.fixture
def pg_settings(workdir: Path, database: str) -> Settings:
    settings = load_settings(workdir / "stack.yaml")
    checkpoint = settings.checkpoint.model_copy(update={"backend": "postgres", "postgres_url": SecretStr(database)})
    return settings.model_copy(update={"checkpoint": checkpoint})


@pytest.fixture
def twin_deps(pg_settings: Settings) -> Iterator[Deps]:
    binding = ClusterBinding(twin=True)
    with open_deps(pg_settings, binding, console=Console(file=io.StringIO()), realtime=False) as deps:
        yield deps


def test_fifty_concurrent_resumes_through_postgres_create_one_engine(pg_settings: Settings, twin_deps: Deps) -> None:
    with open_checkpointer(pg_settings) as saver:
        paused = runner.start(build(saver), twin_deps, run_id="pgonce01", count=2, cluster={"twin": True})
    assert paused.interrupt_id
    results: list[str] = []
    go = threading.Event()

    def replica(i: int) -> None:
        decision = Decision(verdict="approve", choice=1, approver=f"u{i}", channel="cli", at=twin_deps.clock.now())
        # Each "replica" has its own connections for the checkpoints and for the run store.
        with open_checkpointer(pg_settings) as own, open_store(pg_settings) as store:
            deps = dataclasses.replace(twin_deps, store=store)
            go.wait()
            try:
                runner.resume(build(own), deps, "pgonce01", decision, interrupt_id=paused.interrupt_id)
                results.append("resumed")
            except ApprovalError as e:
                results.append(str(e))

    threads = [threading.Thread(target=replica, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=120)
    api = client.CustomObjectsApi(client.ApiClient(client.Configuration(host=twin_deps.cluster.server)))  # type: ignore[attr-defined]
    items = api.list_namespaced_custom_object("litmuschaos.io", "v1alpha1", "sock-shop", "chaosengines")["items"]
    assert len(results) == 50
    assert results.count("resumed") == 1
    assert all("nothing changed" in r for r in results if r != "resumed")
    assert [e["metadata"]["name"] for e in items] == ["ca-pgonce01"]


def test_a_150_tick_run_keeps_the_checkpoint_tables_bounded(pg_settings: Settings) -> None:
    settings = pg_settings.model_copy(update={"monitor": pg_settings.monitor.model_copy(update={"poll_interval_s": 1})})
    url = settings.checkpoint.postgres_url.get_secret_value()  # type: ignore[union-attr]
    keep = settings.checkpoint.keep_last
    with open_deps(settings, ClusterBinding(twin=True), console=Console(file=io.StringIO()), realtime=False) as deps:
        with open_checkpointer(settings) as saver:
            view = runner.start(build(saver), deps, run_id="pglong01", count=1, cluster={"twin": True}, preset=LONG)
        assert view.waiting is not None
        with open_checkpointer(settings) as saver:  # a new connection, as another replica would open
            decision = Decision(verdict="approve", choice=1, approver="t", channel="cli", at=deps.clock.now())
            state = runner.resume(build(saver), deps, "pglong01", decision).state
        samples = deps.store.samples("pglong01")
    assert state["outcome"] == "completed"
    assert state["tick"] >= 150 and len(samples) >= 150
    assert count(url, "checkpoints", "pglong01") == keep
    assert count(url, "checkpoint_writes", "pglong01") <= 10 * keep  # a tick writes a handful of channels
    channels = len(rows(url, "SELECT DISTINCT channel FROM checkpoint_blobs WHERE thread_id = %s", "pglong01"))
    assert count(url, "checkpoint_blobs", "pglong01") <= channels * keep  # old versions went with their checkpoints


def test_the_postgres_backend_without_a_url_is_one_config_error(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAOS_ADVISOR_CHECKPOINT__BACKEND", "postgres")  # over stack.yaml's sqlite
    settings = load_settings(workdir / "stack.yaml")
    assert settings.checkpoint.backend == "postgres" and settings.checkpoint.keep_last == 10
    with pytest.raises(ConfigError, match=r"^checkpoint.postgres_url: missing.*CHAOS_ADVISOR_CHECKPOINT__POSTGRES_URL"):
        with open_checkpointer(settings):
            pass
