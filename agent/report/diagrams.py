"""Mermaid diagrams for the RCA report: the run as a sequence, the call graph, signals over time.

Pure functions from run data to Mermaid source (without the ```mermaid fence). Every piece of
text that comes from data (service names, event details, titles) goes through ``label()``, which
turns anything Mermaid could read as syntax into an entity code (``#34;`` for ``"``): Mermaid
decodes those when it draws, so a detail like ``a"b -->|x| c; %%{init:…}%%`` shows as written and
can neither break the diagram nor inject a directive. Node and participant ids are made here,
never taken from data.

Charts (``xychart-beta``) start with ``INIT_DIRECTIVE``: the default theme draws their lines in
pastels that barely show on white, so the directive sets ``themeVariables.xyChart.plotColorPalette``
(checked against mermaid 11.17: the first line takes the first colour, and so on).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from agent.models import Dependency, EventKind, RunEvent, Sample, SignalName

PALETTE = ("#d62728", "#1f77b4", "#2ca02c")  # red, blue, green: line 1, 2, 3 of a chart
INIT_DIRECTIVE = "%%{init: " + json.dumps(
    {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(PALETTE)}}}
) + "}%%"
MAX_POINTS = 40  # per line: more makes xychart's SVG heavy without showing more
MAX_LABEL = 80  # characters of one label before it is cut (event details can be long)
MAX_LINES = len(PALETTE)

ChartSignal = SignalName | Literal["ready_replicas"]
SIGNAL_AXES: dict[str, tuple[str, str]] = {  # signal -> (what, unit) for the y axis
    "error_rate_pct": ("error rate", "%"),
    "latency_p95_ms": ("p95 latency", "ms"),
    "cpu_millicores": ("CPU", "millicores"),
    "memory_mib": ("memory", "MiB"),
    "ready_replicas": ("ready replicas", "pods"),
}

# The y axis reaches at least this high, so a quiet baseline (0.4 % errors) is not drawn across
# the whole chart as if it were an outage; 5 points is also the monitor's deviation limit.
Y_FLOOR: dict[str, float] = {"error_rate_pct": 5.0}

_SAFE = re.compile(r"[A-Za-z0-9 _.,/+=@!?'*-]")


def label(text: str, *, limit: int = MAX_LABEL) -> str:
    """``text`` made safe for any Mermaid label: one line, cut to ``limit`` characters, and every
    character outside a small safe set written as a decimal entity code (``#59;`` for ``;``)."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return "".join(c if _SAFE.fullmatch(c) else f"#{ord(c)};" for c in flat)


def init_directive() -> str:
    """The directive that gives chart lines readable colours (``PALETTE``); charts include it."""
    return INIT_DIRECTIVE


# --- sequence --------------------------------------------------------------------------------

# kind -> (line template, default text); {text} is the label; H/A/K/T are the participants.
_ARROWS: dict[EventKind, tuple[str, str]] = {
    "notified": ("A->>H: {text}", "candidates"),
    "approved": ("H->>A: approve {text}", ""),
    "rejected": ("H-xA: reject {text}", ""),
    "dry_run": ("A->>K: ChaosEngine dry run, {text}", "dryRun=All"),
    "applied": ("A->>K: {text}", "create ChaosEngine"),
    "engine_found": ("A->>K: {text}", "engine already exists"),
    "first_deviation": ("T-->>A: first deviation: {text}", ""),
    "threshold_breached": ("Note over A,T: abort threshold breached: {text}", ""),
    "abort_requested": ("A->>K: {text}", "engineState: stop"),
    "completed": ("K-->>A: chaos completed: {text}", ""),
    "stopped": ("K-->>A: chaos stopped: {text}", ""),
    "recovered": ("T-->>A: recovered: {text}", "back to baseline"),
    "recovery_timeout": ("Note over A,T: recovery not seen: {text}", ""),
    "metrics_lost": ("Note over A: metrics lost: {text}", ""),
    "cluster_lost": ("Note over A,K: Kubernetes API lost: {text}", ""),
    "overrun": ("Note over A,K: chaos overran its duration: {text}", ""),
    "stop_unconfirmed": ("Note over A,K: stop not confirmed: {text}", ""),
    "resumed": ("Note over A: resumed by recover: {text}", ""),
    "failed": ("Note over A,K: failed: {text}", ""),
}
_CHAOS_STARTS = ("applied", "engine_found")
_CHAOS_ENDS = ("completed", "stopped")


def sequence(events: list[RunEvent], *, target: str, action: str) -> str:
    """A ``sequenceDiagram`` of the run: Human, Chaos Advisor, Kubernetes API and the target.

    Each event of a known kind becomes an arrow or a note carrying its detail; the chaos window
    (from apply to completed/stopped) is shaded. A note on the left gives each event's time, as
    ``T+12s`` from the start of chaos, or as UTC wall-clock time when chaos never started.

    Args:
        events: The run's events, in order.
        target: The service the fault hits, e.g. "carts".
        action: The fault, e.g. "pod-delete" (drawn as the Kubernetes API acting on the target).
    """
    start = next((e.at for e in events if e.kind in _CHAOS_STARTS), None)
    lines = [
        "sequenceDiagram",
        "    participant H as Human",
        "    participant A as Chaos Advisor",
        "    participant K as Kubernetes API",
        f"    participant T as {label(target)}",
    ]
    shaded, last_time = False, None
    for e in events:
        if e.kind not in _ARROWS:
            continue
        when = _when(e.at, start)
        if when != last_time:
            lines.append(f"    Note left of H: {when}")
            last_time = when
        if e.kind in _CHAOS_STARTS and not shaded:
            lines.append("    rect rgba(214, 39, 40, 0.08)")
            shaded = True
        template, default = _ARROWS[e.kind]
        text = label(e.detail or default)
        lines.append("    " + template.format(text=text).rstrip(": ").rstrip())
        if e.kind == "applied":
            lines.append(f"    K->>T: {label(action)}")
        if e.kind in _CHAOS_ENDS and shaded:
            lines.append("    end")
            shaded = False
    if shaded:
        lines.append("    end")
    return "\n".join(lines)


def _when(at: datetime, start: datetime | None) -> str:
    if start is None:
        return at.strftime("%H#58;%M#58;%S UTC")
    s = round((at - start).total_seconds())
    return f"T{'+' if s >= 0 else '-'}{abs(s)}s"


# --- dependency graph ------------------------------------------------------------------------

_CLASSES = (
    "    classDef target fill:#d62728,stroke:#7f0000,stroke-width:2px,color:#ffffff",
    "    classDef affected fill:#ff9f40,stroke:#b35900,stroke-width:2px,color:#000000",
    "    classDef predicted fill:#ffffff,stroke:#b35900,stroke-width:2px,stroke-dasharray:5 5,color:#000000",
    "    classDef legend fill:#ffffff,stroke:#999999,color:#333333",
    "    classDef legendTitle fill:none,stroke:none,font-weight:bold",
)


def dependency_graph(
    dependencies: list[Dependency], *, target: str, observed: set[str], predicted: set[str]
) -> str:
    """A ``flowchart LR`` of who calls whom, coloured by what the run showed.

    Synchronous calls are solid arrows, asynchronous ones (which do not carry errors) dashed,
    each labelled with its protocol. The target is red; services observed affected are orange;
    services predicted affected but not observed have a dashed orange border. A legend follows.

    Args:
        dependencies: The call graph, ``source`` calls ``target``.
        target: The service the fault hit.
        observed: Services whose signals moved during the run.
        predicted: Services the hypothesis said would be affected.
    """
    names = _ordered([target], (n for d in dependencies for n in (d.source, d.target)),
                     sorted(observed), sorted(predicted))
    ids = _ids(names)
    lines = ["flowchart LR"]
    lines += [f'    {ids[n]}["{label(n)}"]' for n in names]
    for d in dependencies:
        arrow = "-->" if d.sync else "-.->"
        lines.append(f'    {ids[d.source]} {arrow}|"{label(d.protocol)}"| {ids[d.target]}')
    lines += [
        # Plain nodes on an invisible chain: one row under the graph. (A subgraph would be
        # drawn over the graph's edges by mermaid 11's layout.)
        '    lg_h["Legend#58;"]:::legendTitle',
        '    lg_t["chaos target"]:::target',
        '    lg_a["observed affected"]:::affected',
        '    lg_p["predicted, not observed"]:::predicted',
        '    lg_c["solid arrow#58; sync call, dashed#58; async"]:::legend',
        "    lg_h ~~~ lg_t ~~~ lg_a ~~~ lg_p ~~~ lg_c",
        *_CLASSES,
    ]
    affected = [n for n in names if n in observed and n != target]
    missed = [n for n in names if n in predicted and n not in observed and n != target]
    for cls, members in (("target", [target]), ("affected", affected), ("predicted", missed)):
        if members:
            lines.append(f"    class {','.join(ids[n] for n in members)} {cls}")
    return "\n".join(lines)


def _ordered(*groups: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update((n, None) for n in group)
    return list(seen)


def _ids(names: list[str]) -> dict[str, str]:
    """Flowchart ids made from names: prefixed (so ``end`` or ``graph`` cannot clash with a
    keyword), limited to ``[A-Za-z0-9_]``, short, and made unique."""
    ids: dict[str, str] = {}
    for n in names:
        base = "s_" + re.sub(r"[^A-Za-z0-9]", "_", n)[:32]
        ident, i = base, 1
        while ident in ids.values():
            i += 1
            ident = f"{base}_{i}"
        ids[n] = ident
    return ids


# --- signal charts ---------------------------------------------------------------------------


def series(samples: list[Sample], *, service: str, signal: ChartSignal, start: datetime) -> list[tuple[float, float]]:
    """The measured values of one signal of one service, as (seconds since ``start``, value);
    samples without the service or the value are left out."""
    out = []
    for s in samples:
        signals = s.services.get(service)
        value = getattr(signals, signal) if signals is not None else None
        if value is not None:
            out.append(((s.at - start).total_seconds(), float(value)))
    return out


def signal_chart(samples: list[Sample], *, service: str, signal: ChartSignal, title: str, start: datetime) -> str:
    """An ``xychart-beta`` line chart of one signal of one service over time.

    Args:
        samples: The run's samples (any order of ``at``; values may be None).
        service: The service to plot, e.g. "carts".
        signal: The signal, e.g. "error_rate_pct"; the y axis names it with its unit.
        title: The chart's title.
        start: Time zero of the x axis (seconds since it), usually the start of chaos.

    Raises:
        ValueError: The service never has a value of ``signal`` (check ``series()`` first).
    """
    return signals_chart(samples, services=[service], signal=signal, title=title, start=start)


def signals_chart(
    samples: list[Sample], *, services: list[str], signal: ChartSignal, title: str, start: datetime
) -> str:
    """Like ``signal_chart`` with one line per service (at most three: red, blue, green in the
    order given), all on one time grid; services without any value are left out.

    Raises:
        ValueError: More than three services, or none with a value of ``signal``.
    """
    if not 1 <= len(services) <= MAX_LINES:
        raise ValueError(f"signals_chart takes 1 to {MAX_LINES} services, got {len(services)}")
    points = {svc: pts for svc in services if (pts := series(samples, service=svc, signal=signal, start=start))}
    if not points:
        raise ValueError(f"no sample has {signal} for {', '.join(services)}: nothing to chart")
    times = sorted({t for pts in points.values() for t, _ in pts})
    grid = _grid(times[0], times[-1], min(len(times), MAX_POINTS))
    lines = {svc: _resample(pts, grid) for svc, pts in points.items()}
    what, unit = SIGNAL_AXES[signal]
    peak = max(v for values in lines.values() for v in values)
    top = max(_nice_top(peak), Y_FLOOR.get(signal, 0.0))
    if signal == "error_rate_pct" and peak <= 100:
        top = min(top, 100.0)
    x_max = grid[-1] if grid[-1] > grid[0] else grid[0] + 1
    out = [
        INIT_DIRECTIVE,
        "xychart-beta",
        f'    title "{label(title)}"',
        f'    x-axis "{label("seconds since start")}" {_num(grid[0])} --> {_num(x_max)}',
        f'    y-axis "{label(f"{what} ({unit})")}" 0 --> {_num(top)}',
    ]
    out += [f'    line "{label(svc)}" [{", ".join(_num(v) for v in values)}]' for svc, values in lines.items()]
    return "\n".join(out)


def _grid(first: float, last: float, n: int) -> list[float]:
    if n <= 1:
        return [first]
    step = (last - first) / (n - 1)
    return [first + i * step for i in range(n)]


def _resample(points: list[tuple[float, float]], grid: list[float]) -> list[float]:
    """One value per grid point: of the samples nearest to it, the one farthest from the
    series' median (so a short outage or dip survives downsampling); a grid point with no
    sample carries the previous value (the first known one at the start)."""
    median = statistics.median(v for _, v in points)
    buckets: list[list[float]] = [[] for _ in grid]
    step = grid[1] - grid[0] if len(grid) > 1 else 1.0
    for t, v in points:
        buckets[min(len(grid) - 1, max(0, round((t - grid[0]) / step)))].append(v)
    out: list[float] = []
    previous = next(b for b in buckets if b)[0]
    for bucket in buckets:
        if bucket:
            previous = max(bucket, key=lambda v: abs(v - median))
        out.append(previous)
    return out


def _nice_top(peak: float) -> float:
    """A round y-axis maximum a little above ``peak`` (1, 1.2, 1.5, 2, … 8 times a power of ten)."""
    if peak <= 0:
        return 1.0
    raw = peak * 1.05
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= raw)


def _num(v: float) -> str:
    r = round(v, 2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return str(int(r)) if r == int(r) else f"{r:.2f}".rstrip("0")
