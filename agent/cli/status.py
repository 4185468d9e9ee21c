"""`status` and `abort` of a run, from its checkpoint and the live cluster.

Both work from any process: the run's checkpoint says which cluster and engine it uses.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.table import Table

from agent.cli.listing import RunSummary as RunSummary  # re-exported: callers import both from here
from agent.cli.listing import list_runs as list_runs
from agent.cli.output import Format, emit
from agent.config import Settings
from agent.errors import ApprovalError, ClusterError, ClusterUnreachable, MetricsUnavailable
from agent.models import Candidate, CleanupResult, Decision, EffectResult, EngineRef, EngineStatus, Sample
from agent.ports import Deps
from agent.report.verified import status_rows, stored
from agent.run.chaos import derived
from agent.run.chaos import status as chaos_status
from agent.wiring import ClusterBinding, build_audit, open_checkpointer, open_deps, open_store


class RunStatus(BaseModel):
    """What ``status -o json`` prints: where the run stands, its engine and its latest signals."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    phase: str
    outcome: str  # "running" until it has one
    reason: str | None = None
    engine: str | None = None  # namespace/name of the ChaosEngine
    engine_status: EngineStatus | None = None
    engine_seen: str | None = None  # live, last recorded, or why unknown
    sample: Sample | None = None  # the latest signals (live when reachable, else as recorded)
    report_path: str | None = None
    effect: EffectResult | None = None  # did the fault take effect (graphs.nodes.verify)
    cleanup: CleanupResult | None = None  # was its chaos cleaned up, or what was left
    # The seed's fields (agent/cli/seed_status.py): its status, when the run began, the watched
    # service's latest signals in its units (error_rate fraction, latency_p95 s, cpu_usage cores),
    # and the Slack channel's link (None: Slack is off).
    status: str = "running"
    started: datetime | None = None
    metrics_service: str | None = None
    current_metrics: dict[str, float] = {}
    slack_updates: str | None = None


def _load(settings: Settings, run_id: str) -> dict[str, object]:
    from graphs import runner
    from graphs.builder import build

    with open_checkpointer(settings) as saver:
        return dict(runner.view(build(saver), run_id).state)


def _candidates(settings: Settings, run_id: str) -> list[Candidate]:
    with open_store(settings) as store:
        return store.candidates(run_id)


def _samples(settings: Settings, run_id: str) -> list[Sample]:
    with open_store(settings) as store:
        return store.samples(run_id)


def _engine(settings: Settings, state: dict[str, object], run_id: str) -> tuple[EngineRef | None, str | None]:
    """The run's engine (from the checkpoint, else derived from the run id) and experiment."""
    raw = state.get("decision")
    decision = Decision.model_validate(raw) if raw else None
    if decision is None or decision.choice is None:
        return None, None
    spec = _candidates(settings, run_id)[decision.choice - 1].spec
    engine = state.get("engine")
    if engine:
        return EngineRef.model_validate(engine), spec.action.value
    # Approved but no engine recorded: it may have been applied just before a crash.
    return derived(run_id, spec), spec.action.value


def _shown_engine(settings: Settings, state: dict[str, object], run_id: str) -> tuple[EngineRef | None, str | None]:
    """:func:`_engine`, but none for a run that never sent an apply (it failed, was refused or
    was a dry run before one): its derived name names nothing that ever existed."""
    ref, experiment = _engine(settings, state, run_id)
    if ref is None or state.get("engine"):
        return ref, experiment
    with open_store(settings) as store:
        sent = any(e.action == "engine_apply" for e in build_audit(settings, store).entries(run_id))
    return (ref, experiment) if sent else (None, None)


def show_status(console: Console, settings: Settings, run_id: str, fmt: Format = Format.TABLE, *, seed: bool = False) -> None:
    """Print state, engine status (live when reachable, else as last recorded) and the latest
    signals. An unreachable cluster (the twin's server down too) is said, not raised. ``seed``:
    in the seed's layout (``craterctl status``)."""
    from agent.cli.seed_status import print_seed_status

    st = run_status(console, settings, run_id)
    if fmt != Format.TABLE:
        emit(st, fmt)
        return
    if seed:
        print_seed_status(console, st)
        return
    table = Table(title=f"Run {run_id}", show_header=False)
    table.add_row("status", st.status)
    table.add_row("started (UTC)", st.started.strftime("%Y-%m-%d %H:%M:%S") if st.started else "-")
    table.add_row(f"current metrics ({st.metrics_service or '-'})",
                  " | ".join(f"{k} {v:g}" for k, v in st.current_metrics.items()) or "none yet")
    table.add_row("slack updates", st.slack_updates or "off (slack.enabled: false)")
    table.add_row("phase", st.phase)
    table.add_row("outcome", st.outcome)
    if st.reason:
        table.add_row("reason", st.reason)
    if st.engine:
        table.add_row("engine", st.engine)
    if st.engine_status:
        es = st.engine_status
        table.add_row("engine state", f"{es.engine_state} / {es.engine_status or '-'} ({st.engine_seen})")
        table.add_row("verdict", f"{es.verdict or '-'} (phase {es.phase or '-'})")
    elif st.engine_seen:
        table.add_row("engine state", st.engine_seen)
    for name, s in sorted(st.sample.services.items()) if st.sample else []:
        table.add_row(
            f"  {name}",
            f"errors {s.error_rate_pct if s.error_rate_pct is not None else '-'}% | p95 "
            f"{s.latency_p95_ms if s.latency_p95_ms is not None else '-'} ms | ready {s.ready_replicas}/{s.replicas}",
        )
    for row in status_rows(st.effect, st.cleanup, _load(settings, run_id).get("chaos_started_at")):
        table.add_row(*row)
    if st.report_path:
        table.add_row("report", st.report_path)
    elif _unwatched(settings, run_id, _load(settings, run_id)):
        table.add_row("next", recover_hint(run_id))
    console.print(table)


def run_status(console: Console, settings: Settings, run_id: str) -> RunStatus:
    """The run's status from its checkpoint, the live engine and the latest signals."""
    state = _load(settings, run_id)
    ref, experiment = _shown_engine(settings, state, run_id)
    binding = ClusterBinding.model_validate(state.get("cluster") or {})
    sample: Sample | None = None
    engine: tuple[EngineStatus | None, str | None] = (None, None)
    if ref and experiment:
        with open_deps(settings, binding, console=console, realtime=False) as deps:
            live = _live_status(deps, ref, experiment)
            sample = _live_sample(deps, run_id, ref.namespace)
        engine = _engine_seen(live, state.get("engine_status"))
    if sample is None:
        recorded_samples = _samples(settings, run_id)
        sample = recorded_samples[-1] if recorded_samples else None
    from agent.cli import seed_status as seed

    raw = state.get("decision")
    choice = Decision.model_validate(raw).choice if raw else None
    chosen = _candidates(settings, run_id)[choice - 1].spec if choice else None
    service = seed.watched(chosen)
    with open_store(settings) as store:
        verified = stored(store, run_id)
    return RunStatus(
        status=seed.seed_state(state), started=seed.started(state), metrics_service=service,
        current_metrics=seed.current_metrics(sample, service), slack_updates=seed.slack_updates(settings),
        run_id=run_id,
        phase=str(state.get("phase") or ("waiting for approval" if not state.get("decision") else "-")),
        outcome=str(state.get("outcome") or "running"), reason=_str(state.get("reason")),
        engine=f"{ref.namespace}/{ref.name}" if ref and experiment else None,
        engine_status=engine[0], engine_seen=engine[1], sample=sample, report_path=_str(state.get("report_path")),
        effect=verified[0], cleanup=verified[1],
    )


def _str(value: object) -> str | None:
    return str(value) if value else None


def _engine_seen(live: EngineStatus | ClusterError, recorded: object) -> tuple[EngineStatus | None, str | None]:
    """The engine's status: live, else as last recorded, saying when the cluster did not answer
    (which is why the recorded one is shown)."""
    unreachable = isinstance(live, ClusterUnreachable)
    if isinstance(live, EngineStatus):
        return live, "live"
    if recorded:
        return EngineStatus.model_validate(recorded), "last recorded; cluster unreachable" if unreachable else "last recorded"
    return None, "unknown (cluster unreachable)" if unreachable else None


def _live_status(deps: Deps, ref: EngineRef, experiment: str) -> EngineStatus | ClusterError:
    """The engine's status now, or the error that kept it from being read."""
    try:
        return chaos_status(deps, ref, experiment)
    except ClusterError as e:
        return e


def _live_sample(deps: Deps, run_id: str, namespace: str) -> Sample | None:
    names = [t.name for t in deps.store.inventory(run_id).targets if t.namespace == namespace]
    try:
        services = deps.metrics.read(namespace, names)
        return Sample(tick=-1, at=deps.clock.now(), services=services)
    except (MetricsUnavailable, ClusterError):  # the twin's clock is its server too: both may be gone
        return None


def abort_run(console: Console, settings: Settings, run_id: str, *, timeout_s: float, who: str) -> None:
    """Patch the run's engine to stop and wait (on the run's clock) for the Stopped verdict.

    ``who`` asked for it; the request is audited, and the stop itself by the audited cluster.
    """
    from agent.run.abort import abort

    state = _load(settings, run_id)
    ref, experiment = _engine(settings, state, run_id)
    if ref is None or experiment is None:
        raise ApprovalError(f"run {run_id} has no approved experiment, so nothing to abort")
    binding = ClusterBinding.model_validate(state.get("cluster") or {})
    with open_deps(settings, binding, console=console, realtime=False) as deps:
        done = abort(deps, run_id, ref, experiment, who=who, channel="cli", timeout_s=timeout_s)
    if done.patched:
        console.print(f"Patched {done.engine}: engineState: stop")
    console.print(f"Run {run_id}: {done.detail}")
    if _unwatched(settings, run_id, state):
        console.print(recover_hint(run_id), highlight=False)


def _unwatched(settings: Settings, run_id: str, state: dict[str, object]) -> bool:
    """An approved run without its report that no process works on (its lease is free): only
    ``recover`` will finish it."""
    if not state.get("decision") or state.get("report_path"):
        return False
    with open_store(settings) as store, store.lease(run_id, exclusive=True) as free:
        return free


def recover_hint(run_id: str) -> str:
    from agent.cli.common import agent_command

    return (f"Nobody watches run {run_id} now (the process that ran it has ended): "
            f"{agent_command()} recover watches its engine to its end and writes its report.")
