"""Tool: where a run stands, with its engine's live status and the latest signals."""

from __future__ import annotations

from datetime import datetime

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from agent.errors import ClusterError, MetricsUnavailable
from agent.models import EngineRef, EngineStatus, Sample
from agent.ports import Deps
from agent.run.chaos import status as chaos_status
from tools.runs import RunControl, RunSummary, chosen


class ServiceSignals(BaseModel):
    """One service's signals in the latest sample."""

    service: str
    error_rate_pct: float | None = None  # % of requests failing
    latency_p95_ms: float | None = None
    ready: str = "-"  # ready/desired replicas


class RunStatus(BaseModel):
    """A run's checkpoint, its engine (live when the cluster answers) and its latest signals."""

    run: RunSummary
    engine: str | None = None  # namespace/name of the ChaosEngine
    engine_live: EngineStatus | None = None  # None: no engine yet, or the cluster did not answer
    signals_live: bool = False  # False: the last sample the run recorded
    signals_at: datetime | None = None
    signals: list[ServiceSignals] = []


def status_tool(runs: RunControl) -> BaseTool:
    @tool(parse_docstring=True)
    def run_status(run_id: str) -> RunStatus:
        """Show where a run stands: waiting for approval, running, or its outcome and reason;
        its ChaosEngine's live state and verdict; and each service's latest error rate, p95
        latency and ready replicas. Read-only.

        Args:
            run_id: The run's id, e.g. "3f9a1c2e".
        """
        run = runs.get(run_id)
        with runs.on_cluster(run_id) as deps:
            picked = chosen(deps, run)
            live, sample = None, None
            if picked is not None:
                ref, spec = picked
                live = _engine(deps, ref, spec.action.value)
                sample = _sample(deps, run_id, ref.namespace)
            signals_live = sample is not None
            if sample is None:
                recorded = deps.store.samples(run_id)
                sample = recorded[-1] if recorded else None
        return RunStatus(
            run=run,
            engine=f"{picked[0].namespace}/{picked[0].name}" if picked else None,
            engine_live=live,
            signals_live=signals_live,
            signals_at=sample.at if sample else None,
            signals=_signals(sample),
        )

    return run_status


def _engine(deps: Deps, ref: EngineRef, experiment: str) -> EngineStatus | None:
    try:
        return chaos_status(deps, ref, experiment)
    except ClusterError:
        return None  # not applied (yet), or the cluster is away: the checkpoint still answers


def _sample(deps: Deps, run_id: str, namespace: str) -> Sample | None:
    names = [t.name for t in deps.store.inventory(run_id).targets if t.namespace == namespace]
    try:
        return Sample(tick=-1, at=deps.clock.now(), services=deps.metrics.read(namespace, names))
    except (MetricsUnavailable, ClusterError):
        return None


def _signals(sample: Sample | None) -> list[ServiceSignals]:
    if sample is None:
        return []
    return [
        ServiceSignals(service=name, error_rate_pct=s.error_rate_pct, latency_p95_ms=s.latency_p95_ms,
                       ready=f"{s.ready_replicas}/{s.replicas}" if s.replicas is not None else "-")
        for name, s in sorted(sample.services.items())
    ]
