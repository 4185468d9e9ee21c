"""Ports: the small interfaces through which the graph meets the outside world.

Adapters implement them (``agent.adapters``); only ``agent.wiring`` builds adapters, from
Settings, and hands them on in a frozen :class:`Deps`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from agent.models import (
    AuditEntry,
    Candidate,
    ChaosLeftover,
    EngineInfo,
    EngineRef,
    EngineStatus,
    Inventory,
    KillSwitch,
    KubeService,
    LitmusInstall,
    Pod,
    Proposal,
    Rejection,
    Sample,
    Signals,
    Workload,
)
from agent.models.history import MetricsRange
from agent.models.journey import JourneyLog

if TYPE_CHECKING:
    from agent.config import Policy, Settings
    from agent.engines.backend import ChaosBackend
    from agent.engines.litmus import ChaosEngineManifest
    from agent.report.record import Narrative, RunRecord


@dataclass(frozen=True)
class ClusterSnapshot:
    """What a cluster runs in the namespaces asked for."""

    server: str
    workloads: list[Workload]
    services: list[KubeService]
    pods: list[Pod]
    litmus: LitmusInstall


class Cluster(Protocol):
    """The Kubernetes API as the agent uses it."""

    def snapshot(self, namespaces: list[str]) -> ClusterSnapshot:
        """List workloads, services, pods and the Litmus install in ``namespaces``."""
        ...

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        """Create the ChaosEngine (or only validate it server-side when ``dry_run``)."""
        ...

    def find_engine(self, namespace: str, name: str) -> EngineRef | None:
        """The engine called ``name``, if it exists."""
        ...

    def engine_status(self, namespace: str, name: str, experiment: str) -> EngineStatus:
        """The engine's state and its ChaosResult's phase and verdict."""
        ...

    def list_engines(self, namespace: str) -> list[EngineInfo]:
        """Every ChaosEngine in ``namespace`` (``recover`` finds the agent's orphans here)."""
        ...

    def stop_engine(self, namespace: str, name: str) -> None:
        """Patch ``spec.engineState: stop``."""
        ...

    def chaos_leftovers(self, namespace: str, engine: str, engine_uid: str) -> list[ChaosLeftover]:
        """The pods and ChaosResults Litmus made for ``engine``: labelled ``chaosUID=<engine_uid>``
        in ``namespace`` (selected on the server; nothing else is listed)."""
        ...

    def delete_leftover(self, leftover: ChaosLeftover) -> bool:
        """Delete one (only that very object: its uid is a precondition); False when already gone."""
        ...

    def delete_engine(self, namespace: str, name: str, *, uid: str, resource_version: str) -> bool:
        """Delete the engine only if it is unchanged since listed (uid and resourceVersion are
        preconditions: a change raises Conflict); False when already gone."""
        ...


class Metrics(Protocol):
    """Named SLO signals per service."""

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        """Current signals of ``services``; raises MetricsUnavailable when none can be read."""
        ...

    def describe(self, namespace: str, service: str, signal: str) -> str:
        """Where one signal comes from (the PromQL, or the twin field), for the report."""
        ...


@runtime_checkable
class RangeMetrics(Metrics, Protocol):
    """Metrics with history (Prometheus): ``range`` reads every signal from start to end at one step (the
    scrape interval) after the run; None: no history, and the report keeps the monitor's samples."""

    def range(self, namespace: str, services: list[str], start: datetime, end: datetime) -> MetricsRange | None: ...


class Journey(Protocol):
    """The user-journey probe (``agent.run.journey``): start, then stop for its log (None: not probed here)."""

    def start(self, run_id: str) -> None: ...

    def stop(self, run_id: str) -> JourneyLog | None: ...


class CallSource(Protocol):
    """Calls observed at run time (request metrics with a caller label), beside those the
    manifests show."""

    def observed_calls(self, namespace: str) -> list[tuple[str, str, str]]:
        """(caller workload, callee workload, evidence) seen in ``namespace``; raises
        MetricsUnavailable when the source cannot be read."""
        ...


class Clock(Protocol):
    """Time as the run sees it: the wall clock, or the twin's virtual clock."""

    def now(self) -> datetime:
        """The current time (timezone-aware UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass."""
        ...


class Notifier(Protocol):
    """Where people see candidates, progress and the result."""

    def candidates(self, run_id: str, candidates: list[Candidate], rejected: list[Rejection]) -> None:
        """Show the ranked candidates awaiting approval."""
        ...

    def progress(self, run_id: str, title: str, line: str) -> None:
        """Show a progress line of a running experiment (every ``update_interval_s``)."""
        ...

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        """See every baseline reading (``phase`` "baseline") and every monitor tick: ``line`` says
        where the run is, each abort signal against its threshold and the predicted path's signals
        (``agent.run.progress``); a live view may redraw, a log take the line, others ignore it."""
        ...

    def finished(self, run_id: str, tldr: str, report: Path) -> None:
        """Show the one-line result and the report's path."""
        ...


class Designer(Protocol):
    """Proposes candidate experiments for an inventory."""

    name: str

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        """Up to ``count`` ranked candidates (rank 1 first), with any notice and token usage."""
        ...


class Narrator(Protocol):
    """Writes the report's prose from a run's evidence (an LLM); None falls back to the data."""

    def narrate(self, record: RunRecord) -> Narrative | None:
        """Checked prose, or None when the model is unavailable or wrote nothing usable."""
        ...


M = TypeVar("M", bound=BaseModel)


class RunStore(Protocol):
    """Per-run data kept out of the checkpoints: files (``agent.run.files``) or, shared by several
    replicas, PostgreSQL tables (``agent.adapters.pg_runstore``). One contract suite tests both."""

    def save(self, run_id: str, name: str, model: BaseModel) -> None:
        """Store one model under ``name`` (a replayed step overwrites it with the same value)."""
        ...

    def load(self, run_id: str, name: str, cls: type[M]) -> M:
        """Read ``name`` back as ``cls``; a missing one raises ChaosAdvisorError."""
        ...

    def save_inventory(self, run_id: str, inventory: Inventory) -> None: ...

    def inventory(self, run_id: str) -> Inventory: ...

    def save_candidates(self, run_id: str, candidates: list[Candidate]) -> None: ...

    def candidates(self, run_id: str) -> list[Candidate]: ...

    def append(self, run_id: str, sample: Sample) -> None:
        """Record one tick's sample (a replayed tick records it again; the last one wins)."""
        ...

    def samples(self, run_id: str) -> list[Sample]:
        """All samples of a run in tick order, the last write of each tick winning."""
        ...

    def claim(self, run_id: str, key: str) -> bool:
        """Atomically claim ``key`` for ``run_id``: True for the first caller only, across
        threads, processes and (PostgreSQL) replicas."""
        ...

    def release(self, run_id: str, key: str) -> bool:
        """Drop the claim on ``key`` (its claimer died before answering); True if there was one."""
        ...

    def kill_switch(self) -> KillSwitch:
        """The kill switch as last set (off when never set); raises when the store cannot be read."""
        ...

    def set_kill_switch(self, switch: KillSwitch) -> None:
        """Record the kill switch for every replica sharing this store."""
        ...

    def lease(self, run_id: str, *, exclusive: bool = False, wait_s: float = 0.0) -> AbstractContextManager[bool]:
        """Hold the run's lease for the block: shared by every process working on the run, or
        exclusive (``recover``: nobody alive works on it). Yields False when it cannot be had
        within ``wait_s``. A dead process's lease is gone with it (an OS file lock, a PostgreSQL
        session lock)."""
        ...


class AuditLog(Protocol):
    """The append-only audit log: every decision and every cluster write (DESIGN.md, safety)."""

    def record(self, entry: AuditEntry) -> None:
        """Append ``entry`` durably; never rewrites what is there."""
        ...

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        """Every entry in the order recorded; only ``run_id``'s when given."""
        ...


class PolicySource(Protocol):
    """The policy in force *now*: stack.yaml read again and the kill switch of the shared state,
    so a plan paused yesterday meets today's policy when it is approved and when it is applied."""

    def current(self) -> Policy:
        """The policy at this moment; raises ConfigError when stack.yaml cannot be read now."""


def no_stop() -> str | None:
    """Nobody asked to stop (the default of :attr:`Deps.stop_requested`)."""
    return None


def utc_now() -> datetime:
    """The real time (never the twin's virtual clock): approval expiry and the audit use it."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Deps:
    """Everything a graph node may use, built once by ``agent.wiring``."""

    settings: Settings
    cluster: Cluster
    metrics: Metrics
    clock: Clock
    notifier: Notifier
    designer: Designer
    store: RunStore
    audit: AuditLog
    metrics_source: str = "metrics"  # shown in reports: where the signals came from
    narrator: Narrator | None = None  # None: reports are written from the data alone
    recovering: bool = False  # `recover` resumes the run: apply no new chaos, only watch or finish
    policy_source: PolicySource | None = None  # None: settings.policy, as loaded (tests, Studio)
    wall_now: Callable[[], datetime] = utc_now  # real time, injected so tests can move it
    # Who asked to stop (Ctrl-C, SIGTERM), or None: the monitor stops the engine as on a breach.
    stop_requested: Callable[[], str | None] = no_stop
    call_source: CallSource | None = None  # k8s.monitoring.prometheus.calls_query, when configured
    journey: Journey | None = None  # the user-journey probe (journey.enabled; on by default with --twin)
    engines: dict[str, ChaosBackend] = field(default_factory=dict)  # besides Litmus, by name (agent.wire.chaos)

    def policy(self) -> Policy:
        """The policy in force now (see :class:`PolicySource`)."""
        return self.policy_source.current() if self.policy_source is not None else self.settings.policy
