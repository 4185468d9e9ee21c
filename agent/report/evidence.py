"""The evidence a model narrates a run from, and the check that keeps its numbers honest.

:func:`bundle` turns a :class:`RunRecord` into compact JSON Lines (one object per line, every
number formatted as the report prints it), bounded to ``EVIDENCE_TOKENS`` however long the run:
samples are never listed, only baseline / peak / end of each service-signal that moved::

    {"type": "run", "outcome", "reason", "experiment", "action", "target", "parameters",
     "abort_when", "expected_impact", "litmus_verdict", "samples_after_injection", "poll_s"}
    {"type": "signal", "service", "signal", "unit", "baseline", "peak", "peak_at", "end"}  (moved, biggest first)
    {"type": "hypothesis", "statement", "affected_services", "recovery_s"}
    {"type": "finding", "service", "signal", "predicted_peak", "observed_peak", "at", "verdict"}
    {"type": "recovery", "predicted_s", "observed_s", "verdict"}
    {"type": "blast_radius", "predicted", "observed", "not_predicted", "spared"}
    {"type": "target", "service", "replicas", "readiness_delay_s", "memory_limit_mib", "callers"}
    {"type": "event", "t", "kind", "detail"}                    (T+12s relative to the injection)
    {"type": "recommended", "action"}                           (what the report already says)

Over the budget, "recommended" lines go first, then events from the end (key moments such as the
injection, an abort or the recovery last), then the smallest signals.
Every string from the run (event details, names, the hypothesis) is cleaned: no control
characters, no backticks (it sits in a fenced block of the prompt), cut to a bounded length.

:func:`check` keeps only the sentences whose numbers all appear in the evidence:

- A number is a run of digits (``1,500`` = 1500; ``23.4``) with an optional unit (``%``,
  ``percent``, ``ms``, ``s``, ``seconds``, ``min``, ``m``, ``MiB``, ``MB``, ``x``) or ordinal
  suffix, a relative time ``T+12s`` / ``T-5s``, or a number word (``forty-five``).
  Digits glued to a name (``p95``, ``api-2``, ``v1.2``, ``k8s``, ``5xx``) are part of the name.
  Signs are ignored (a hyphen in prose is a range or a name as often as a minus).
- It matches an evidence number when the evidence number, rounded to the decimals the prose
  wrote, equals it: ``23``, ``23.4`` and ``23.40`` all match 23.4; ``23.5`` and ``23.43`` do not.
  A duration may change unit: ``0.9 s`` matches 945 (ms), ``2 minutes`` matches 120 (s); a T+ time
  may not (the evidence writes them all in seconds).
- Bare integers 0 to 3 (no unit, no decimals: "2 replicas", "step 1", "minAvailable: 1") are
  counts and ordinals, not measurements, and pass unchecked; ``2%``, ``T+2s`` or ``0.5`` are checked.
- Dates and clock times (``2026-11-26``, ``12:00:05``) must appear verbatim; the evidence uses
  only T+ times, so prose that states a clock time is dropped.
- Derived numbers (differences, ratios, averages) are not in the evidence and are dropped: the
  model is told to quote, not compute.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from agent.inventory.summary import clean, count_tokens
from agent.models import RunEvent
from agent.report.findings import blast_radius, chaos_window, n, recovery_finding, signal_findings
from agent.report.recommend import recommend
from agent.report.record import Peak, RunRecord, impacts
from agent.report.sections import rel

EVIDENCE_TOKENS = 1500  # the bundle's bound (cl100k): a few hundred more for the instructions
MAX_SIGNALS = 12  # moved service-signals listed, biggest change first
MAX_EVENTS = 20  # timeline events listed (the key moments first: see _KEY)
MAX_RECOMMENDED = 6
MAX_TEXT = 240  # characters kept of free text (hypothesis, expected impact, reason)
MAX_DETAIL = 160  # characters kept of an event's detail
SMALL = 3  # bare integers up to this pass unchecked (counts and ordinals)
_PLUMBING = {"discovered", "designed", "notified", "reported"}  # before the run / after the report
# The moments a narrative turns on: kept when other events must go.
_KEY = {"applied", "engine_found", "threshold_breached", "abort_requested", "stopped", "completed", "recovered",
        "recovery_timeout", "metrics_lost", "cluster_lost", "overrun", "stop_unconfirmed", "resumed", "failed"}


@dataclass(frozen=True)
class Evidence:
    """The bundle as the prompt quotes it, and the numbers prose may cite from it."""

    text: str  # JSON Lines
    tokens: int  # count_tokens(text)
    values: tuple[float, ...]  # every number in text (magnitudes)
    stamps: frozenset[str]  # dates and clock times in text, compared verbatim


@dataclass(frozen=True)
class Number:
    """A number as written in prose."""

    text: str
    value: float  # magnitude
    decimals: int  # as written: the precision it claims
    unit: str  # lower-case unit ("%", "s", "ms", "min", ...; "Ts" / "Tms" for T+ times), "" when none
    stamp: bool = False  # a date or clock time: compared verbatim

    @property
    def exempt(self) -> bool:
        return not self.stamp and not self.unit and self.decimals == 0 and self.value <= SMALL


@dataclass(frozen=True)
class Checked:
    kept: str  # the text without the dropped sentences
    dropped: list[str]


# --- the bundle ----------------------------------------------------------------------------------


def bundle(record: RunRecord, *, budget_tokens: int = EVIDENCE_TOKENS) -> Evidence:
    """The run's evidence as JSON Lines within ``budget_tokens`` (requires an injected run's spec)."""
    spec = record.spec
    assert spec is not None, "only a run with a spec has evidence to narrate"
    fixed = [_run(record), *_hypothesis(record), *_findings(record), *_target(record)]
    signals = _signals(record)[:MAX_SIGNALS]
    events = [_event(record, e) for e in record.events if e.kind not in _PLUMBING]
    while len(events) > MAX_EVENTS:
        _drop_one(events)
    recommended = _recommended(record)[:MAX_RECOMMENDED]

    def text() -> str:
        rows = fixed[:1] + signals + fixed[1:] + events + recommended
        return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)

    body = text()
    for shrinking in (recommended, events, signals):
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
    rec = recovery_finding(spec, record.events, record.poll_s)
    if rec is not None:
        rows.append({"type": "recovery", "predicted_s": _num(rec.predicted_s),
                     "observed_s": _num(rec.observed_s), "verdict": rec.verdict})
    radius = blast_radius(spec, record.baseline, record.samples)
    rows.append({"type": "blast_radius", "predicted": _names(radius.predicted), "observed": _names(radius.observed),
                 "not_predicted": _names(radius.unexpected), "spared": _names(radius.spared)})
    return rows


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
    recovery = recovery_finding(spec, record.events, record.poll_s)
    radius = blast_radius(spec, record.baseline, record.samples)
    recs = recommend(spec, record.inventory, record.samples, recovery, radius)
    return [{"type": "recommended", "action": clean(r.action, MAX_TEXT)} for r in recs]


# --- numbers in prose ----------------------------------------------------------------------------

_STAMP = re.compile(r"(?<![\w:-])(?:\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?)(?![\w:])")
_REL = re.compile(r"(?<!\w)T\s?[+-]\s?(\d+(?:\.\d+)?)\s?(ms|s)\b", re.I)
_UNIT = r"(?:\s?(%|percent\b|ms\b|s\b|secs?\b|seconds?\b|mins?\b|minutes?\b|m\b|mib\b|mb\b|x\b|×)|(?:st|nd|rd|th)\b)?"
_NUM = re.compile(r"(?<![\w.])(?<![A-Za-z][-_])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?" + _UNIT + r"(?!\w)", re.I)
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
        "sixteen seventeen eighteen nineteen".split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORDS = re.compile(
    rf"\b({'|'.join([*_ONES, *_TENS])})(?:-({'|'.join(_ONES[1:10])}))?\b" + _UNIT, re.I)
_SCALES = {"s": (1.0, 1000.0), "ms": (1.0, 0.001), "min": (1.0, 60.0)}  # a time may change unit


def _unit(raw: str | None) -> str:
    u = (raw or "").lower()
    if u in ("s", "sec", "secs", "second", "seconds"):
        return "s"
    if u in ("min", "mins", "minute", "minutes"):
        return "min"
    return "%" if u == "percent" else u


def numbers_in(text: str) -> list[Number]:
    """Every number in ``text``, in the module docstring's sense."""
    found: list[tuple[int, Number]] = []
    spans: list[tuple[int, int]] = []
    for m in _STAMP.finditer(text):
        found.append((m.start(), Number(m.group(0), 0.0, 0, "", stamp=True)))
        spans.append(m.span())
    for m in _REL.finditer(text):
        frac = m.group(1).partition(".")[2]
        found.append((m.start(), Number(m.group(0), float(m.group(1)), len(frac), "T" + m.group(2).lower())))
        spans.append(m.span())
    # Blank what was read above, so "12:00" or "T+10s" are not read again as plain numbers.
    rest = "".join(" " if any(a <= i < b for a, b in spans) else c for i, c in enumerate(text))
    for m in _NUM.finditer(rest):
        whole, frac = m.group(1).replace(",", ""), m.group(2) or ""
        number = Number(m.group(0).strip(), float(f"{whole}.{frac or 0}"), len(frac), _unit(m.group(3)))
        found.append((m.start(), number))
    for m in _WORDS.finditer(rest):
        tens, ones = m.group(1).lower(), (m.group(2) or "").lower()
        value = _TENS.get(tens, _ONES.index(tens) if tens in _ONES else 0) + (_ONES.index(ones) if ones else 0)
        found.append((m.start(), Number(m.group(0).strip(), float(value), 0, _unit(m.group(3)))))
    return [number for _, number in sorted(found, key=lambda f: f[0])]


def supported(number: Number, evidence: Evidence) -> bool:
    """Whether ``number`` appears in ``evidence`` (rounded to the precision the prose wrote)."""
    if number.stamp:
        return number.text in evidence.stamps
    if number.exempt:
        return True
    tolerance = 0.5 * 10.0 ** -number.decimals
    for scale in _SCALES.get(number.unit, (1.0,)):
        value, slack = number.value * scale, tolerance * scale
        if any(abs(abs(e) - value) <= slack + 1e-9 for e in evidence.values):
            return True
    return False


def unsupported(sentence: str, evidence: Evidence) -> list[str]:
    """The numbers of ``sentence`` that the evidence does not hold."""
    return [x.text for x in numbers_in(sentence) if not supported(x, evidence)]


_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'*\[])")


def sentences(text: str) -> list[list[str]]:
    """``text`` as lines of sentences (a line break always ends a sentence)."""
    return [[s for s in _SPLIT.split(line.strip()) if s] for line in text.splitlines() if line.strip()]


def check(text: str, evidence: Evidence) -> Checked:
    """``text`` without the sentences that state a number the evidence does not hold."""
    lines: list[str] = []
    dropped: list[str] = []
    for line in sentences(text):
        kept: list[str] = []
        for s in line:
            (dropped if unsupported(s, evidence) else kept).append(s)
        if kept:
            lines.append(" ".join(kept))
    return Checked(kept="\n".join(lines), dropped=dropped)
