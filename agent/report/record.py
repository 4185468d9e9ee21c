"""What an RCA report is written from (RunRecord), and the figures every section shares.

Every number in the report comes from the samples, events or spec of the run; where something
is not known (no samples, no engine) the report says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agent.engines.litmus import ChaosEngineManifest
from agent.models import (
    CleanupResult,
    Decision,
    EffectResult,
    EngineRef,
    EngineStatus,
    ExperimentSpec,
    Inventory,
    LLMUsage,
    Outcome,
    RunEvent,
    Sample,
    Signals,
)
from agent.models.history import MetricsRange
from agent.models.journey import JourneyLog
from agent.models.verify import ConfounderResult
from agent.report.findings import RecoveryFinding, first
from agent.report.journey import JourneySummary, summarise, tldr_part
from agent.report.recovery import Recovery, duration, finding, measure

SIGNALS: list[tuple[str, str, str]] = [
    ("error_rate_pct", "error rate", "%"),
    ("latency_p95_ms", "p95 latency", " ms"),
    ("cpu_millicores", "CPU", " m"),
    ("memory_mib", "memory", " MiB"),
]


@dataclass(frozen=True)
class Narrative:
    """Prose a model wrote from the evidence; every number in it appears in the evidence."""

    what_happened: str  # replaces the deterministic body of "What happened"
    recommendations: list[str]  # extra recommendation sentences, each checked the same way
    dropped: list[str]  # sentences removed because a number in them is not in the evidence
    usage: LLMUsage
    model: str


@dataclass(frozen=True)
class RunRecord:
    """Everything the report is written from."""

    run_id: str
    outcome: Outcome
    reason: str | None
    spec: ExperimentSpec | None
    decision: Decision | None
    events: list[RunEvent]
    baseline: Sample | None
    samples: list[Sample]
    manifest: ChaosEngineManifest | None
    verdict: str | None
    source: str  # e.g. "twin signals" or a Prometheus URL
    inventory: Inventory | None = None
    poll_s: float = 5.0  # the monitor's tick (seconds of the run's clock)
    queries: dict[str, str] = field(default_factory=dict)  # "<service>.<signal>" -> PromQL / twin field
    llm_usage: LLMUsage | None = None
    narrative: Narrative | None = None
    litmus: EngineStatus | None = None  # the engine's last status: ChaosResult probes and probeSuccessPercentage
    effect: EffectResult | None = None  # did the fault take effect (graphs.nodes.verify); None: not checked
    cleanup: CleanupResult | None = None  # was its chaos cleaned up; None: nothing was applied
    confounders: ConfounderResult | None = None  # what else changed the namespace (agent.run.confounders); None: not checked
    journey: JourneyLog | None = None  # the agent's own requests to the edge's pages; None: no probe ran
    history: MetricsRange | None = None  # the run read again at the scrape resolution (Prometheus); None: not kept
    engine: EngineRef | None = None  # the chaos object the run applied (or found), and its engine

    @property
    def start(self) -> datetime | None:
        """When chaos was injected (the engine applied), if it was."""
        e = first(self.events, "applied", "engine_found")
        return e.at if e else None

    @property
    def injected(self) -> bool:
        return self.spec is not None and self.start is not None

    @property
    def timed(self) -> list[Sample]:
        """What recovery is timed from: the range read at the scrape resolution when there is one,
        else the monitor's samples."""
        return self.history.samples if self.history is not None and self.history.samples else self.samples


@dataclass(frozen=True)
class Peak:
    service: str
    signal: str
    label: str
    unit: str
    baseline: float
    peak: float
    end: float
    at: datetime


def impacts(record: RunRecord) -> list[Peak]:
    """Per service and signal: baseline -> peak -> end, for signals that moved."""
    if record.baseline is None or not record.samples:
        return []
    out = []
    for service, base in sorted(record.baseline.services.items()):
        for sig, label, unit in SIGNALS:
            b = getattr(base, sig)
            series = [
                (s.at, getattr(s.services.get(service, Signals()), sig)) for s in record.samples if s.tick >= 1
            ]
            series = [(at, v) for at, v in series if v is not None]
            if b is None or not series:
                continue
            at, peak = max(series, key=lambda p: p[1])
            if _moved(sig, b, peak):
                out.append(Peak(service, sig, label, unit, b, peak, series[-1][1], at))
    return out


def _moved(field: str, base: float, peak: float) -> bool:
    if field == "error_rate_pct":
        return peak - base >= 5.0
    return peak >= max(base * 1.5, base + 50 if field == "latency_p95_ms" else base * 1.5)


def tldr(record: RunRecord) -> str:
    """One line in the seed's form, reused by notifications."""
    if record.spec is None or not record.injected:
        return f"Finding: run {record.run_id} {record.outcome}" + (f" ({record.reason})" if record.reason else "")
    title = record.spec.title + _via(record.engine)
    worst = max(
        (p for p in impacts(record) if p.signal == "error_rate_pct"), key=lambda p: p.peak, default=None
    )
    journey = journey_of(record)
    rec = _recovery(record) + (tldr_part(journey, record.spec.target_selector.service) if journey else "")
    if worst is None:
        slow = max(
            (p for p in impacts(record) if p.signal == "latency_p95_ms"), key=lambda p: p.peak, default=None
        )
        if slow is not None:
            return (
                f"Finding: {title} raised {slow.service} p95 to {slow.peak:.0f} ms "
                f"(baseline {slow.baseline:.0f} ms) without errors, {record.outcome}{rec}"
            )
        return f"Finding: {title} caused no error or latency change beyond the limits ({record.outcome}){rec}"
    return (
        f"Finding: {title} caused {worst.peak:.1f}% errors in {worst.service} "
        f"(baseline {worst.baseline:.1f}%), {record.outcome}{rec}"
    )


def _via(engine: EngineRef | None) -> str:
    """Which object carried the fault, when it is not Litmus's ChaosEngine (the default engine)."""
    if engine is None or engine.engine == "litmus":
        return ""
    return f" (Chaos Mesh {engine.kind} {engine.namespace}/{engine.name})"


def recovery_of(record: RunRecord) -> RecoveryFinding | None:
    """The hypothesis's recovery against the one measured from the signals (None: no hypothesis)."""
    from agent.report.timing import rate_window, window_s  # timing reads records

    if record.spec is None:
        return None
    window = rate_window(record)
    return finding(record.spec, record.events, record.baseline, record.timed, lag_s=(window_s(window) or 0.0) if window else 0.0)


def measured(record: RunRecord) -> Recovery | None:
    """Recovery as the signals show it, per service and signal (None: nothing injected)."""
    if record.spec is None or not record.injected:
        return None
    return measure(record.spec, record.events, record.baseline, record.timed)


def journey_of(record: RunRecord) -> JourneySummary | None:
    """The user journey from the injection on (None: no probe ran, or nothing was injected)."""
    return summarise(record.journey, record.start) if record.journey is not None and record.start else None


def _recovery(record: RunRecord) -> str:
    rec = measured(record)
    if rec is None or rec.reference is None or not rec.measured:
        return "; recovery not measured"
    if not rec.affected:
        return "; no SLO signal left its baseline band"
    observed = rec.observed_s
    if observed is None:
        return f"; not back within its baseline band by the last sample ({rec.from_text})"
    return f"; back within baseline {duration(observed, rec.resolution_s)} after {rec.from_text}"
