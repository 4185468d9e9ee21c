"""Was the chaos cleaned up? One reading of the cluster and the metrics, judged (pure).

After every ending (complete, abort, a refusal or failure after the apply, ``recover`` after a
crash) the agent reads, until all hold or ``monitor.cleanup_timeout_s`` passes:

- the run's ChaosEngine is no longer active (gone, or its ``engineStatus`` completed / stopped);
- no runner, experiment or helper pod of it (label ``chaosUID=<engine uid>``) is still Pending or
  Running. One that Succeeded or Failed no longer acts: with ``jobCleanUpPolicy: retain`` Litmus
  keeps it for its logs, and it is listed as kept, not as a leftover;
- the target workload has its desired replicas Ready;
- every service's SLO signals are back inside the baseline band (``agent.run.band``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.models import ChaosLeftover, CleanupResult, EngineStatus, Sample, Workload
from agent.run.band import SLO_SIGNALS, Band
from agent.run.monitor import fmt

DONE_PHASES = frozenset({"Succeeded", "Failed"})
CHECKED = [
    "ChaosEngine not active",
    "no runner/helper pods (chaosUID=<engine uid>) Pending or Running",
    "target workload at its desired Ready replicas",
    "SLO signals back inside the baseline band",
]


@dataclass(frozen=True)
class CleanupReading:
    """What one look at the cluster and the metrics found."""

    at: datetime
    engine: str  # namespace/name
    status: EngineStatus | None  # None: the engine is gone (or could not be read: ``error``)
    chaos_pods: list[ChaosLeftover]
    workload: Workload | None  # the target's, None when not found
    target: str
    sample: Sample | None = None  # None: no metrics could be read
    band: Band | None = None
    error: str | None = None  # why the engine or the pods could not be read


def leftovers(r: CleanupReading) -> list[str]:
    """Everything of the run still there, each with its state; [] when the cleanup is verified."""
    out = []
    if r.error is not None:
        out.append(f"could not be read: {r.error}")
    if r.status is not None and not _ended(r.status):
        out.append(f"ChaosEngine {r.engine} still active (engineState {r.status.engine_state}, "
                   f"engineStatus {r.status.engine_status or 'none'})")
    out += [f"{_role(p)} pod {p.namespace}/{p.name} ({p.phase or 'phase unknown'})"
            for p in r.chaos_pods if p.kind == "Pod" and p.phase not in DONE_PHASES]
    if r.workload is None:
        out.append(f"target workload {r.target} not found")
    elif r.workload.ready_replicas < r.workload.replicas:
        out.append(f"{r.workload.kind} {r.workload.name} {r.workload.ready_replicas}/{r.workload.replicas} Ready")
    if r.sample is None:
        out.append("steady state not known: no metrics could be read")
    elif r.band is not None:
        out += [_off(r.band, r.sample, name) for name in r.band.deviations(r.sample)]
    return out


def kept(r: CleanupReading) -> list[str]:
    """Chaos pods that are done but still listed (kept for their logs)."""
    return [f"{_role(p)} pod {p.name} ({p.phase})" for p in r.chaos_pods if p.kind == "Pod" and p.phase in DONE_PHASES]


def result(r: CleanupReading) -> CleanupResult:
    """The verdict of one reading."""
    left = leftovers(r)
    return CleanupResult(verified=not left, at=r.at, leftovers=left, checked=CHECKED, kept=kept(r))


def _ended(status: EngineStatus) -> bool:
    return status.engine_status in {"completed", "stopped"}


def _role(p: ChaosLeftover) -> str:
    if p.name.endswith("-runner"):
        return "runner"
    return "helper" if "-helper-" in p.name else "experiment"


def _off(band: Band, sample: Sample, name: str) -> str:
    now = sample.services[name]
    parts = []
    for sig in band.off(sample, name, SLO_SIGNALS):
        value, r = getattr(now, sig), band.ranges[name][sig]
        parts.append(f"{sig} {value:g} below {r.low:g}" if sig == "ready_replicas"
                     else f"{sig} {fmt(sig, value)} outside {fmt(sig, r.low)}..{fmt(sig, r.high)}")
    return f"{name} not back in its baseline band: {', '.join(parts)}"
