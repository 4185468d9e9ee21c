"""Stop a run's chaos on a human's request: through the run's engine (``agent.run.chaos``: Litmus's
``engineState: stop``, Chaos Mesh's pause annotation) and wait for the engine to say it stopped. One implementation for every channel (``python -m agent abort``, the chat's
``abort_run`` tool): the request is audited with who asked and from where, the stop itself by
the audited cluster. A safety action, so it needs no approval.

A no-fault control has no engine to patch: the request is recorded in the run's store instead
(:class:`StopRequest`), which the process watching it reads each tick (:func:`asked_elsewhere`),
and stops as on Ctrl-C. Each replica sharing the state backend sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import ChaosAdvisorError, ClusterError, NotFound, StateUnavailable
from agent.models import AuditEntry, EngineRef, EngineStatus, Fault, StopRequest
from agent.ports import Deps
from agent.run import chaos

POLL_S = 1.0  # seconds of the run's clock between status reads while waiting for Stopped
STOP_REQUEST = "stop_request"  # the run's store record a control's stop request is kept in


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
    Stopped verdict; ClusterError if Litmus does not confirm in time. A control (``experiment``
    "control") is asked to stop through the store: nothing was injected, nothing to wait for."""
    if experiment == Fault.CONTROL.value:
        return _ask_control(deps, run_id, who=who, channel=channel)
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


def _ask_control(deps: Deps, run_id: str, *, who: str, channel: str) -> Aborted:
    asked = StopRequest(by=f"{channel}:{who}", at=deps.clock.now())
    deps.store.save(run_id, STOP_REQUEST, asked)
    deps.audit.record(AuditEntry(run_at=asked.at, run_id=run_id, who=who, channel=channel, action="abort_requested",
                                 what="abort: control run (no engine: nothing injected)", result="ok"))
    return Aborted("control (no ChaosEngine)", False, None,
                   "control run: nothing injected; the process watching it stops at its next tick")


def asked_elsewhere(deps: Deps, run_id: str) -> str | None:
    """Who asked, from another process, to stop the control ``run_id`` (None: nobody)."""
    try:
        return f"{deps.store.load(run_id, STOP_REQUEST, StopRequest).by} via abort"
    except StateUnavailable:  # the store itself is down: not "nobody asked"
        raise
    except ChaosAdvisorError:  # none recorded
        return None
