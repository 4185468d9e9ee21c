"""LitmusChaos behind :class:`agent.engines.backend.ChaosBackend`: the ChaosEngine of
``agent.engines.litmus`` over any :class:`agent.ports.Cluster` (its Litmus calls). Built from the
run's own ``Deps.cluster`` each time (``agent.run.chaos.backend``), so its writes are audited by the
audited cluster, and a cluster swapped into ``Deps`` (a test's fault injection) is the one used.
"""

from __future__ import annotations

from typing import Literal

from agent.engines import litmus
from agent.engines.backend import ChaosRef, ChaosStatus, EngineName, OwnedChaos, Phase, Rendered
from agent.errors import ClusterError
from agent.models import EngineStatus, ExperimentSpec, Inventory
from agent.ports import Cluster


class LitmusBackend:
    """LitmusChaos through the same port: a ChaosEngine rendered with the configured account, over
    any :class:`agent.ports.Cluster` (the wiring passes the audited one, so its writes are audited)."""

    name: EngineName = "litmus"

    def __init__(self, cluster: Cluster, *, service_account: str, cleanup: Literal["delete", "retain"],
                 version: Literal["2.14", "3.x"] = "3.x") -> None:
        self._cluster = cluster
        self._account, self._cleanup, self._version = service_account, cleanup, version

    def installed(self) -> bool:
        return "chaosengines.litmuschaos.io" in self._cluster.snapshot([]).litmus.crds

    def refusals(self, spec: ExperimentSpec) -> list[str]:
        return []  # every fault of the registry is a Litmus fault

    def render(self, spec: ExperimentSpec, *, run_id: str, inventory: Inventory) -> litmus.ChaosEngineManifest:
        return litmus.render(spec, run_id=run_id, service_account=self._account, cleanup=self._cleanup,
                             litmus_version=self._version)

    def apply(self, obj: Rendered, *, dry_run: bool) -> ChaosRef:
        if not isinstance(obj, litmus.ChaosEngineManifest):
            raise ClusterError(f"the litmus engine applies ChaosEngines, not a {obj.kind}")
        ref = self._cluster.apply_engine(obj, dry_run=dry_run)
        return ChaosRef(engine="litmus", kind="ChaosEngine", namespace=ref.namespace, name=ref.name, uid=ref.uid,
                        created=ref.created, created_at=ref.created_at, run_id=ref.run_id, experiment=obj.experiment)

    def status(self, ref: ChaosRef) -> ChaosStatus:
        return _litmus_status(self._cluster.engine_status(ref.namespace, ref.name, ref.experiment))

    def stop(self, ref: ChaosRef) -> None:
        self._cluster.stop_engine(ref.namespace, ref.name)

    def list_owned(self, namespace: str) -> list[OwnedChaos]:
        return [OwnedChaos(ref=ChaosRef(engine="litmus", kind="ChaosEngine", namespace=e.namespace, name=e.name,
                                        uid=e.uid, created=False, created_at=e.created_at, run_id=e.run_id),
                           resource_version=e.resource_version,
                           status=ChaosStatus(engine="litmus", phase=_engine_phase(e.engine_status), detail=e.engine_state))
                for e in self._cluster.list_engines(namespace) if e.managed]

    def cleanup(self, owned: OwnedChaos) -> bool:
        ref = owned.ref
        for leftover in self._cluster.chaos_leftovers(ref.namespace, ref.name, ref.uid):
            self._cluster.delete_leftover(leftover)
        return self._cluster.delete_engine(ref.namespace, ref.name, uid=ref.uid, resource_version=owned.resource_version)


def _engine_phase(engine_status: str | None) -> Phase:
    return {"completed": "completed", "stopped": "stopped", "initialized": "running"}.get(engine_status or "", "pending")  # type: ignore[return-value]


def _litmus_status(s: EngineStatus) -> ChaosStatus:
    """A ChaosEngine and its ChaosResult, as one neutral phase."""
    phase: Phase
    if s.engine_status == "stopped" or s.phase == "Stopped":
        phase = "stopped"
    elif s.phase == "Error" or s.verdict == "Error":
        phase = "failed"
    elif s.finished:
        phase = "completed"
    else:
        phase = "running" if s.engine_status == "initialized" else "pending"
    detail = ", ".join(x for x in (s.engine_status, s.phase, s.verdict) if x)
    return ChaosStatus(engine="litmus", phase=phase, detail=detail, litmus=s)
