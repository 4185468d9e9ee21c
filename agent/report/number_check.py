"""The number check: prose keeps only the sentences whose numbers all appear in the evidence.

:func:`check` drops every sentence that states a number the :class:`Evidence` (built by
``agent.report.evidence.bundle``) does not hold:

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

import re
from dataclasses import dataclass

SMALL = 3  # bare integers up to this pass unchecked (counts and ordinals)


@dataclass(frozen=True)
class Evidence:
    """The bundle as the prompt quotes it, and the numbers prose may cite from it (built by
    ``agent.report.evidence.bundle``; defined here, where it is read)."""

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
