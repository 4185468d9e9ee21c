"""Small hand-built domain objects for unit tests (no cluster needed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from agent.config import Policy
from agent.models import (
    AbortThreshold,
    Candidate,
    Container,
    Dependency,
    ExperimentSpec,
    Fault,
    Inventory,
    LitmusInstall,
    Parameters,
    Pod,
    Probe,
    Proposal,
    Target,
    TargetSelector,
    Workload,
)
from agent.ports import Deps

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FixedPolicy:
    """A PolicySource that answers one policy (the live one re-reads stack.yaml)."""

    policy: Policy

    def current(self) -> Policy:
        return self.policy


def lenient(deps: Deps, *, max_abort_error_rate_pct: float = 95.0) -> Deps:
    """``deps`` whose policy lets an error-rate abort threshold up to ``max_abort_error_rate_pct``
    through: for tests that let a fault run its course on purpose (the default cap, 50 %, refuses
    such thresholds, as a user would have to loosen it too)."""
    policy = deps.policy().model_copy(update={"max_abort_error_rate_pct": max_abort_error_rate_pct})
    return replace(deps, policy_source=FixedPolicy(policy))


def target(
    name: str,
    *,
    tier: str = "business",
    replicas: int = 1,
    readiness_delay: int | None = None,
    cpu_limit_m: int | None = 300,
    store: str | None = None,
    criticality: str = "high",
    namespace: str = "shop",
) -> Target:
    probe = Probe(initial_delay_s=readiness_delay) if readiness_delay is not None else None
    w = Workload(
        kind="Deployment",
        name=name,
        namespace=namespace,
        labels={"name": name},
        pod_labels={"name": name},
        replicas=replicas,
        ready_replicas=replicas,
        containers=[Container(name=name, image=f"img/{name}", cpu_limit_m=cpu_limit_m, readiness=probe)],
    )
    pods = [
        Pod(name=f"{name}-{i}", namespace=namespace, labels={"name": name}, owner_kind="Deployment", owner_name=name, ready=True)
        for i in range(replicas)
    ]
    return Target(
        name=name, namespace=namespace, tier=tier, criticality=criticality, type="go",  # type: ignore[arg-type]
        store=store, selector={"name": name}, workload=w, pods=pods,
    )


def inventory(*targets: Target, deps: list[tuple[str, str]] = (), async_deps: list[tuple[str, str]] = ()) -> Inventory:  # type: ignore[assignment]
    edges = [Dependency(source=a, target=b) for a, b in deps]
    edges += [Dependency(source=a, target=b, sync=False) for a, b in async_deps]
    return Inventory(
        cluster="http://test",
        discovered_at=T0,
        targets=list(targets),
        workloads=[t.workload for t in targets if t.workload],
        services=[],
        pods=[p for t in targets for p in t.pods],
        dependencies=edges,
        litmus=LitmusInstall(crds=["chaosengines.litmuschaos.io"], experiments={"shop": [f.value for f in Fault]}),
    )


def shop() -> Inventory:
    """A miniature shop: web -> api -> db, web -> slow (180 s readiness), worker -async-> queue."""
    return inventory(
        target("web", tier="edge", readiness_delay=10),
        target("api", readiness_delay=5, replicas=2),
        target("slow", readiness_delay=180),
        target("db", tier="data", store="mongodb", cpu_limit_m=None),
        target("worker", criticality="medium", readiness_delay=5),
        target("queue", tier="queue", store="rabbitmq", criticality="medium", cpu_limit_m=None),
        deps=[("web", "api"), ("web", "slow"), ("api", "db")],
        async_deps=[("worker", "queue")],
    )


def spec(**changes: object) -> ExperimentSpec:
    base = ExperimentSpec(
        title="Api pod delete",
        description="Delete an api pod.",
        action=Fault.POD_DELETE,
        target_selector=TargetSelector(service="api", namespace="shop", labels={"name": "api"}),
        parameters=Parameters(duration_s=30, chaos_interval_s=30, force=False),
        abort_threshold=AbortThreshold(service="web", error_rate_pct=50),
        expected_impact="api degraded",
        risk_level="low",
    )
    return base.model_copy(update=changes)


def catalogue_delete(max_front_end_errors: float = 5, *, duration_s: int = 30) -> ExperimentSpec:
    """Sock Shop's catalogue pod deleted once (the twin's upstream manifests: ~180 s outage)."""
    return ExperimentSpec(
        title="Catalogue pod delete",
        description="Delete the catalogue pod.",
        action=Fault.POD_DELETE,
        target_selector=TargetSelector(service="catalogue", namespace="sock-shop", labels={"name": "catalogue"}),
        parameters=Parameters(duration_s=duration_s, chaos_interval_s=duration_s, force=False),
        abort_threshold=AbortThreshold(service="front-end", error_rate_pct=max_front_end_errors),
        expected_impact="catalogue down ~180 s (readiness delay)",
        risk_level="medium",
    )


class OneSpec:
    """A designer that proposes exactly the given spec (a real Designer, not a mock)."""

    name = "fixed"

    def __init__(self, spec: ExperimentSpec) -> None:
        self.spec = spec

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        return Proposal(designer=self.name, candidates=[Candidate(rank=1, score=1.0, spec=self.spec)])
