"""RCA report: Markdown (with Mermaid diagrams) written from the run's data alone.

Every number in the report comes from the samples, events or spec of the run; where something
is not known (no samples, no engine) the report says so instead of guessing.
"""

from __future__ import annotations

import json

from agent.report import probes
from agent.report import sections as sec
from agent.report.record import RunRecord, recovery_of, tldr

__all__ = ["RunRecord", "render", "sidecar", "tldr"]


def render(record: RunRecord) -> str:
    """The whole report as Markdown."""
    parts = [
        f"# {_title(record)}",
        f"> {tldr(record)}",
        sec.summary(record),
        sec.what_happened(record),
        sec.key_findings(record),
        probes.section(record),
        sec.timeline(record),
        sec.impact(record),
        sec.recommendations(record),
        sec.diagrams(record),
        sec.known(record),
        sec.details(record),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _title(record: RunRecord) -> str:
    """"Chaos report: <title>", or "Control run: <title>" for a no-fault control (agent.run.control)."""
    if record.spec is None:
        return f"Chaos report: run {record.run_id}"
    if record.spec.action.entry.control:
        return f"Control run: {record.spec.title.removeprefix('Control run: ')} (nothing injected)"
    return f"Chaos report: {record.spec.title}"


def sidecar(record: RunRecord) -> str:
    """The report's raw data as JSON: samples, events, findings, so numbers can be re-checked."""
    from dataclasses import asdict

    from agent.report.findings import blast_radius, signal_findings

    spec = record.spec
    data: dict[str, object] = {
        "run_id": record.run_id,
        "outcome": record.outcome,
        "reason": record.reason,
        "tldr": tldr(record),
        "verdict": record.verdict,
        "probe_success_pct": record.litmus.probe_success_pct if record.litmus else None,
        "probes": [p.model_dump() for p in record.litmus.probes] if record.litmus else [],
        "source": record.source,
        "spec": spec.model_dump(mode="json") if spec else None,
        "decision": record.decision.model_dump(mode="json") if record.decision else None,
        "events": [e.model_dump(mode="json") for e in record.events],
        "baseline": record.baseline.model_dump(mode="json") if record.baseline else None,
        "samples": [s.model_dump(mode="json") for s in record.samples],
    }
    if spec is not None and record.injected:
        radius = blast_radius(spec, record.baseline, record.samples)
        rec = recovery_of(record)
        data["findings"] = {
            "signals": [asdict(f) | {"expected": f.expected.model_dump()} for f in signal_findings(spec, record.baseline, record.samples)],
            "recovery": asdict(rec) if rec else None,
            "blast_radius": {"predicted": sorted(radius.predicted), "observed": sorted(radius.observed)},
        }
    return json.dumps(data, indent=2, default=str) + "\n"
