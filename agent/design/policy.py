"""The policy guard: every plan passes here when it is designed, when a human approves it and
again immediately before its engine is applied, each time against the policy in force then.

A refusal names every rule the plan breaks. Text from the cluster or a model never changes a
rule: the guard reads only typed fields (namespace, action, numbers, selectors, thresholds),
the inventory (which pods the selector matches, who owns them) and the configured policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.config import Policy
from agent.engines import chaos_mesh, litmus
from agent.engines.catalog import unused_parameters
from agent.errors import SpecRejected
from agent.models import AbortCondition, Candidate, ExperimentSpec, Inventory, Pod, Rejection, Target
from agent.models.seed import no_match_hint

# The highest p95 latency a watched signal can show: Sock Shop's request_duration_seconds
# histograms all end at a 10 s finite bucket (Go DefBuckets, prom-client and simpleclient
# defaults), and histogram_quantile never answers above the last finite bound.
LATENCY_CEILING_MS = 10_000.0
ERROR_RATE_CEILING_PCT = 100.0
# No one service's pods in a namespace use more than this: a larger CPU or memory threshold can
# never fire (256 cores, 4 TiB: beyond any node a workload here is scheduled on).
CPU_CEILING_M = 256_000.0
MEMORY_CEILING_MIB = 4 * 1024 * 1024.0


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` names it (``policy.namespaces``), ``reason`` says how."""

    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.reason}"


def violations(spec: ExperimentSpec, inventory: Inventory, policy: Policy) -> list[Violation]:
    """Every rule of ``policy`` that ``spec`` breaks on ``inventory`` ([] when it may run)."""
    found = _limits(spec, policy)
    unused = unused_parameters(spec)
    if unused:
        found.append(Violation("parameters", f"{', '.join(unused)} do(es) not apply to {spec.action.value}; remove them"))
    if spec.chaos_engine == "litmus":  # io-latency is Chaos Mesh's only
        found += [Violation("chaos_engine", f"litmus cannot run it: {why}") for why in litmus.refusals(spec)]
    if spec.chaos_engine == "chaos-mesh":
        found += [Violation("chaos_engine", f"chaos-mesh cannot run it: {why}") for why in chaos_mesh.refusals(spec)]
        if "chaos-mesh" not in inventory.litmus.engines:
            found.append(Violation("chaos_engine", "chaos-mesh is not installed on this cluster (no "
                                   "podchaos.chaos-mesh.org CRD; inventory lists the engines); install Chaos Mesh "
                                   "2.8 or use chaos_engine: litmus"))
        else:
            found += [Violation("chaos_engine", f"chaos-mesh cannot run it on this cluster: {why}")
                      for why in chaos_mesh.cluster_refusals(spec, inventory.litmus)]
    found += _abort_violations(spec, inventory, policy)
    target, matched, target_found = _target_violations(spec, inventory)
    found += target_found
    if target is not None and matched:
        hit = max(1, len(matched) * spec.parameters.pods_affected_perc // 100)
        if hit > policy.max_pods_affected:
            found.append(Violation(
                "policy.max_pods_affected",
                f"{spec.parameters.pods_affected_perc}% of {len(matched)} pods is {hit} pods, over {policy.max_pods_affected}",
            ))
    return found


def check(spec: ExperimentSpec, inventory: Inventory, policy: Policy) -> None:
    """Raise SpecRejected naming every broken rule unless ``spec`` is allowed to run."""
    broken = violations(spec, inventory, policy)
    if broken:
        raise rejected(broken)


def rejected(broken: list[Violation]) -> SpecRejected:
    """One SpecRejected for ``broken``: its ``rule`` is the first rule, its reason lists them all."""
    first = broken[0]
    reason = first.reason if len(broken) == 1 else "; ".join([first.reason, *map(str, broken[1:])])
    return SpecRejected(first.rule, reason)


def matched_pods(spec: ExperimentSpec, inventory: Inventory) -> list[Pod]:
    """The pods the spec's selector matches now in its namespace (what the engine would pick from)."""
    sel = spec.target_selector
    return [
        p for p in inventory.pods
        if p.namespace == sel.namespace and all(p.labels.get(k) == v for k, v in sel.labels.items())
    ]


def _limits(spec: ExperimentSpec, policy: Policy) -> list[Violation]:
    sel, params = spec.target_selector, spec.parameters
    found = []
    if policy.frozen:
        found.append(Violation("policy.frozen", "the kill switch is on: no chaos is applied until `python -m agent unfreeze`"))
    if sel.namespace not in policy.namespaces:
        found.append(Violation(
            "policy.namespaces", f"namespace {sel.namespace!r} is not allowed"
            + (f" on cluster {spec.cluster}" if spec.cluster else "") + f" (allowed: {', '.join(policy.namespaces)})"
        ))
    if spec.action.entry.high_risk and not policy.allow_high_risk:
        found.append(Violation("policy.allow_high_risk", f"{spec.action.value} is high-risk and needs explicit opt-in"))
    if spec.action not in policy.actions and not spec.action.entry.control:  # a control injects nothing
        found.append(Violation("policy.actions", f"action {spec.action.value!r} is not allowed"))
    if params.duration_s > policy.max_duration_s:
        found.append(Violation("policy.max_duration_s", f"duration {params.duration_s} s exceeds {policy.max_duration_s} s"))
    if params.pods_affected_perc > policy.max_pods_affected_perc:
        found.append(Violation(
            "policy.max_pods_affected_perc",
            f"{params.pods_affected_perc}% of pods exceeds {policy.max_pods_affected_perc}%",
        ))
    return found


def _abort_violations(spec: ExperimentSpec, inventory: Inventory, policy: Policy) -> list[Violation]:
    """An abort condition must exist, watch known services, and be able to fire."""
    if spec.abort_threshold is None:
        return [Violation("abort_threshold", "every experiment needs an abort condition")]
    found = []
    watched = {spec.abort_threshold.service} | {c.service for c in spec.abort_threshold.conditions}
    for name in sorted(watched - {"*"}):
        if inventory.target(name) is None:
            found.append(Violation("abort_threshold.service", f"{name!r} is not a known service to watch"))
    for c in spec.abort_threshold.all_conditions():
        why = _cannot_fire(c, policy)
        if why:
            found.append(Violation("abort_threshold", f"{c.service} {c.signal} {c.op} {c.value:g} {why}"))
    return found


def _cannot_fire(c: AbortCondition, policy: Policy) -> str | None:
    """Why condition ``c`` could never stop a run (or is looser than the policy allows); None if fine."""
    rising = c.op in (">", ">=")
    if not rising:
        floor_ok = c.value > 0 if c.op == "<" else c.value >= 0
        return None if floor_ok else "can never fire: no signal goes below 0"
    ceiling = {"error_rate_pct": ERROR_RATE_CEILING_PCT, "latency_p95_ms": LATENCY_CEILING_MS,
               "cpu_millicores": CPU_CEILING_M, "memory_mib": MEMORY_CEILING_MIB}[c.signal]
    if c.value >= ceiling if c.op == ">" else c.value > ceiling:
        return f"can never fire: the signal cannot exceed {ceiling:g}; use a lower threshold"
    cap = {"error_rate_pct": policy.max_abort_error_rate_pct, "latency_p95_ms": policy.max_abort_latency_ms}.get(c.signal)
    if cap is not None and c.value > cap:
        rule = "max_abort_error_rate_pct" if c.signal == "error_rate_pct" else "max_abort_latency_ms"
        return f"is looser than policy.{rule} ({cap:g}); use {cap:g} or less"
    return None


def _target_violations(spec: ExperimentSpec, inventory: Inventory) -> tuple[Target | None, list[Pod], list[Violation]]:
    """The target must exist, be of the spec's kind, and own every pod the selector matches."""
    sel = spec.target_selector
    target = inventory.target(sel.service)
    if target is None or target.namespace != sel.namespace:
        hint = no_match_hint(sel, inventory)
        return None, [], [Violation("inventory", f"{sel.namespace}/{sel.service} is not a known target" + (f"; {hint}" if hint else ""))]
    found = []
    if target.workload is not None and target.workload.kind.lower() != sel.kind:
        found.append(Violation(
            "target_selector.kind", f"{sel.service} is a {target.workload.kind}, not a {sel.kind}; set kind: {target.workload.kind.lower()}"
        ))
    matched = matched_pods(spec, inventory)
    if not matched:
        found.append(Violation("inventory", no_match_hint(sel, inventory) or f"selector {sel.label_selector} matches no pod in {sel.namespace}"))
        return target, matched, found
    foreign = [p.name for p in matched if not _owned(p, target)]
    if foreign:
        own = ",".join(f"{k}={v}" for k, v in sorted(target.selector.items()))
        listed = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        found.append(Violation(
            "target_selector.labels",
            f"selector {sel.label_selector} also matches pods that are not {sel.service}'s: {listed}; "
            f"use the target's own selector ({own}) or narrow it",
        ))
    return target, matched, found


def _owned(pod: Pod, target: Target) -> bool:
    """True when ``pod`` belongs to ``target``'s workload (its owner), or, with no workload
    known, is one of the pods the target's own selector picks."""
    if target.workload is not None and pod.owner_kind is not None:
        return (pod.owner_kind, pod.owner_name) == (target.workload.kind, target.workload.name)
    return pod.name in {p.name for p in target.pods}


def screen(
    candidates: list[Candidate], inventory: Inventory, policy: Policy
) -> tuple[list[Candidate], list[Rejection]]:
    """Split candidates into the allowed (re-ranked 1..n) and the rejected (with every rule)."""
    allowed: list[Candidate] = []
    refused: list[Rejection] = []
    for c in candidates:
        broken = violations(c.spec, inventory, policy)
        if broken:
            e = rejected(broken)
            refused.append(Rejection(title=c.spec.title, rule=e.rule, reason=e.reason))
            continue
        allowed.append(c.model_copy(update={"rank": len(allowed) + 1}))
    return allowed, refused
