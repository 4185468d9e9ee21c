"""Recommendations tied to evidence: each one names what the run showed and what the manifests
say, so a reader can check it. No evidence, no recommendation."""

from __future__ import annotations

from dataclasses import dataclass

from agent.models import ExperimentSpec, Inventory, Sample, Signals, Workload
from agent.models.faults import Advice
from agent.report.findings import BlastRadius, RecoveryFinding, chaos_window, n
from agent.report.recovery import duration, resolution_s

OUTAGE_PCT = 50.0  # a service failing this share of requests was effectively down
NOTABLE_PCT = 10.0  # errors this high while a pod starts are worth a probe


@dataclass(frozen=True)
class Recommendation:
    action: str
    evidence: str


def _peak(samples: list[Sample], service: str, signal: str) -> float | None:
    values = [getattr(s.services.get(service, Signals()), signal) for s in chaos_window(samples)]
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _down_for(samples: list[Sample], service: str, line: float = OUTAGE_PCT) -> float:
    """Seconds the service spent at or above the outage ``line`` (from tick spacing)."""
    window = chaos_window(samples)
    if len(window) < 2:
        return 0.0
    step = (window[-1].at - window[0].at).total_seconds() / (len(window) - 1)
    down = [s for s in window if (s.services.get(service, Signals()).error_rate_pct or 0) >= line]
    return len(down) * step


def _witness(spec: ExperimentSpec) -> tuple[str, float]:
    """Where the target's errors were measured, and the line that counts as its outage there: its
    own error rate (50 %), or, when it cannot show them (a store, a Java service, a pod that is
    gone), the caller its hypothesis reads them at (``ExpectedSignal.of``), with the share
    predicted there."""
    name = spec.target_selector.service
    seen = [e for e in (spec.hypothesis.expected if spec.hypothesis else [])
            if e.of == name and e.signal == "error_rate_pct"]
    if seen:
        return seen[0].service, seen[0].peak if seen[0].op == "at_least" else OUTAGE_PCT
    return name, OUTAGE_PCT


def recommend(
    spec: ExperimentSpec,
    inventory: Inventory | None,
    samples: list[Sample],
    recovery: RecoveryFinding | None,
    radius: BlastRadius,
) -> list[Recommendation]:
    """What to change, from what this run showed."""
    name = spec.target_selector.service
    target = inventory.target(name) if inventory else None
    w = target.workload if target else None
    out: list[Recommendation] = []
    at, line = _witness(spec)
    whose = "its" if at == name else f"{at}'s"
    peak = _peak(samples, at, "error_rate_pct")
    down = _down_for(samples, at, line)
    if w and w.replicas == 1 and peak is not None and peak >= line:
        seen = (f"its error rate peaked at {n(peak)}% and stayed above {line:g}%" if at == name else
                f"{at}, where its failures are measured, saw errors peak at {n(peak)}% and stay at or above {line:g}%")
        out.append(Recommendation(
            f"Run {name} with replicas >= 2 and add a PodDisruptionBudget (minAvailable: 1).",
            f"{name} has 1 replica; {seen} for {duration(down, resolution_s(samples))}.",
        ))
    delays = [c.readiness.initial_delay_s for c in (w.containers if w else []) if c.readiness]
    if delays and max(delays) >= 60 and down >= max(delays) * 0.5:
        out.append(Recommendation(
            f"Tune {name}'s readiness probe: replace initialDelaySeconds {max(delays)} with a startupProbe "
            "and a short readiness period, so a healthy new pod takes traffic as soon as it is ready.",
            f"the new pod was out of service {duration(down, resolution_s(samples))}; the manifest delays readiness {max(delays)} s.",
        ))
    if w and not delays and target and not target.store and peak is not None and peak >= NOTABLE_PCT:
        out.append(Recommendation(
            f"Add a readiness probe to {name} (e.g. its /health endpoint).",
            f"{name} has none, so it took traffic while starting: {whose} error rate peaked at {n(peak)}%.",
        ))
    advice = spec.action.entry.advice
    if advice is not None:
        out += _advice(advice, spec, w, peak, callers=sorted(radius.observed - {name}))
    if radius.unexpected:
        out.append(Recommendation(
            f"Review the dependency graph in stack.yaml: {', '.join(sorted(radius.unexpected))} moved but were "
            "not predicted to.",
            "the observed blast radius was wider than the hypothesis.",
        ))
    if recovery and recovery.verdict == "refuted" and recovery.observed_s is not None:
        out.append(Recommendation(
            f"Find what slows {name}'s recovery (image pull, start-up work, probes).",
            f"recovery took {duration(recovery.observed_s, recovery.resolution_s)} from {recovery.measured_from}, "
            f"against ≤ {recovery.predicted_s:.0f} s predicted.",
        ))
    return out


def _advice(
    advice: Advice, spec: ExperimentSpec, w: Workload | None, peak: float | None, *, callers: list[str]
) -> list[Recommendation]:
    """The fault's own recommendation (its registry entry's), when what it needs was seen."""
    limits = [c.memory_limit_mib for c in (w.containers if w else []) if c.memory_limit_mib]
    if advice.when == "callers_hit" and not callers:
        return []
    if advice.when == "oom" and not (limits and peak is not None and peak >= OUTAGE_PCT):
        return []
    values = {"service": spec.target_selector.service, "callers": ", ".join(callers),
              "peak": n(peak) if peak is not None else "?", "memory_limit_mib": min(limits, default=0),
              "parameters": spec.parameters}
    return [Recommendation(advice.action.format(**values), advice.evidence.format(**values))]
