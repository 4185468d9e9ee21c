"""The one place that builds adapters from Settings and hands them on as Deps.

Third-party clients are imported here lazily (inside the functions), so ``--help`` stays fast.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict
from rich.console import Console

from agent.config import Settings
from agent.config.files import check_manifests, make_dirs, remove_dirs
from agent.errors import ConfigError
from agent.ports import Deps, Narrator, Notifier
from agent.wire.designers import build_designer  # with the custom templates; tests import it from here

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from agent.adapters.kube import RetryPolicy
    from agent.adapters.slack_web import SlackWeb
    from agent.ports import AuditLog, RunStore
    from agent.slack.commands import Commands
    from agent.slack.decisions import Decisions
    from agent.slack.ports import Listener


class ClusterBinding(BaseModel):
    """How a run reaches its cluster; recorded in the run so a resume uses the same one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    twin: bool = False
    manifests: list[str] | None = None  # None: the upstream Sock Shop manifests
    cluster: str | None = None  # its name in stack.yaml's clusters: (None: the first, or the k8s section)


def twin_state_path(settings: Settings, binding: ClusterBinding) -> Path:
    """Each set of manifests gets its own twin state file under the state directory."""
    root = settings.path(settings.paths.state_dir) / "twin"
    if not binding.manifests:
        return root / "sock-shop.json"
    key = "\n".join(str(Path(m).resolve()) for m in binding.manifests)
    return root / f"custom-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json"


def prepare_twin(settings: Settings, binding: ClusterBinding) -> list[Path] | None:
    """The twin's ``--manifests``, checked (readable UTF-8 YAML), and its state directory, made:
    what the twin would fail on with a traceback, refused first with one line."""
    manifests = [Path(m) for m in binding.manifests] if binding.manifests else None
    check_manifests(manifests or [])
    make_dirs([(twin_state_path(settings, binding).parent, _field(settings, "paths.state_dir"))])
    return manifests


def build_audit(settings: Settings, store: RunStore) -> AuditLog:
    """The append-only audit log: ``<paths.state_dir>/audit.jsonl`` (shared by every process on
    the machine), or with ``checkpoint.backend: postgres`` a table beside the runs (shared by
    every replica, and kept when a pod and its disk go)."""
    if settings.checkpoint.backend == "postgres":
        from agent.adapters.pg_runstore import PostgresRunStore

        if isinstance(store, PostgresRunStore):
            return store.audit_log()
    from agent.adapters.audit_file import FileAuditLog

    return FileAuditLog(settings.path(settings.paths.state_dir) / "audit.jsonl")


def build_narrator(settings: Settings) -> Narrator | None:
    """The LLM narrator when ``llm.enabled``; else None (reports are written from the data alone)."""
    if not settings.llm.enabled:
        return None
    from agent.adapters.llm_narrator import LLMNarrator

    return LLMNarrator(settings.llm)


def open_chat_model(settings: Settings) -> BaseChatModel:
    """The chat REPL's model behind ``llm.base_url`` (errors mapped to project errors)."""
    from agent.adapters.llm_chat import chat_model

    return chat_model(settings.llm)


def build_notifier(settings: Settings, store: RunStore, console: Console) -> Notifier:
    """The terminal; with ``slack.enabled`` also Slack, best effort (a Slack failure is a
    warning on ``console`` and the run goes on)."""
    from agent.adapters.terminal import TerminalNotifier

    terminal = TerminalNotifier(console, store)
    if not settings.slack.enabled:
        return terminal
    from agent.adapters.slack_notifier import BestEffort, SlackNotifier

    slack = SlackNotifier(slack_web(settings), store, channel=settings.slack.channel,
                          interval_s=settings.slack.update_interval_s, reports_url=settings.slack.reports_url)
    return BestEffort(terminal, slack, warn=lambda m: console.print(f"[yellow]warning:[/yellow] {m}", highlight=False))


def slack_web(settings: Settings) -> SlackWeb:
    """The Slack Web API client (``slack.bot_token``, ``base_url``, timeout, bounded retries)."""
    from agent.adapters.slack_web import SlackWeb

    s = settings.slack
    if s.bot_token is None or not s.bot_token.get_secret_value():
        raise ConfigError(
            "slack.bot_token: missing, but Slack is used (slack.enabled or slack serve); set it in "
            "stack.yaml or CHAOS_ADVISOR_SLACK__BOT_TOKEN (the app's xoxb-... bot token)"
        )
    return SlackWeb(s.bot_token.get_secret_value(), base_url=s.base_url, timeout_s=s.timeout_s, retries=s.retries)


def slack_listener(settings: Settings, decisions: Decisions, commands: Commands, **http: Any) -> Listener:
    """slack-bolt behind ``slack serve``, HTTP or Socket Mode (``slack.mode``); ``http``: host, port, limits."""
    from agent.adapters.slack_listen import open_listener

    return open_listener(settings.slack, slack_web(settings), decisions, commands, **http)


@contextmanager
def open_deps(
    settings: Settings, binding: ClusterBinding, *, console: Console, realtime: bool = True
) -> Iterator[Deps]:
    """Build every adapter; the twin (if bound) serves on 127.0.0.1 until the block ends.

    ``realtime`` paces the twin's virtual clock at ``twin.speed``; tests pass False.
    """
    from agent.config.clusters import settings_for
    from agent.run.switch import LivePolicy
    from agent.wire.chaos import with_engines

    settings = settings_for(settings, binding.cluster)  # one cluster of clusters: (none listed: as it is)
    with open_store(settings) as store, _open_deps(settings, binding, store, console=console, realtime=realtime) as deps:
        yield with_engines(replace(deps, policy_source=LivePolicy(settings, store)), twin=binding.twin)


@contextmanager
def _open_deps(
    settings: Settings, binding: ClusterBinding, store: RunStore, *, console: Console, realtime: bool
) -> Iterator[Deps]:
    from agent.adapters.kube import connect
    from agent.run.audited import AuditedCluster
    from agent.wire.clusters import on_cluster
    from agent.wire.journey import with_journey

    notifier, designer = build_notifier(settings, store, console), build_designer(settings)
    audit = on_cluster(build_audit(settings, store), settings.cluster)  # every entry names the cluster
    if not binding.twin:
        from agent.adapters.clock import SystemClock
        from agent.adapters.prometheus import PrometheusCalls, PrometheusMetrics

        clock = SystemClock()
        kube = connect(host=None, kubeconfig=settings.k8s.kubeconfig, context=settings.k8s.context,
                       retry=retry_policy(settings))
        metrics = PrometheusMetrics(settings.k8s.monitoring.prometheus)
        calls = PrometheusCalls(metrics) if settings.k8s.monitoring.prometheus.calls_query else None
        yield with_journey(Deps(
            settings=settings, cluster=AuditedCluster(kube, audit, clock), metrics=metrics, clock=clock,
            notifier=notifier, designer=designer, store=store, audit=audit, metrics_source=metrics.url,
            narrator=build_narrator(settings), call_source=calls,
        ), twin_url=None)
        return
    from agent.wire.twin import twin_deps
    from twin import TwinServer

    manifests = prepare_twin(settings, binding)
    on_twin = partial(twin_deps, settings, notifier=notifier, designer=designer, narrator=build_narrator(settings),
                      store=store, audit=audit, realtime=realtime)
    if settings.twin.url:  # a twin serving elsewhere outlives this process, as a cluster would
        with on_twin(settings.twin.url.rstrip("/")) as deps:
            yield deps
        return
    mesh = settings.engines.default == "chaos-mesh"  # the in-process twin has Chaos Mesh when it is the default
    state = twin_state_path(settings, binding)
    with TwinServer(state, manifests=manifests, seed=settings.twin.seed, chaos_mesh=mesh) as twin, on_twin(twin.url) as deps:
        yield deps


def retry_policy(settings: Settings) -> RetryPolicy:
    """Per-request timeout and bounded retries of the Kubernetes API (``k8s.*``)."""
    from agent.adapters.kube import RetryPolicy

    k = settings.k8s
    # A monitor tick makes up to three engine calls (engine, ChaosResult, stop): bound each so
    # that a hung API is noticed, and the stop sent, within monitor.cluster_grace_s.
    deadline = max(1.0, settings.monitor.cluster_grace_s / 3)
    return RetryPolicy(timeout_s=k.request_timeout_s, attempts=k.retry_attempts,
                       backoff_s=k.retry_backoff_s, backoff_max_s=k.retry_backoff_max_s, deadline_s=deadline)


def postgres_url(settings: Settings) -> str:
    """``checkpoint.postgres_url`` (stack.yaml or CHAOS_ADVISOR_CHECKPOINT__POSTGRES_URL)."""
    url = settings.checkpoint.postgres_url
    if url is None or not url.get_secret_value():
        raise ConfigError(
            "checkpoint.postgres_url: missing, but checkpoint.backend is 'postgres'; set it in stack.yaml "
            "or CHAOS_ADVISOR_CHECKPOINT__POSTGRES_URL (postgresql://USER:PASSWORD@HOST:PORT/DB)"
        )
    return url.get_secret_value()


@contextmanager
def open_store(settings: Settings) -> Iterator[RunStore]:
    """Where runs keep their large data: files under ``paths.state_dir``, or PostgreSQL tables
    shared by every replica when ``checkpoint.backend: postgres``."""
    if settings.checkpoint.backend == "postgres":
        from agent.adapters.pg_runstore import open_postgres_store

        with open_postgres_store(postgres_url(settings)) as shared:
            yield shared
        return
    from agent.run.files import FileRunStore

    make_dirs([(settings.path(settings.paths.state_dir), _field(settings, "paths.state_dir"))])
    yield FileRunStore(settings.path(settings.paths.state_dir) / "runs")


def _field(settings: Settings, name: str) -> str:
    """``name`` as error messages show it: ``<stack.yaml> paths.state_dir``."""
    return f"{settings.source} {name}" if settings.source else name


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """The run checkpointer: SQLite (WAL and a busy timeout, so several processes share the
    file), or PostgreSQL shared by several replicas when ``checkpoint.backend: postgres``.
    Both keep only the newest ``checkpoint.keep_last`` checkpoints of a run."""
    if settings.checkpoint.backend == "postgres":
        from agent.adapters.pg_checkpoint import open_postgres_saver

        with open_postgres_saver(postgres_url(settings), keep=settings.checkpoint.keep_last) as pg:
            yield pg
        return
    conn, saver = _open_sqlite(settings)
    try:
        yield saver
    finally:
        conn.close()


def _open_sqlite(settings: Settings) -> tuple[sqlite3.Connection, BaseCheckpointSaver]:
    """The checkpoint database's connection and saver, or a ConfigError naming
    ``checkpoint.sqlite_path`` (and the directories made for it removed again)."""
    from agent.adapters.checkpoint import PruningSqliteSaver

    path, field = settings.path(settings.checkpoint.sqlite_path), _field(settings, "checkpoint.sqlite_path")
    if os.path.isdir(path):
        raise ConfigError(f"{field}: {str(path)!r} is a directory; name a file, e.g. {str(path / 'checkpoints.sqlite')!r}")
    made = make_dirs([(settings.path(settings.paths.state_dir), _field(settings, "paths.state_dir")), (path.parent, field)])
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        saver = PruningSqliteSaver(conn, keep=settings.checkpoint.keep_last)
        saver.setup()
    except (sqlite3.Error, ValueError) as e:  # e.g. not a database, a path it cannot create; ValueError: a NUL
        if conn is not None:
            conn.close()
        remove_dirs(made)
        raise ConfigError(f"{field}: cannot use {str(path)!r} as the checkpoint database ({e}); "
                          "name a new file or an SQLite file in a writable directory") from None
    return conn, saver
