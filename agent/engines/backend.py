"""The engine-neutral chaos port: what the agent does with any chaos engine's objects.

LitmusChaos (a ChaosEngine and its ChaosResult) and Chaos Mesh (a PodChaos, NetworkChaos or
StressChaos) each implement :class:`ChaosBackend` (``agent.adapters.chaos_backends``); a spec
names its engine in ``chaos_engine``. Their states differ (an engine's ``engineStatus`` and a
result's verdict; a Chaos Mesh object's conditions and desired phase) and both read as one
:data:`Phase`, so a monitor or ``recover`` can wait, abort and clean up without knowing which.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from agent.models import EngineInfo, EngineRef, EngineStatus, ExperimentSpec, Inventory

EngineName = Literal["litmus", "chaos-mesh"]
ENGINES: tuple[EngineName, ...] = ("litmus", "chaos-mesh")
# pending: created, not injected yet; running: injected (or recovering); completed: the duration
# ran out and the engine says it recovered; stopped: aborted (Litmus engineState stop, Chaos Mesh
# pause); failed: the engine gave up (no target, an error).
Phase = Literal["pending", "running", "completed", "stopped", "failed"]
FINISHED: frozenset[Phase] = frozenset({"completed", "stopped", "failed"})


class Rendered(Protocol):
    """An object one engine renders: its kind, where it goes and its Kubernetes body."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def namespace(self) -> str: ...

    def body(self) -> dict[str, object]: ...


class ChaosRef(BaseModel):
    """Where an applied object lives; ``created`` is False when it existed already (a repeated apply)."""

    model_config = ConfigDict(frozen=True)

    engine: EngineName
    kind: str
    namespace: str
    name: str
    uid: str = ""
    created: bool = True
    created_at: datetime | None = None  # the API server's creationTimestamp: when chaos began
    run_id: str | None = None
    experiment: str = ""  # Litmus: the experiment whose ChaosResult holds the verdict


class ChaosStatus(BaseModel):
    """One engine object's state, engine-neutral; ``detail`` says why, in the engine's words."""

    model_config = ConfigDict(frozen=True)

    engine: EngineName
    phase: Phase
    detail: str = ""
    litmus: EngineStatus | None = None  # Litmus: the engine and its ChaosResult as read (verdict, probes)

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED


class OwnedChaos(BaseModel):
    """An object the agent made (labelled managed-by chaos-advisor), as listed: ``recover`` and
    retention find orphans among these; ``uid`` and ``resource_version`` guard their deletion."""

    model_config = ConfigDict(frozen=True)

    ref: ChaosRef
    resource_version: str
    status: ChaosStatus
    duration_s: int | None = None  # its planned duration (Chaos Mesh spec.duration), when known


class ChaosBackend(Protocol):
    """One chaos engine on one cluster."""

    name: EngineName

    def installed(self) -> bool:
        """Whether the cluster serves this engine's CRDs (``inventory`` reports it)."""
        ...

    def refusals(self, spec: ExperimentSpec) -> list[str]:
        """Why this engine cannot run ``spec`` ([] when it can); the policy refuses with them."""
        ...

    def render(self, spec: ExperimentSpec, *, run_id: str, inventory: Inventory) -> Rendered:
        """The object that runs ``spec`` for ``run_id`` (ValueError when :meth:`refusals` is not empty)."""
        ...

    def apply(self, obj: Rendered, *, dry_run: bool) -> ChaosRef:
        """Create ``obj`` once (a server-side dry-run only when ``dry_run``)."""
        ...

    def status(self, ref: ChaosRef) -> ChaosStatus:
        """The object's neutral state (NotFound when it is gone)."""
        ...

    def stop(self, ref: ChaosRef) -> None:
        """Abort: the engine reverts the fault and keeps the object (for the report)."""
        ...

    def list_owned(self, namespace: str) -> list[OwnedChaos]:
        """The agent's objects in ``namespace``, selected by its label on the server."""
        ...

    def cleanup(self, owned: OwnedChaos) -> bool:
        """Delete ``owned`` (and what the engine made for it) if unchanged since listed; False when gone."""
        ...


def engine_of(spec: ExperimentSpec, backends: dict[EngineName, ChaosBackend]) -> ChaosBackend:
    """The backend that runs ``spec`` (its ``chaos_engine``); ValueError when not configured here."""
    try:
        return backends[spec.chaos_engine]
    except KeyError:
        have = ", ".join(backends) or "none"
        raise ValueError(f"chaos_engine {spec.chaos_engine!r} is not enabled on this cluster (enabled: {have})") from None


# How a neutral phase reads in the run's engine fields (the monitor's phase machine, the report,
# retention): (engineStatus, ChaosResult phase, verdict) as Litmus would write them.
_AS_LITMUS: dict[Phase, tuple[str, str | None, str | None]] = {
    "pending": ("initialized", None, None), "running": ("initialized", "Running", "Awaited"),
    "completed": ("completed", "Completed", "Pass"), "stopped": ("stopped", "Stopped", "Stopped"),
    "failed": ("completed", "Error", "Error"),
}


def engine_status(status: ChaosStatus) -> EngineStatus:
    """``status`` in the run's engine fields: Litmus's own; another engine's phase mapped (its
    ``verdict`` Pass only says the engine finished the fault: the run's verdict is the agent's)."""
    if status.litmus is not None:
        return status.litmus
    engine_status_, phase, verdict = _AS_LITMUS[status.phase]
    return EngineStatus(engine_state="stop" if status.phase == "stopped" else "active",
                        engine_status=engine_status_, experiment_status=status.detail, phase=phase, verdict=verdict)


def ref_of(ref: EngineRef | EngineInfo, *, experiment: str = "") -> ChaosRef:
    """The port's reference to a run's object (as the state or a listing holds it)."""
    return ChaosRef(engine=ref.engine, kind=ref.kind, namespace=ref.namespace, name=ref.name, uid=ref.uid,
                    created_at=ref.created_at, run_id=ref.run_id, experiment=experiment)


def engine_ref(ref: ChaosRef) -> EngineRef:
    """What the run's state keeps of an applied object."""
    return EngineRef(engine=ref.engine, kind=ref.kind, namespace=ref.namespace, name=ref.name, uid=ref.uid,
                     created=ref.created, created_at=ref.created_at, run_id=ref.run_id)


def engine_info(owned: OwnedChaos) -> EngineInfo:
    """An owned object as ``recover`` and retention read a listed engine."""
    ref, status = owned.ref, engine_status(owned.status)
    return EngineInfo(engine=ref.engine, kind=ref.kind, name=ref.name, namespace=ref.namespace, uid=ref.uid,
                      created_at=ref.created_at, engine_state=status.engine_state, engine_status=status.engine_status,
                      managed=True, duration_s=owned.duration_s, resource_version=owned.resource_version)
