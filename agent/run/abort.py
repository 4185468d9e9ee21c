"""Stop a run's chaos on a human's request: through the run's engine (``agent.run.chaos``: Litmus's
``engineState: stop``, Chaos Mesh's pause annotation) and wait for the engine to say it stopped. One implementation for every channel (``python -m agent abort``, the chat's
``abort_run`` tool): the request is audited with who asked and from where, the stop itself by
the audited cluster. A safety action, so it needs no approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import ClusterError, NotFound
from agent.models import AuditEntry, EngineRef, EngineStatus
from agent.ports import Deps
from agent.run import chaos

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
        status: EngineStatus | None = chaos.status(deps, ref, experiment)
    except NotFound:
        status = None
    running = status is not None and not status.finished
    result = "ok" if running else "no engine: nothing was running" if status is None else "already ended: nothing was running"
    deps.audit.record(AuditEntry(
        run_at=deps.clock.now(), run_id=run_id, who=who, channel=channel, action="abort_requested",
        what=f"abort: {ref.kind} {where}", result=result,
    ))
    if status is None:
        return Aborted(where, False, None, f"no engine {where}; nothing is running")
    if not running:
        return Aborted(where, False, status, f"engine {where} already ended ({status.engine_status}, verdict "
                                              f"{status.verdict}); nothing is running")
    chaos.stop(deps, ref)
    waited = 0.0
    while True:
        status = chaos.status(deps, ref, experiment)
        if status.verdict == "Stopped" or status.finished:
            said = (f"ChaosResult {status.phase} / verdict {status.verdict}" if ref.engine == "litmus"
                    else f"{ref.kind} {status.experiment_status}")
            return Aborted(where, True, status, f"engine {status.engine_status}, {said} ({chaos.stopped_by(ref.engine)})")
        if waited >= timeout_s:
            raise ClusterError(
                f"engine {where} was told to stop but still says {status.phase}/{status.verdict} after "
                f"{timeout_s:g} s; check the {'Litmus operator' if ref.engine == 'litmus' else 'Chaos Mesh controller'}"
            )
        deps.clock.sleep(POLL_S)
        waited += POLL_S
