"""Stop a run's chaos on a human's request: patch ``engineState: stop`` and wait for Litmus to say
Stopped. One implementation for every channel (``python -m agent abort``, the chat's
``abort_run`` tool): the request is audited with who asked and from where, the stop itself by
the audited cluster. A safety action, so it needs no approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import ClusterError, NotFound
from agent.models import AuditEntry, EngineRef, EngineStatus
from agent.ports import Deps

POLL_S = 1.0  # seconds of the run's clock between status reads while waiting for Stopped


@dataclass(frozen=True)
class Aborted:
    """What a stop request did: ``patched`` False when nothing was running."""

    engine: str  # namespace/name
    patched: bool
    status: EngineStatus | None
    detail: str


def abort(
    deps: Deps, run_id: str, ref: EngineRef, experiment: str, *, who: str, channel: str, timeout_s: float
) -> Aborted:
    """Stop ``ref`` (the run's engine) and wait up to ``timeout_s`` of the run's clock for the
    Stopped verdict; ClusterError if Litmus does not confirm in time."""
    where = f"{ref.namespace}/{ref.name}"
    try:
        status: EngineStatus | None = deps.cluster.engine_status(ref.namespace, ref.name, experiment)
    except NotFound:
        status = None
    running = status is not None and not status.finished
    result = "ok" if running else "no engine: nothing was running" if status is None else "already ended: nothing was running"
    deps.audit.record(AuditEntry(
        run_at=deps.clock.now(), run_id=run_id, who=who, channel=channel, action="abort_requested",
        what=f"abort: ChaosEngine {where}", result=result,
    ))
    if status is None:
        return Aborted(where, False, None, f"no engine {where}; nothing is running")
    if not running:
        return Aborted(where, False, status, f"engine {where} already ended ({status.engine_status}, verdict "
                                              f"{status.verdict}); nothing is running")
    deps.cluster.stop_engine(ref.namespace, ref.name)
    waited = 0.0
    while True:
        status = deps.cluster.engine_status(ref.namespace, ref.name, experiment)
        if status.verdict == "Stopped" or status.finished:
            return Aborted(where, True, status, f"engine {status.engine_status}, ChaosResult {status.phase} / "
                                                 f"verdict {status.verdict}")
        if waited >= timeout_s:
            raise ClusterError(
                f"engine {where} was told to stop but its ChaosResult still says {status.phase}/"
                f"{status.verdict} after {timeout_s:g} s; check the Litmus operator"
            )
        deps.clock.sleep(POLL_S)
        waited += POLL_S
