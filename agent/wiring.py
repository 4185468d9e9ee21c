"""The one place that builds adapters from Settings and hands them on as Deps.

Third-party clients are imported here lazily (inside the functions), so ``--help`` stays fast.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from rich.console import Console

from agent.config import Settings
from agent.errors import ConfigError
from agent.ports import Deps, Designer

if TYPE_CHECKING:
    from agent.adapters.checkpoint import PruningSqliteSaver


class ClusterBinding(BaseModel):
    """How a run reaches its cluster; recorded in the run so a resume uses the same one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    twin: bool = False
    manifests: list[str] | None = None  # None: the upstream Sock Shop manifests


def twin_state_path(settings: Settings, binding: ClusterBinding) -> Path:
    """Each set of manifests gets its own twin state file under the state directory."""
    root = settings.path(settings.paths.state_dir) / "twin"
    if not binding.manifests:
        return root / "sock-shop.json"
    key = "\n".join(str(Path(m).resolve()) for m in binding.manifests)
    return root / f"custom-{hashlib.sha256(key.encode()).hexdigest()[:12]}.json"


def build_designer(settings: Settings) -> Designer:
    """The LLM designer (the planner its fallback) when ``llm.enabled``; else the planner."""
    from agent.planner import PlannerDesigner

    planner = PlannerDesigner(actions=settings.policy.actions)
    if not settings.llm.enabled:
        return planner
    from agent.adapters.llm_designer import LLMDesigner

    return LLMDesigner(settings.llm, fallback=planner, policy=settings.policy)


@contextmanager
def open_deps(
    settings: Settings, binding: ClusterBinding, *, console: Console, realtime: bool = True
) -> Iterator[Deps]:
    """Build every adapter; the twin (if bound) serves on 127.0.0.1 until the block ends.

    ``realtime`` paces the twin's virtual clock at ``twin.speed``; tests pass False.
    """
    from agent.adapters.kube import connect
    from agent.adapters.terminal import TerminalNotifier
    from agent.runs import RunStore

    store = RunStore(settings.path(settings.paths.state_dir) / "runs")
    notifier, designer = TerminalNotifier(console), build_designer(settings)
    if not binding.twin:
        from agent.adapters.clock import SystemClock
        from agent.adapters.prometheus import PrometheusMetrics

        cluster = connect(host=None, kubeconfig=settings.k8s.kubeconfig, context=settings.k8s.context)
        metrics = PrometheusMetrics(settings.k8s.monitoring.prometheus)
        yield Deps(
            settings=settings, cluster=cluster, metrics=metrics, clock=SystemClock(),
            notifier=notifier, designer=designer, store=store, metrics_source=metrics.url,
        )
        return
    from agent.adapters.twin import TwinClock, TwinMetrics
    from agent.twin import TwinServer

    manifests = [Path(m) for m in binding.manifests] if binding.manifests else None
    for m in manifests or []:
        if not m.is_file():
            raise ConfigError(f"--manifests {m}: no such file")
    with TwinServer(twin_state_path(settings, binding), manifests=manifests, seed=settings.twin.seed) as twin:
        url = twin.url
        yield Deps(
            settings=settings,
            notifier=notifier,
            designer=designer,
            store=store,
            cluster=connect(host=url, kubeconfig=None, context=None),
            metrics=TwinMetrics(url),
            clock=TwinClock(url, speed=settings.twin.speed if realtime else None),
            metrics_source=f"the Sock Shop twin's signals ({url})",
        )


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[PruningSqliteSaver]:
    """The SQLite checkpointer (WAL and a busy timeout, so several processes share the file)."""
    from agent.adapters.checkpoint import PruningSqliteSaver

    path = settings.path(settings.checkpoint.sqlite_path)
    if settings.checkpoint.backend != "sqlite":
        raise ConfigError(
            f"checkpoint.backend: {settings.checkpoint.backend!r} is not available yet; use 'sqlite'"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    try:
        saver = PruningSqliteSaver(conn, keep=settings.checkpoint.keep_last)
        saver.setup()
        yield saver
    finally:
        conn.close()
