"""Discovery: stack.yaml's view of the services merged with what the cluster runs."""

from __future__ import annotations

from datetime import datetime

from agent.config import Settings
from agent.models import Inventory, Pod, Target, Workload
from agent.ports import ClusterSnapshot, Deps


def build_inventory(settings: Settings, snapshot: ClusterSnapshot, *, at: datetime) -> Inventory:
    """The typed Inventory: every stack target with its workload and pods, plus the raw lists."""
    label = settings.k8s.monitoring.prometheus.service_label
    targets = []
    for t in settings.k8s.target_services:
        selector = t.pod_selector(label)
        pods = [p for p in snapshot.pods if p.namespace == t.namespace and _matches(p.labels, selector)]
        targets.append(
            Target(
                name=t.name,
                namespace=t.namespace,
                tier=t.tier,
                criticality=t.criticality,
                type=t.type,
                store=t.store,
                selector=selector,
                workload=_workload_of(snapshot.workloads, t.namespace, pods, selector),
                pods=pods,
            )
        )
    return Inventory(
        cluster=snapshot.server,
        discovered_at=at,
        targets=targets,
        workloads=snapshot.workloads,
        services=snapshot.services,
        pods=snapshot.pods,
        dependencies=settings.k8s.dependencies,
        litmus=snapshot.litmus,
    )


def _matches(labels: dict[str, str], selector: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _workload_of(
    workloads: list[Workload], namespace: str, pods: list[Pod], selector: dict[str, str]
) -> Workload | None:
    """The workload owning the target's pods; by pod-template labels when no pod runs.

    Matching on pods (not on the workload's own labels) matters: upstream's front-end
    Deployment has no labels of its own, only its pod template does.
    """
    owners = {(p.owner_kind, p.owner_name) for p in pods}
    for w in workloads:
        if w.namespace == namespace and (w.kind, w.name) in owners:
            return w
    return next(
        (w for w in workloads if w.namespace == namespace and _matches(w.pod_labels, selector)),
        None,
    )


def discover(deps: Deps) -> Inventory:
    """Read the cluster and build the Inventory: what the discover node and tools call."""
    snapshot = deps.cluster.snapshot(deps.settings.k8s.namespaces)
    return build_inventory(deps.settings, snapshot, at=deps.clock.now())
