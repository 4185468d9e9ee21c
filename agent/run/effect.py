"""Did the fault take effect? Checked from the cluster and the metrics, never the engine's word (pure).

A ChaosEngine that reports Running and a ChaosResult that says Pass prove nothing by themselves:
the selector may have matched nothing, or the helper never touched the target. Each fault's entry
names how its effect shows (``FaultEntry.effect``), and each check here is one look at that
evidence:

- "replaced": a target pod listed before the chaos is gone and pods created since carry new uids;
- "restarted": a target pod (same uid) shows a higher ``restartCount`` than before;
- "signal": the target's or a caller's error rate or p95 left its baseline band (``agent.run.band``);
- "caller-errors": the error rate of the target (the caller of the broken names) or of a caller left it;
- "cpu" / "memory": the target's usage rose above its band (a memory hog's OOM kill counts too).

The effect is observed when any check saw it; the run needs at least ``monitor.effect_checks``
looks over ``monitor.effect_window_s`` of experiment time to say "no observable effect" with
confidence, and says how many it had either way. The graph node (``graphs.nodes.verify``) reads
the pods and the samples and hands them here.
"""

from __future__ import annotations

from datetime import datetime

from agent.models import EffectCheck, EffectResult, ExperimentSpec, Inventory, Pod, Sample
from agent.models.faults import EffectKind
from agent.run.band import Band
from agent.run.monitor import fmt

WHAT: dict[EffectKind, str] = {
    "replaced": "target pods replaced (new uids and creation times)",
    "restarted": "target containers' restartCount rose",
    "signal": "error rate or p95 of the target or a caller outside its baseline band",
    "caller-errors": "error rate of the target or a caller outside its baseline band",
    "cpu": "target CPU usage above its baseline band",
    "memory": "target memory usage above its baseline band, or an OOM restart",
}
POD_KINDS: frozenset[EffectKind] = frozenset({"replaced", "restarted"})


def target_pods(pods: list[Pod], spec: ExperimentSpec) -> list[Pod]:
    """The pods the fault's selector matches (its namespace and every label of ``appinfo``)."""
    sel = spec.target_selector
    return [p for p in pods if p.namespace == sel.namespace and all(p.labels.get(k) == v for k, v in sel.labels.items())]


def callers(inv: Inventory | None, service: str) -> list[str]:
    """The services calling ``service`` synchronously (where a network fault on it shows)."""
    return [] if inv is None else sorted(set(inv.callers(service)) - {service})


def pod_check(kind: EffectKind, before: list[Pod], now: list[Pod], *, at: datetime) -> EffectCheck:
    """One pod listing against the pods before the chaos (both: the target's pods only)."""
    old = {p.uid: p for p in before if p.uid}
    if kind == "replaced":
        gone = [p for uid, p in old.items() if uid not in {q.uid for q in now}]
        new = [p for p in now if p.uid not in old]
        seen = bool(gone) and bool(new)
        detail = (f"{len(gone)} of {len(old)} pods replaced: "
                  + ", ".join(f"{p.name} ({p.uid[:8]})" for p in gone) + " -> "
                  + ", ".join(f"{p.name} ({p.uid[:8]}, created {_t(p.created_at)})" for p in new)) if seen else (
            f"the same {len(old)} pod uid{'s' * (len(old) != 1)} as before: " + ", ".join(sorted(p.name for p in now))
            if not gone else f"{len(gone)} pods gone, none replaced yet")
        return EffectCheck(at=at, seen=seen, detail=detail)
    rose = [(old[p.uid], p) for p in now if p.uid in old and p.restarts > old[p.uid].restarts]
    if rose:
        detail = ", ".join(f"{p.name} restartCount {b.restarts} -> {p.restarts}" for b, p in rose)
    else:
        detail = "restartCount unchanged: " + ", ".join(f"{p.name} {p.restarts}" for p in now if p.uid in old)
    return EffectCheck(at=at, seen=bool(rose), detail=detail)


def signal_check(kind: EffectKind, sample: Sample, band: Band, *, target: str, calling: list[str]) -> EffectCheck:
    """One metrics sample against the baseline band (the services and signals ``kind`` watches)."""
    services, signals = _watched(kind, target, calling)
    off: list[str] = []
    for name in services:
        now, ranges = sample.services.get(name), band.ranges.get(name, {})
        for sig in signals:
            value = getattr(now, sig) if now is not None else None
            r = ranges.get(sig)
            if value is None or r is None or r.holds(value) or (kind in ("cpu", "memory") and value < r.low):
                continue
            off.append(f"{name} {sig} {fmt(sig, value)} outside {fmt(sig, r.low)}..{fmt(sig, r.high)}")
    if off:
        return EffectCheck(at=sample.at, seen=True, detail="; ".join(off))
    return EffectCheck(at=sample.at, seen=False, detail=f"tick {sample.tick}: {', '.join(services)} "
                                                           f"{'/'.join(signals)} inside the baseline band")


def _watched(kind: EffectKind, target: str, calling: list[str]) -> tuple[list[str], tuple[str, ...]]:
    if kind == "cpu":
        return [target], ("cpu_millicores",)
    if kind == "memory":
        return [target], ("memory_mib",)
    if kind == "caller-errors":
        return [target, *calling], ("error_rate_pct",)
    return [target, *calling], ("error_rate_pct", "latency_p95_ms")


def chaos_samples(samples: list[Sample], *, start: datetime, end: datetime | None) -> list[Sample]:
    """The monitor's samples while the fault was injected (tick >= 1, up to its end if known)."""
    return [s for s in samples if s.tick >= 1 and s.at >= start and (end is None or s.at <= end)]


def judge(spec: ExperimentSpec, kind: EffectKind, checks: list[EffectCheck]) -> EffectResult:
    """The verdict over every check (observed when any saw the effect)."""
    span = (checks[-1].at - checks[0].at).total_seconds() if len(checks) > 1 else 0.0
    return EffectResult(fault=spec.action.value, kind=kind, what=WHAT[kind], observed=any(c.seen for c in checks),
                        checks=checks, window_s=span)


def inconclusive_reason(effect: EffectResult, min_checks: int) -> str:
    """The run's reason when the fault showed nothing."""
    few = f" (only {len(effect.checks)} of the {min_checks} checks wanted could be made)" if len(effect.checks) < min_checks else ""
    return f"inconclusive: the fault had no observable effect{few}; checked {effect.summary()}"


def _t(at: datetime | None) -> str:
    return at.strftime("%H:%M:%S") if at is not None else "?"
