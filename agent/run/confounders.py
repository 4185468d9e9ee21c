"""Did anything else change the namespace during the run? (pure)

A run's findings are only the fault's if nothing else moved the services it watched. The verify
step (``graphs.nodes.verify``) hands here the namespace as listed right before the apply
(:class:`SceneBefore`: every pod, each workload's ``metadata.generation``, the other runs' active
ChaosEngines) and as listed after the chaos, and gets back each confounder:

- "engine": another ChaosEngine (not this run's, managed by the agent or not) was active during
  the run, or was created after the injection; its target is not known, so it may have moved any
  service;
- "rollout": a workload's generation changed (a new revision was rolled out), or a workload appeared;
- "pod-replaced": a pod outside the target is gone, or a new pod (new uid) appeared outside it;
- "pod-restarted": a pod outside the target shows a higher ``restartCount``.

What the fault explains is not a confounder. Decided: a restart of a pod whose service is in the
fault's predicted blast radius is explained (a caller's liveness probe can fail through the
broken dependency), and is listed as such; a replaced pod outside the target never is (a fault
on one service does not delete another's pods: someone or something else did). Chaos pods
(labelled ``chaosUID``) are the engines' own and are judged with their engine. Each confounder
names the services whose signals it may have moved: its own and every service calling it
(``Inventory.upstream``), where its errors and latency would show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from agent.models import EngineInfo, ExperimentSpec, Inventory, Pod, Workload
from agent.models.verify import Confounder, ConfounderResult, SceneBefore
from agent.run.effect import target_pods

CHAOS_LABEL = "chaosUID"
OWNERS = ("Deployment", "StatefulSet", "DaemonSet")


def scene(pods: list[Pod], workloads: list[Workload], engines: list[EngineInfo], *, namespace: str,
          own: str) -> SceneBefore:
    """The namespace right before the apply (``own``: this run's engine name, never a confounder)."""
    return SceneBefore(
        pods=[p for p in pods if p.namespace == namespace],
        generations={f"{w.kind}/{w.name}": w.generation for w in workloads if w.namespace == namespace},
        engines=sorted(e.name for e in engines if e.name != own and e.engine_state == "active"),
    )


def service_of(pod: Pod) -> str:
    """The service a pod belongs to: its top-level owner's name, else its ``name``/``app`` label."""
    if pod.owner_kind in OWNERS and pod.owner_name:
        return pod.owner_name
    return pod.labels.get("name") or pod.labels.get("app") or pod.name


def find(before: SceneBefore, *, pods: list[Pod], workloads: list[Workload], engines: list[EngineInfo],
         spec: ExperimentSpec, inv: Inventory | None, own: str, since: datetime, at: datetime) -> ConfounderResult:
    """Every change of ``spec``'s namespace since ``before`` that is not this run's fault.

    Args:
        before: the namespace right before the apply.
        pods: its pods now (other namespaces are ignored).
        workloads: its workloads now.
        engines: its ChaosEngines now.
        spec: the run's spec (its target and predicted blast radius).
        inv: the run's inventory (who calls whom); None: each change names only its own service.
        own: this run's engine name.
        since: when the chaos was injected (engines created after it were active during the run).
        at: when this was read (the run's clock).
    """
    ns = spec.target_selector.namespace

    def reach(service: str) -> list[str]:
        return sorted({service, *(inv.upstream(service) if inv is not None else [])})

    found = _engines(before, engines, ns=ns, own=own, since=since) + _rollouts(before, workloads, ns=ns, reach=reach)
    predicted = set(spec.hypothesis.affected_services) if spec.hypothesis else {spec.target_selector.service}
    changed, explained = _pods(before.pods, [p for p in pods if p.namespace == ns], spec=spec, predicted=predicted)
    found += [Confounder(kind=kind, detail=detail, services=reach(service)) for kind, service, detail in changed]
    return ConfounderResult(at=at, found=found, explained=explained)


def _engines(before: SceneBefore, engines: list[EngineInfo], *, ns: str, own: str, since: datetime) -> list[Confounder]:
    now = {e.name: e for e in engines if e.name != own}
    out = []
    for name in sorted(set(before.engines) | set(now)):
        e = now.get(name)
        if e is None:  # active at the apply, deleted since: it ran during the run
            out.append(Confounder(kind="engine", detail=f"ChaosEngine {ns}/{name} (active at the apply, deleted since)"))
        elif name in before.engines or e.engine_state == "active" or (e.created_at is not None and e.created_at >= since):
            who = "managed by chaos-advisor" if e.managed else "not labelled as the agent's"
            out.append(Confounder(kind="engine", detail=f"ChaosEngine {ns}/{name} ({e.engine_state or 'no state'}, {who})"))
    return out


def _rollouts(before: SceneBefore, workloads: list[Workload], *, ns: str,
              reach: Callable[[str], list[str]]) -> list[Confounder]:
    out = []
    for w in sorted((w for w in workloads if w.namespace == ns), key=lambda w: (w.kind, w.name)):
        key = f"{w.kind}/{w.name}"
        old = before.generations.get(key)
        if old is None:
            detail = f"{key} appeared during the run"
        elif w.generation and old and w.generation != old:
            detail = f"{key} generation {old} -> {w.generation} (a rollout)"
        else:
            continue
        out.append(Confounder(kind="rollout", detail=detail, services=reach(w.name)))
    return out


def _pods(before: list[Pod], now: list[Pod], *, spec: ExperimentSpec,
          predicted: set[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(kind, service, detail) of each pod change outside the target, and the explained ones."""
    target = {p.uid for p in target_pods(before, spec) + target_pods(now, spec)}

    def outside(pods: list[Pod]) -> dict[str, Pod]:
        return {p.uid: p for p in pods if p.uid and p.uid not in target and CHAOS_LABEL not in p.labels}

    old, new = outside(before), outside(now)
    changed: list[tuple[str, str, str]] = []
    explained: list[str] = []
    for service in sorted({service_of(p) for p in [*old.values(), *new.values()]}):
        gone = [p for uid, p in old.items() if uid not in new and service_of(p) == service]
        born = [p for uid, p in new.items() if uid not in old and service_of(p) == service]
        if gone or born:
            changed.append(("pod-replaced", service, _replaced(service, gone, born)))
        rose = [(old[uid], p) for uid, p in new.items() if uid in old and service_of(p) == service
                and p.restarts > old[uid].restarts]
        if rose:
            detail = f"{service}: " + ", ".join(f"pod {p.name} restartCount {b.restarts} -> {p.restarts}" for b, p in rose)
            if service in predicted:
                explained.append(detail + " (in the predicted blast radius)")
            else:
                changed.append(("pod-restarted", service, detail))
    return changed, explained


def _replaced(service: str, gone: list[Pod], born: list[Pod]) -> str:
    parts = [f"pod {p.name} ({p.uid[:8]}) gone" for p in gone]
    parts += [f"pod {p.name} ({p.uid[:8]}) new" + (f", created {p.created_at:%H:%M:%S}" if p.created_at else "")
              for p in born]
    return f"{service}: " + ", ".join(parts)


def line(result: ConfounderResult | None, start: datetime | None) -> str:
    """The report's Confounders line."""
    if result is None:
        return "not checked (nothing was applied, or the namespace was not listed before the apply)"
    explained = f"; explained by the predicted blast radius: {'; '.join(result.explained)}" if result.explained else ""
    when = f"T+{(result.at - start).total_seconds():.0f} s" if start else result.at.strftime("%H:%M:%S")
    if not result.found:
        return f"none: no other ChaosEngine, rollout or pod change outside the target up to {when}{explained}"
    return (f"{len(result.found)} change{'s' * (len(result.found) != 1)} not made by this run up to {when}: "
            + "; ".join(f"{c.kind}: {c.detail}" for c in result.found)
            + "; the findings on the services they touch are marked" + explained)


def mark(result: ConfounderResult | None, *services: str) -> str:
    """`` (may be confounded: …)`` for a finding on any of ``services``, else ``""``."""
    hits = list({c.detail: c for s in services for c in (result.affected(s) if result is not None else [])}.values())
    return f" (may be confounded: {'; '.join(c.detail for c in hits)})" if hits else ""
