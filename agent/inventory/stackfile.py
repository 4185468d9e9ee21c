"""``init``: a commented stack.yaml drafted from what discovery found, for a person to review.

It names the namespaces, every discovered service with its inferred tier, criticality, store and
own selector (a comment above each says where each fact came from), the inferred calls (each with
its evidence), and a cautious policy. Re-run on an edited file, it keeps what the person wrote:
their services, calls and every other section stay as they are; only services and calls seen for
the first time are added (and services no longer running are dropped, and said so).
"""

from __future__ import annotations

from datetime import datetime

import yaml
from pydantic import BaseModel, ConfigDict, JsonValue

from agent.models import Dependency, Inventory, Target
from agent.models.faults import init_actions

Raw = dict[str, JsonValue]  # a stack.yaml as read: the person's own keys, kept as written
_FIELDS = ("name", "namespace", "type", "tier", "criticality", "store", "selector")


class ServiceDraft(BaseModel):
    """One entry of ``k8s.target_services``, with why each value is what it is."""

    model_config = ConfigDict(frozen=True)

    entry: dict[str, JsonValue]
    kept: bool  # written by the person before: left exactly as it was
    notes: list[str] = []


class StackDraft(BaseModel):
    """What ``init`` writes (and prints with ``-o json``)."""

    model_config = ConfigDict(frozen=True)

    cluster: str
    namespaces: list[str]
    services: list[ServiceDraft]
    dependencies: list[Dependency]
    dependencies_kept: list[dict[str, JsonValue]]
    added: list[str]
    dropped: list[str]
    policy_kept: bool  # the person's policy, left as it was (else the cautious default)
    document: Raw  # the whole stack.yaml as data


def draft(inv: Inventory, namespaces: list[str], existing: Raw | None = None) -> StackDraft:
    """The stack for ``namespaces`` from ``inv``; ``existing`` (a stack.yaml as read) wins where it speaks."""
    old = existing or {}
    k8s = _mapping(old.get("k8s"))
    written = [e for e in _list(k8s.get("target_services")) if isinstance(e, dict)]
    names = {str(e.get("name")) for e in written}
    running = {t.name for t in inv.targets if t.workload is not None or t.pods}
    kept = [ServiceDraft(entry=e, kept=True) for e in written if str(e.get("name")) in running]
    dropped = sorted(str(e.get("name")) for e in written if str(e.get("name")) not in running)
    new = [_service(t) for t in inv.targets if t.name not in names and t.workload is not None]
    old_deps = [d for d in _list(k8s.get("dependencies")) if isinstance(d, dict)]
    pairs = {(str(d.get("source")), str(d.get("target"))) for d in old_deps}
    deps = [d for d in inv.dependencies if (d.source, d.target) not in pairs and {d.source, d.target} <= running
            and not d.evidence.startswith("stack.yaml")]
    old_deps = [d for d in old_deps if str(d.get("source")) in running and str(d.get("target")) in running]
    spaces = list(dict.fromkeys([*(str(n) for n in _list(k8s.get("namespaces"))), *namespaces]))
    doc = _document(old, k8s, spaces, kept + new, old_deps, deps)
    return StackDraft(cluster=inv.cluster, namespaces=spaces, services=kept + new, dependencies=deps,
                      dependencies_kept=old_deps, added=[str(s.entry["name"]) for s in new], dropped=dropped,
                      policy_kept=isinstance(old.get("policy"), dict), document=doc)


def _mapping(value: JsonValue | None) -> Raw:
    return value if isinstance(value, dict) else {}


def _list(value: JsonValue | None) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _service(t: Target) -> ServiceDraft:
    """A discovered target as a stack.yaml entry, its evidence as notes."""
    entry: dict[str, JsonValue] = {"name": t.name, "namespace": t.namespace, "type": t.type, "tier": t.tier,
                                   "criticality": t.criticality, "critical": t.criticality == "high"}
    if t.store:
        entry["store"] = t.store
    entry["selector"] = dict(t.selector)
    notes = [f"{e.fact} {e.value}: {e.source}" for e in t.evidence if e.fact != "selector"]
    notes += [f"selector: {e.source}" for e in t.evidence if e.fact == "selector"]
    if t.workload is not None:
        w = t.workload
        notes.append(f"{w.kind}, {w.replicas} replica(s), readiness probe: "
                     f"{'yes' if any(c.readiness for c in w.containers) else 'none'}")
    return ServiceDraft(entry=entry, kept=False, notes=notes)


def default_policy(namespaces: list[str]) -> Raw:
    """A cautious start: these namespaces only, one pod at a time, short, no high-risk faults."""
    return {
        "namespaces": list(namespaces), "actions": [a.value for a in init_actions()], "max_duration_s": 120,
        "max_pods_affected_perc": 50, "max_pods_affected": 1, "allow_high_risk": False, "approvers": ["cli:*"],
    }


def _document(old: Raw, k8s: Raw, namespaces: list[str], services: list[ServiceDraft],
              old_deps: list[dict[str, JsonValue]], deps: list[Dependency]) -> Raw:
    doc: Raw = {"version": 1, **{k: v for k, v in old.items() if k not in ("version", "k8s", "policy")}}
    doc["k8s"] = {**k8s, "namespaces": list(namespaces), "target_services": [s.entry for s in services],
                  "dependencies": [*old_deps, *(_dep(d) for d in deps)]}
    doc["policy"] = old["policy"] if isinstance(old.get("policy"), dict) else default_policy(namespaces)
    return doc


def _dep(d: Dependency) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = {"source": d.source, "target": d.target, "protocol": d.protocol}
    if not d.sync:
        out["sync"] = False
    return out


# --- rendering -----------------------------------------------------------------------------------


def render(d: StackDraft, *, at: datetime) -> str:
    """The draft as a commented stack.yaml a person can review and edit."""
    doc = d.document
    k8s = _mapping(doc["k8s"])
    lines = [
        f"# Chaos Advisor stack for {', '.join(d.namespaces)}, drafted by `python -m agent init` from",
        f"# {d.cluster} at {at:%Y-%m-%d %H:%M} UTC. Review it: each inferred fact says where it came from.",
        "# Edit anything; re-running init keeps what you wrote and adds only what is new.",
        "version: 1",
        "k8s:",
    ]
    for key, value in k8s.items():
        if key == "target_services":
            lines += ["  target_services:", *_services(d.services)]
        elif key == "dependencies":
            lines += ["  dependencies:" + (" []" if not value else ""), *_dependencies(d)]
        else:
            lines += _block({key: value}, indent=2)
    lines.append("policy:" if _mapping(doc.get("policy")) else "policy: {}")
    if not d.policy_kept:
        lines.append("  # a cautious start: widen it once the first experiments went as predicted")
    lines += _block(_mapping(doc.get("policy")), indent=2)
    for key, value in doc.items():
        if key not in ("version", "k8s", "policy"):
            lines += _block({key: value}, indent=0)
    return "\n".join(lines) + "\n"


def _services(services: list[ServiceDraft]) -> list[str]:
    out = []
    for s in services:
        if s.kept:
            out.append(f"    - {_flow(s.entry)}   # yours, kept as written")
            continue
        out += [f"    # {note}" for note in s.notes]
        out.append(f"    - {_flow({k: s.entry[k] for k in (*_FIELDS, 'critical') if k in s.entry})}")
    return out


def _dependencies(d: StackDraft) -> list[str]:
    lines = [f"    - {_flow(dep)}   # yours, kept as written" for dep in d.dependencies_kept]
    for dep in d.dependencies:
        lines.append(f"    - {_flow(_dep(dep))}   # {dep.evidence or 'inferred'}")
    return lines


def _flow(value: JsonValue) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).strip()


def _block(value: Raw, *, indent: int) -> list[str]:
    if not value:
        return []
    text = yaml.safe_dump(value, default_flow_style=None, sort_keys=False, width=100)
    return [" " * indent + line for line in text.splitlines()]
