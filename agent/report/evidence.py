"""The evidence a model narrates a run from: a compact, bounded bundle of the run's numbers.

:func:`bundle` turns a :class:`RunRecord` into compact JSON Lines (one object per line, every
number formatted as the report prints it), bounded to ``EVIDENCE_TOKENS`` however long the run:
samples are never listed, only baseline / peak / end of each service-signal that moved::

    {"type": "run", "outcome", "reason", "experiment", "action", "target", "parameters",
     "abort_when", "expected_impact", "litmus_verdict", "samples_after_injection", "poll_s"}
    {"type": "signal", "service", "signal", "unit", "baseline", "peak", "peak_at", "end"}  (moved, biggest first)
    {"type": "hypothesis", "statement", "affected_services", "recovery_s"}
    {"type": "finding", "service", "signal", "predicted_peak", "observed_peak", "at", "verdict"}
    {"type": "recovery", "measured_from", "predicted_s", "observed_s", "resolution_s", "watched_s", "verdict"}
    {"type": "back_in_band", "service", "signal", "off_at", "back_at"}  (T+ times; back_at None: still off)
    {"type": "blast_radius", "predicted", "observed", "not_predicted", "spared"}
    {"type": "target", "service", "replicas", "readiness_delay_s", "memory_limit_mib", "callers"}
    {"type": "event", "t", "kind", "detail"}                    (T+12s relative to the injection)
    {"type": "recommended", "action"}                           (what the report already says)

Over the budget, "back_in_band" lines go first, then "recommended" ones, then events from the end (key moments such as the
injection, an abort or the recovery last), then the smallest signals.
Every string from the run (event details, names, the hypothesis) is cleaned: no control
characters, no backticks (it sits in a fenced block of the prompt), cut to a bounded length.

The prose a model writes from it is checked against its numbers by ``agent.report.number_check``.
"""

from __future__ import annotations

import json

from agent.inventory.summary import clean, count_tokens
from agent.models import RunEvent
from agent.report import timing
from agent.report.findings import blast_radius, chaos_window, n, signal_findings
from agent.report.number_check import Evidence, numbers_in
from agent.report.recommend import recommend
from agent.report.record import Peak, RunRecord, impacts, measured, recovery_of
from agent.report.sections import rel

EVIDENCE_TOKENS = 1500  # the bundle's bound (cl100k): a few hundred more for the instructions
MAX_SIGNALS = 12  # moved service-signals listed, biggest change first
MAX_EVENTS = 20  # timeline events listed (the key moments first: see _KEY)
MAX_RECOMMENDED = 6
MAX_TEXT = 240  # characters kept of free text (hypothesis, expected impact, reason)
MAX_DETAIL = 160  # characters kept of an event's detail
_PLUMBING = {"discovered", "designed", "notified", "reported"}  # before the run / after the report
# The moments a narrative turns on: kept when other events must go.
_KEY = {"applied", "engine_found", "threshold_breached", "abort_requested", "stopped", "completed", "recovered",
        "recovery_timeout", "metrics_lost", "cluster_lost", "overrun", "stop_unconfirmed", "resumed", "failed"}


def bundle(record: RunRecord, *, budget_tokens: int = EVIDENCE_TOKENS) -> Evidence:
    """The run's evidence as JSON Lines within ``budget_tokens`` (requires an injected run's spec)."""
    spec = record.spec
    assert spec is not None, "only a run with a spec has evidence to narrate"
    fixed = [_run(record), *_hypothesis(record), *_findings(record), *_target(record), *timing.evidence_rows(record)]
    signals = _signals(record)[:MAX_SIGNALS]
    events = [_event(record, e) for e in record.events if e.kind not in _PLUMBING]
    while len(events) > MAX_EVENTS:
        _drop_one(events)
    recommended = _recommended(record)[:MAX_RECOMMENDED]
    backs = _backs(record)[:MAX_SIGNALS]

    def text() -> str:
        rows = fixed[:1] + signals + fixed[1:] + backs + events + recommended
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)

    body = text()
    for shrinking in (backs, recommended, events, signals):
        while shrinking and count_tokens(body) > budget_tokens:
            _drop_one(shrinking)
            body = text()
    numbers = numbers_in(body)
    return Evidence(
        text=body, tokens=count_tokens(body),
        values=tuple(x.value for x in numbers if not x.stamp),
        stamps=frozenset(x.text for x in numbers if x.stamp),
    )


Row = dict[str, object]


def _drop_one(rows: list[Row]) -> None:
    """Remove the last row; of events, the last that is not a key moment (while there is one)."""
    minor = [i for i, r in enumerate(rows) if r.get("kind") not in _KEY]
    rows.pop(minor[-1] if minor else -1)


def _num(v: float | None) -> float | int | None:
    """As the report prints it (``agent.report.findings.n``), as a JSON number."""
    if v is None:
        return None
    r = float(n(v))
    return int(r) if r.is_integer() else r


def _run(record: RunRecord) -> Row:
    spec = record.spec
    assert spec is not None
    abort = spec.abort_threshold.all_conditions()[:4] if spec.abort_threshold else []
    return {
        "type": "run", "outcome": record.outcome, "reason": clean(record.reason or "", MAX_TEXT) or None,
        "experiment": clean(spec.title, 120), "action": spec.action.value,
        "target": clean(f"{spec.target_selector.namespace}/{spec.target_selector.service}", 130),
        "parameters": spec.parameters.model_dump(exclude_none=True),
        "abort_when": [clean(f"{c.service} {c.signal} {c.op} {_num(c.value)}", 100) for c in abort],
        "expected_impact": clean(spec.expected_impact, MAX_TEXT), "litmus_verdict": record.verdict,
        "samples_after_injection": len(chaos_window(record.samples)), "poll_s": _num(record.poll_s),
    }


def _hypothesis(record: RunRecord) -> list[Row]:
    h = record.spec.hypothesis if record.spec else None
    if h is None:
        return []
    return [{"type": "hypothesis", "statement": clean(h.statement, MAX_TEXT),
             "affected_services": [clean(s, 63) for s in h.affected_services[:12]], "recovery_s": _num(h.recovery_s)}]


def _signals(record: RunRecord) -> list[Row]:
    def size(p: Peak) -> tuple[bool, float]:  # errors first, then by relative change
        return p.signal != "error_rate_pct", -(p.peak - p.baseline) / max(abs(p.baseline), 1.0)

    return [
        {"type": "signal", "service": clean(p.service, 63), "signal": p.label, "unit": p.unit.strip(),
         "baseline": _num(p.baseline), "peak": _num(p.peak), "peak_at": rel(record, p.at), "end": _num(p.end)}
        for p in sorted(impacts(record), key=size)
    ]


def _findings(record: RunRecord) -> list[Row]:
    spec = record.spec
    assert spec is not None
    rows: list[Row] = [
        {"type": "finding", "service": clean(f.expected.service, 63), "signal": f.expected.signal,
         "predicted_peak": _num(f.expected.peak), "observed_peak": _num(f.observed_peak),
         "at": rel(record, f.at) if f.at else None, "verdict": f.verdict}
        for f in signal_findings(spec, record.baseline, record.samples)[:8]
    ]
    rec = recovery_of(record)
    if rec is not None:
        rows.append({"type": "recovery", "measured_from": rec.measured_from, "predicted_s": _num(rec.predicted_s),
                     "observed_s": _num(rec.observed_s), "resolution_s": _num(rec.resolution_s),
                     "watched_s": _num(rec.watched_s), "verdict": rec.verdict})
    radius = blast_radius(spec, record.baseline, record.samples)
    rows.append({"type": "blast_radius", "predicted": _names(radius.predicted), "observed": _names(radius.observed),
                 "not_predicted": _names(radius.unexpected), "spared": _names(radius.spared)})
    return rows


def _backs(record: RunRecord) -> list[Row]:
    """When each service-signal left its band and came back (SLO signals first)."""
    m = measured(record)
    rows = sorted(m.rows if m else [], key=lambda r: r.signal not in ("error_rate_pct", "latency_p95_ms", "ready_replicas"))
    return [{"type": "back_in_band", "service": clean(r.service, 63), "signal": r.signal, "off_at": rel(record, r.off_at),
             "back_at": rel(record, r.back_at) if r.back_at else None} for r in rows]


def _names(services: set[str]) -> list[str]:
    return [clean(s, 63) for s in sorted(services)[:12]]


def _target(record: RunRecord) -> list[Row]:
    spec, inv = record.spec, record.inventory
    t = inv.target(spec.target_selector.service) if spec and inv else None
    if t is None or inv is None:
        return []
    w = t.workload
    delays = [c.readiness.initial_delay_s for c in (w.containers if w else []) if c.readiness]
    limits = [c.memory_limit_mib for c in (w.containers if w else []) if c.memory_limit_mib]
    return [{"type": "target", "service": clean(t.name, 63), "replicas": w.replicas if w else None,
             "readiness_delay_s": max(delays) if delays else None, "memory_limit_mib": min(limits) if limits else None,
             "callers": [clean(c, 63) for c in inv.callers(t.name)[:12]]}]


def _event(record: RunRecord, e: RunEvent) -> Row:
    return {"type": "event", "t": rel(record, e.at), "kind": e.kind, "detail": clean(e.detail, MAX_DETAIL) or None}


def _recommended(record: RunRecord) -> list[Row]:
    spec = record.spec
    assert spec is not None
    recovery = recovery_of(record)
    radius = blast_radius(spec, record.baseline, record.samples)
    recs = recommend(spec, record.inventory, record.samples, recovery, radius)
    return [{"type": "recommended", "action": clean(r.action, MAX_TEXT)} for r in recs]
