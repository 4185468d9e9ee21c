"""RCA report: Markdown (with a Mermaid sequence diagram) written from the run's data alone.

Every number in the report comes from the samples, events or spec of the run; where something
is not known (no samples, no engine) the report says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import yaml

from agent.litmus import ChaosEngineManifest
from agent.models import Decision, ExperimentSpec, Outcome, RunEvent, Sample, Signals

SIGNALS: list[tuple[str, str, str]] = [
    ("error_rate_pct", "error rate", "%"),
    ("latency_p95_ms", "p95 latency", " ms"),
    ("cpu_millicores", "CPU", " m"),
    ("memory_mib", "memory", " MiB"),
]


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
        for field, label, unit in SIGNALS:
            b = getattr(base, field)
            series = [(s.at, getattr(s.services.get(service, Signals()), field)) for s in record.samples]
            series = [(at, v) for at, v in series if v is not None]
            if b is None or not series:
                continue
            at, peak = max(series, key=lambda p: p[1])
            if _moved(field, b, peak):
                out.append(Peak(service, field, label, unit, b, peak, series[-1][1], at))
    return out


def _moved(field: str, base: float, peak: float) -> bool:
    if field == "error_rate_pct":
        return peak - base >= 5.0
    return peak >= max(base * 1.5, base + 50 if field == "latency_p95_ms" else base * 1.5)


def tldr(record: RunRecord) -> str:
    """One line in the seed's form, reused by notifications."""
    if record.spec is None or record.outcome in ("rejected", "failed") and not record.samples:
        return f"Finding: run {record.run_id} {record.outcome}" + (f" ({record.reason})" if record.reason else "")
    title = record.spec.title
    worst = max(
        (p for p in impacts(record) if p.signal == "error_rate_pct"), key=lambda p: p.peak, default=None
    )
    recovery = _recovery_s(record)
    rec = f"; recovered after {recovery:.0f} s" if recovery is not None else "; recovery not observed"
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


def _first(record: RunRecord, *kinds: str) -> RunEvent | None:
    return next((e for e in record.events if e.kind in kinds), None)


def _recovery_s(record: RunRecord) -> float | None:
    start = _first(record, "applied", "engine_found")
    end = _first(record, "recovered")
    return (end.at - start.at).total_seconds() if start and end else None


def render(record: RunRecord) -> str:
    """The whole report as Markdown."""
    parts = [
        f"# Chaos report: {record.spec.title if record.spec else 'run ' + record.run_id}",
        f"> {tldr(record)}",
        _summary(record),
        _what_happened(record),
        _timeline(record),
        _impact(record),
        _sequence(record),
        _details(record),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _summary(record: RunRecord) -> str:
    spec, d = record.spec, record.decision
    start = _first(record, "applied", "engine_found")
    end = _first(record, "completed", "stopped")
    rows = [
        ("Run", record.run_id),
        ("Outcome", record.outcome + (f" ({record.reason})" if record.reason else "")),
        ("Experiment", f"{spec.action.value} on {spec.target_selector.namespace}/{spec.target_selector.service}" if spec else "none chosen"),
        ("Litmus verdict", record.verdict or "not known (no ChaosResult read)"),
        ("Chaos started", _ts(start.at) if start else "never (nothing was applied)"),
        ("Chaos duration", f"{(end.at - start.at).total_seconds():.0f} s" if start and end else "not known"),
        ("Decision", f"{d.verdict} by {d.channel}:{d.approver} at {_ts(d.at)}" if d else "none recorded"),
        ("Signals from", record.source),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"## Summary\n\n| | |\n|---|---|\n{table}"


def _what_happened(record: RunRecord) -> str:
    spec = record.spec
    if spec is None or _first(record, "applied", "engine_found") is None:
        return "## What happened\n\nNo chaos was injected: " + (record.reason or record.outcome) + "."
    lines = [f"Expected: {spec.expected_impact}."]
    peaks = impacts(record)
    if peaks:
        for p in peaks[:8]:
            t = _rel(record, p.at)
            lines.append(
                f"- {p.service} {p.label}: {_n(p.baseline)}{p.unit} before, peak {_n(p.peak)}{p.unit} at {t}, "
                f"{_n(p.end)}{p.unit} at the end."
            )
    else:
        lines.append("- No signal moved beyond the deviation limits (5 points of errors, 1.5x p95).")
    rec = _recovery_s(record)
    lines.append(f"Recovery: {'after ' + format(rec, '.0f') + ' s' if rec is not None else 'not observed within the watch window'}.")
    return "## What happened\n\n" + "\n".join(lines)


def _timeline(record: RunRecord) -> str:
    rows = "\n".join(
        f"| {e.at.strftime('%H:%M:%S')} | {_rel(record, e.at)} | {e.kind} | {e.detail} |" for e in record.events
    )
    return f"## Timeline\n\n| time (UTC) | T | event | detail |\n|---|---|---|---|\n{rows}"


def _impact(record: RunRecord) -> str:
    if record.baseline is None or not record.samples:
        return "## Impact vs baseline\n\nNo samples were taken, so the impact is not known."
    peaks = impacts(record)
    if not peaks:
        return f"## Impact vs baseline\n\nNo service moved beyond its baseline over {len(record.samples)} samples."
    rows = "\n".join(
        f"| {p.service} | {p.label} | {_n(p.baseline)}{p.unit} | {_n(p.peak)}{p.unit} | {_n(p.end)}{p.unit} |"
        for p in peaks
    )
    return (
        f"## Impact vs baseline\n\n{len(record.samples)} samples from {record.source}.\n\n"
        f"| service | signal | baseline | peak | end |\n|---|---|---|---|---|\n{rows}"
    )


def _sequence(record: RunRecord) -> str:
    target = record.spec.target_selector.service if record.spec else "target"
    lines = [
        "sequenceDiagram",
        "    participant H as Human",
        "    participant A as Chaos Advisor",
        "    participant K as Kubernetes API",
        f"    participant T as {target}",
    ]
    arrows = {
        "notified": "A->>H: candidates",
        "approved": "H->>A: approve",
        "rejected": "H->>A: reject",
        "dry_run": "A->>K: ChaosEngine (dryRun=All)",
        "applied": "A->>K: create ChaosEngine",
        "engine_found": "A->>K: engine already exists",
        "first_deviation": "T-->>A: first deviation",
        "threshold_breached": "Note over A: abort threshold breached",
        "abort_requested": "A->>K: engineState: stop",
        "completed": "K-->>A: ChaosResult completed",
        "stopped": "K-->>A: ChaosResult stopped",
        "recovered": "T-->>A: back to baseline",
        "recovery_timeout": "Note over A: recovery not seen in time",
        "metrics_lost": "Note over A: metrics lost",
        "failed": "Note over A: failed",
    }
    for e in record.events:
        if e.kind in arrows:
            lines.append(f"    {arrows[e.kind]}")
        if e.kind == "applied" and record.spec:
            lines.append(f"    K->>T: {record.spec.action.value}")
    return "## Sequence\n\n```mermaid\n" + "\n".join(lines) + "\n```"


def _details(record: RunRecord) -> str:
    parts = ["## Technical details"]
    if record.spec:
        parts.append("Spec:\n\n```yaml\n" + yaml.safe_dump(record.spec.model_dump(mode="json"), sort_keys=False) + "```")
    if record.manifest:
        parts.append("ChaosEngine:\n\n```yaml\n" + yaml.safe_dump(record.manifest.body(), sort_keys=False) + "```")
    return "\n\n".join(parts)


def _rel(record: RunRecord, at: datetime) -> str:
    start = _first(record, "applied", "engine_found")
    if start is None:
        return "-"
    s = (at - start.at).total_seconds()
    return f"T{'+' if s >= 0 else '-'}{abs(s):.0f}s"


def _n(v: float) -> str:
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")
