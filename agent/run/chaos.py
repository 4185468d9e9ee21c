"""The run's chaos, whatever the engine: nodes and commands reach a chaos engine only through here.

A run's engine is its spec's ``chaos_engine`` (designed specs get ``engines.default``), recorded
in the run's state with the object it applied (:class:`~agent.models.EngineRef` ``engine`` and
``kind``), so a resumed run, ``abort``, ``status`` and ``recover`` drive the same
:class:`~agent.engines.backend.ChaosBackend` (``Deps.engines``, built by ``agent.wire.chaos``).
Writes are audited: Litmus's by the audited cluster under it, the others' by :class:`AuditedBackend`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from agent.engines import chaos_mesh
from agent.engines.backend import (
    ChaosBackend,
    ChaosRef,
    ChaosStatus,
    EngineName,
    OwnedChaos,
    Rendered,
    engine_info,
    engine_status,
    ref_of,
)
from agent.engines.litmus import engine_name
from agent.errors import ClusterError
from agent.models import (
    AuditAction,
    AuditEntry,
    EngineInfo,
    EngineRef,
    EngineStatus,
    ExperimentSpec,
    Inventory,
)
from agent.ports import AuditLog, Clock, Deps
from agent.run.audited import AGENT, STARTED, run_of
from agent.run.litmus_backend import LitmusBackend

T = TypeVar("T")


def backend(deps: Deps, engine: str) -> ChaosBackend:
    """The backend called ``engine``; ClusterError naming the enabled ones when it is not wired here.
    Litmus is built over the run's own ``deps.cluster`` (its Litmus calls, audited there)."""
    if engine == "litmus":
        s = deps.settings.litmus
        return LitmusBackend(deps.cluster, service_account=s.chaos_service_account, cleanup=s.job_cleanup_policy,
                             version=s.version)
    found = deps.engines.get(engine)
    if found is None:
        have = ", ".join(["litmus", *deps.engines])
        raise ClusterError(f"chaos engine {engine!r} is not enabled in this agent (enabled: {have}); "
                           "use chaos_engine: litmus or chaos-mesh")
    return found


def status(deps: Deps, ref: EngineRef, experiment: str) -> EngineStatus:
    """The run's object's state in the run's engine fields (NotFound when it is gone)."""
    return engine_status(backend(deps, ref.engine).status(ref_of(ref, experiment=experiment)))


def stop(deps: Deps, ref: EngineRef | EngineInfo) -> str:
    """Abort: Litmus patches ``engineState: stop``; Chaos Mesh is paused by annotation, kept for the
    report (``agent.engines.chaos_mesh`` says why not a deletion). Returns what was done."""
    backend(deps, ref.engine).stop(ref_of(ref))
    return stopped_by(ref.engine)


def stopped_by(engine: str) -> str:
    """How ``engine``'s chaos is stopped, in the words of the timeline and recover."""
    return "patched engineState: stop" if engine == "litmus" else f"paused it ({chaos_mesh.PAUSE_ANNOTATION})"


def listed(deps: Deps, namespace: str) -> list[EngineInfo]:
    """Every ChaosEngine in ``namespace`` (Litmus lists all, the confounder check needs foreign ones)
    and the agent's own objects of every other engine (selected by its label on the server)."""
    found = deps.cluster.list_engines(namespace)
    for b in deps.engines.values():
        found += [engine_info(o) for o in b.list_owned(namespace)]
    return found


def delete(deps: Deps, e: EngineInfo) -> bool:
    """Delete a listed non-Litmus object if unchanged since listed (Conflict otherwise); False when gone."""
    phase = "completed" if e.engine_status == "completed" else "stopped"
    owned = OwnedChaos(ref=ref_of(e), resource_version=e.resource_version,
                       status=ChaosStatus(engine=e.engine, phase=phase))
    return backend(deps, e.engine).cleanup(owned)


def derived(run_id: str, spec: ExperimentSpec) -> EngineRef:
    """The object a run of ``spec`` makes, by its run-derived name (when its state has none recorded)."""
    kind = "ChaosEngine" if spec.chaos_engine == "litmus" else chaos_mesh.mapping(spec.action).kind
    return EngineRef(engine=spec.chaos_engine, kind=kind, name=engine_name(run_id),
                     namespace=spec.target_selector.namespace, uid="", created=False)


class AuditedBackend:
    """A :class:`ChaosBackend` whose writes (dry-run, apply, stop, delete) are audited like the
    cluster's (``agent.run.audited``): "started" before each is sent, then its result."""

    def __init__(self, inner: ChaosBackend, audit: AuditLog, clock: Clock, *, who: str = AGENT) -> None:
        self._inner, self._audit, self._clock, self._who = inner, audit, clock, who
        self.name: EngineName = inner.name

    def installed(self) -> bool:
        return self._inner.installed()

    def refusals(self, spec: ExperimentSpec) -> list[str]:
        return self._inner.refusals(spec)

    def render(self, spec: ExperimentSpec, *, run_id: str, inventory: Inventory) -> Rendered:
        return self._inner.render(spec, run_id=run_id, inventory=inventory)

    def apply(self, obj: Rendered, *, dry_run: bool) -> ChaosRef:
        action: AuditAction = "engine_dry_run" if dry_run else "engine_apply"
        return self._audited(action, run_of(obj.name), f"{obj.kind} {obj.namespace}/{obj.name}",
                             lambda: self._inner.apply(obj, dry_run=dry_run))

    def status(self, ref: ChaosRef) -> ChaosStatus:
        return self._inner.status(ref)

    def stop(self, ref: ChaosRef) -> None:
        self._audited("engine_stop", run_of(ref.name), f"{ref.kind} {ref.namespace}/{ref.name}: {stopped_by(self.name)}",
                      lambda: self._inner.stop(ref))

    def list_owned(self, namespace: str) -> list[OwnedChaos]:
        return self._inner.list_owned(namespace)

    def cleanup(self, owned: OwnedChaos) -> bool:
        ref = owned.ref
        return self._audited("engine_delete", run_of(ref.name), f"{ref.kind} {ref.namespace}/{ref.name} (uid {ref.uid})",
                             lambda: self._inner.cleanup(owned))

    def _audited(self, action: AuditAction, run_id: str, what: str, write: Callable[[], T]) -> T:
        self._record(action, run_id, what, STARTED)
        try:
            done = write()
        except Exception as e:  # recorded and re-raised unchanged
            self._record(action, run_id, what, f"{e.__class__.__name__}: {e}")
            raise
        self._record(action, run_id, what, "ok")
        return done

    def _record(self, action: AuditAction, run_id: str, what: str, result: str) -> None:
        self._audit.record(AuditEntry(run_at=self._clock.now(), run_id=run_id, who=self._who, action=action,
                                      what=what, result=result))
