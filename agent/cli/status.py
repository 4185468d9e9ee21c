"""`status` and `abort` of a run, from its checkpoint and the live cluster.

Both work from any process: the run's checkpoint says which cluster and engine it uses.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from agent.config import Settings
from agent.engines.litmus import engine_name
from agent.errors import ApprovalError, ClusterError, ClusterUnreachable, MetricsUnavailable
from agent.models import Candidate, Decision, EngineRef, EngineStatus, Sample
from agent.ports import Deps
from agent.wiring import ClusterBinding, build_audit, open_checkpointer, open_deps, open_store


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
    return EngineRef(name=engine_name(run_id), namespace=spec.target_selector.namespace, uid="", created=False), spec.action.value


def _shown_engine(settings: Settings, state: dict[str, object], run_id: str) -> tuple[EngineRef | None, str | None]:
    """:func:`_engine`, but none for a run that never sent an apply (it failed, was refused or
    was a dry run before one): its derived name names nothing that ever existed."""
    ref, experiment = _engine(settings, state, run_id)
    if ref is None or state.get("engine"):
        return ref, experiment
    with open_store(settings) as store:
        sent = any(e.action == "engine_apply" for e in build_audit(settings, store).entries(run_id))
    return (ref, experiment) if sent else (None, None)


def show_status(console: Console, settings: Settings, run_id: str) -> None:
    """Print state, engine status (live when reachable, else as last recorded) and the latest
    signals. An unreachable cluster (the twin's server down too) is said, not raised."""
    state = _load(settings, run_id)
    ref, experiment = _shown_engine(settings, state, run_id)
    table = Table(title=f"Run {run_id}", show_header=False)
    table.add_row("phase", str(state.get("phase") or ("waiting for approval" if not state.get("decision") else "-")))
    table.add_row("outcome", str(state.get("outcome") or "running"))
    if state.get("reason"):
        table.add_row("reason", str(state["reason"]))
    binding = ClusterBinding.model_validate(state.get("cluster") or {})
    sample: Sample | None = None
    if ref and experiment:
        table.add_row("engine", f"{ref.namespace}/{ref.name}")
        with open_deps(settings, binding, console=console, realtime=False) as deps:
            live = _live_status(deps, ref, experiment)
            sample = _live_sample(deps, run_id, ref.namespace)
        _engine_rows(table, live, state.get("engine_status"))
    if sample is None:
        recorded_samples = _samples(settings, run_id)
        sample = recorded_samples[-1] if recorded_samples else None
    if sample:
        for name, s in sorted(sample.services.items()):
            table.add_row(
                f"  {name}",
                f"errors {s.error_rate_pct if s.error_rate_pct is not None else '-'}% | p95 "
                f"{s.latency_p95_ms if s.latency_p95_ms is not None else '-'} ms | ready {s.ready_replicas}/{s.replicas}",
            )
    if state.get("report_path"):
        table.add_row("report", str(state["report_path"]))
    console.print(table)


def _engine_rows(table: Table, live: EngineStatus | ClusterError, recorded: object) -> None:
    """The engine's state and verdict: live, else as last recorded, saying when the cluster did
    not answer (which is why the recorded one is shown)."""
    unreachable = isinstance(live, ClusterUnreachable)
    if isinstance(live, EngineStatus):
        status, seen = live, "live"
    elif recorded:
        status, seen = EngineStatus.model_validate(recorded), "last recorded; cluster unreachable" if unreachable else "last recorded"
    else:
        if unreachable:
            table.add_row("engine state", "unknown (cluster unreachable)")
        return
    table.add_row("engine state", f"{status.engine_state} / {status.engine_status or '-'} ({seen})")
    table.add_row("verdict", f"{status.verdict or '-'} (phase {status.phase or '-'})")


def _live_status(deps: Deps, ref: EngineRef, experiment: str) -> EngineStatus | ClusterError:
    """The engine's status now, or the error that kept it from being read."""
    try:
        return deps.cluster.engine_status(ref.namespace, ref.name, experiment)
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
