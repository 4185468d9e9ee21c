"""Discovery: every workload of the namespaces becomes a target, stack.yaml adds or overrides facts.

With ``k8s.namespaces`` alone, each Deployment, StatefulSet and DaemonSet is a target, selected by
its own ``spec.selector`` (so the policy, which refuses selectors that match other workloads'
pods, accepts it), with tier, store, runtime and exposure inferred from its manifest
(``agent.inventory.infer``) and calls inferred from its env, args and ConfigMaps
(``agent.inventory.calls``). A service in ``k8s.target_services`` keeps the facts written there;
``k8s.dependencies`` override inferred calls between the same two services. Criticality, when not
written, follows from the call graph: what users reach, and what user requests pass through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from agent.config import Settings, TargetService
from agent.inventory.calls import infer_calls
from agent.inventory.graph import on_user_path
from agent.inventory.infer import criticality, infer
from agent.models import Dependency, Inventory, Pod, Target, Workload
from agent.models.inventory import Evidence, InferredFact
from agent.ports import ClusterSnapshot, Deps

CHAOS_UID = "chaosUID"  # chaos-operator / chaos-runner / litmus-go label every pod of a run with it
# Labels a controller adds to its pods: never part of a workload's own selector.
_CONTROLLER_LABELS = ("pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name")


def build_inventory(
    settings: Settings, snapshot: ClusterSnapshot, *, at: datetime, observed: Sequence[tuple[str, str, str, str]] = ()
) -> Inventory:
    """The typed Inventory: configured and discovered targets, their calls, plus the raw lists.

    ``observed``: calls seen at run time, (namespace, caller workload, callee workload, evidence).
    Litmus's own pods (runner, experiment, helpers: labelled ``chaosUID``) are not the application's."""
    snapshot = replace(snapshot, pods=[p for p in snapshot.pods if CHAOS_UID not in p.labels])
    label = settings.k8s.pod_label
    namespaces = set(settings.k8s.namespaces)
    configured = [_configured(t, snapshot, label) for t in settings.k8s.target_services]
    claimed = {(t.workload.kind, t.namespace, t.workload.name) for t in configured if t.workload}
    taken = {t.name for t in configured}
    by_namespace: dict[str, list[Pod]] = {}
    for p in snapshot.pods:  # indexed once: a cluster may run 20,000 pods
        by_namespace.setdefault(p.namespace, []).append(p)
    discovered = []
    for w in sorted(snapshot.workloads, key=lambda w: (settings.k8s.namespaces.index(w.namespace)
                                                       if w.namespace in namespaces else 0, w.name)):
        if w.namespace in namespaces and (w.kind, w.namespace, w.name) not in claimed:
            discovered.append(_discovered(w, snapshot, by_namespace.get(w.namespace, []), taken))
            taken.add(discovered[-1].name)
    targets = configured + discovered
    names = {(t.namespace, t.workload.name): t.name for t in targets if t.workload}
    stores = {t.name: t.store for t in targets}
    inferred = infer_calls(snapshot.workloads, snapshot.services, names, stores)
    seen = {(d.source, d.target) for d in inferred}
    for ns, caller, callee, evidence in observed:  # a new pair only: the manifests' evidence is kept first
        source, target = names.get((ns, caller)), names.get((ns, callee))
        if source and target and source != target and (source, target) not in seen:
            seen.add((source, target))
            inferred.append(Dependency(source=source, target=target, protocol="http", sync=True, evidence=evidence))
    inv = Inventory(
        cluster=snapshot.server, discovered_at=at, targets=targets, workloads=snapshot.workloads,
        services=snapshot.services, pods=snapshot.pods,
        dependencies=_merge(settings.k8s.dependencies, inferred), litmus=snapshot.litmus,
    )
    return _with_criticality(inv, {t.name for t in settings.k8s.target_services})


def _matches(labels: dict[str, str], selector: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _configured(t: TargetService, snapshot: ClusterSnapshot, label: str) -> Target:
    """A stack.yaml service: its written facts, its workload and pods, and whether users reach it."""
    selector = t.pod_selector(label)
    pods = [p for p in snapshot.pods if p.namespace == t.namespace and _matches(p.labels, selector)]
    workload = _workload_of(snapshot.workloads, t.namespace, pods, selector)
    facts = infer(workload, snapshot.services) if workload else None
    written: tuple[tuple[InferredFact, str], ...] = (("tier", t.tier), ("criticality", t.criticality), ("type", t.type))
    evidence = [Evidence(fact=f, value=v, source="stack.yaml k8s.target_services") for f, v in written]
    entry_seen = [e for e in facts.evidence if e.fact == "entry"] if facts else []
    if t.tier == "edge":
        evidence.append(Evidence(fact="entry", value="yes", source="stack.yaml tier edge"))
    return Target(
        name=t.name, namespace=t.namespace, tier=t.tier, criticality=t.criticality, type=t.type,
        store=t.store, selector=selector, workload=workload, pods=pods, configured=True,
        entry=t.tier == "edge" or bool(entry_seen), evidence=evidence + entry_seen,
    )


def _workload_of(workloads: list[Workload], namespace: str, pods: list[Pod], selector: dict[str, str]) -> Workload | None:
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


def _discovered(w: Workload, snapshot: ClusterSnapshot, pods: list[Pod], taken: set[str]) -> Target:
    """A workload stack.yaml does not name (``pods``: its namespace's): every fact inferred,
    criticality filled in later."""
    facts = infer(w, snapshot.services)
    selector, note = own_selector(w, pods)
    evidence = [*facts.evidence, Evidence(fact="selector", value=_show(selector), source=note)]
    name = w.name
    if name in taken:  # the same name in another namespace: keep both apart
        name = f"{w.name}.{w.namespace}"
        evidence.append(Evidence(fact="selector", value=name, source=f"renamed: another {w.name!r} is listed first"))
    return Target(
        name=name, namespace=w.namespace, tier=facts.tier, criticality="medium", type=facts.type,
        store=facts.store, selector=selector, workload=w, entry=facts.entry, evidence=evidence,
        pods=[p for p in pods if (p.owner_kind, p.owner_name) == (w.kind, w.name)],
    )


def own_selector(w: Workload, pods: list[Pod]) -> tuple[dict[str, str], str]:
    """The labels that pick exactly this workload's pods: its ``spec.selector``, widened to its
    pod-template labels when that also matches other workloads' pods, and why."""
    template = {k: v for k, v in w.pod_labels.items() if k not in _CONTROLLER_LABELS}
    for selector, why in ((w.selector, f"{w.kind} {w.name} spec.selector"), (template, "its pod-template labels")):
        if not selector:
            continue
        foreign = [p.name for p in pods if p.namespace == w.namespace and _matches(p.labels, selector)
                   and p.owner_kind is not None and (p.owner_kind, p.owner_name) != (w.kind, w.name)]
        if not foreign:
            return dict(selector), why
    return dict(w.selector or template), "shared with other workloads' pods: the policy refuses chaos on it"


def _show(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _merge(written: list[Dependency], inferred: list[Dependency]) -> list[Dependency]:
    """stack.yaml's calls first (they win for the same pair), then the inferred ones."""
    pairs = {(d.source, d.target) for d in written}
    mine = [d if d.evidence else d.model_copy(update={"evidence": "stack.yaml k8s.dependencies"}) for d in written]
    return mine + [d for d in inferred if (d.source, d.target) not in pairs]


def _with_criticality(inv: Inventory, written: set[str]) -> Inventory:
    """Fill in the criticality of every target stack.yaml does not describe, from the graph."""
    users = on_user_path(inv)
    linked = {d.source for d in inv.dependencies} | {d.target for d in inv.dependencies}
    any_entry = bool(inv.entries())
    targets = []
    for t in inv.targets:
        if t.name not in written:
            level, why = criticality(entry=t.entry, on_user_path=t.name in users, has_calls=t.name in linked,
                                     any_entry=any_entry)
            t = t.model_copy(update={"criticality": level,
                                     "evidence": [*t.evidence, Evidence(fact="criticality", value=level, source=why)]})
        targets.append(t)
    return inv.model_copy(update={"targets": targets})


def discover(deps: Deps) -> Inventory:
    """Read the cluster and build the Inventory: what the discover node and tools call."""
    snapshot = deps.cluster.snapshot(deps.settings.k8s.namespaces)
    observed = [(ns, *call) for ns in deps.settings.k8s.namespaces
                for call in (deps.call_source.observed_calls(ns) if deps.call_source else [])]
    return build_inventory(deps.settings, snapshot, at=deps.clock.now(), observed=observed)
