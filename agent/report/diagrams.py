"""Mermaid diagrams for the RCA report: the run as a sequence, and the call graph by impact.

Pure functions from run data to Mermaid source (without the ```mermaid fence). Text from data
goes through ``agent.report.mermaid.label`` (entity codes, never syntax); node and participant ids
are made here, never taken from data. The signal charts are in ``agent.report.charts``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from agent.models import Dependency, EventKind, RunEvent
from agent.report.mermaid import label

# --- sequence --------------------------------------------------------------------------------

# kind -> (line template, default text); {text} is the label; H/A/K/T are the participants.
_ARROWS: dict[EventKind, tuple[str, str]] = {
    "notified": ("A->>H: {text}", "candidates"),
    "approved": ("H->>A: approve {text}", ""),
    "rejected": ("H-xA: reject {text}", ""),
    "refused": ("Note over A: refused by the policy in force: {text}", ""),
    "interrupted": ("H->>A: {text}", "stop"),
    "engine_removed": ("Note over A,K: engine deleted outside the agent: {text}", ""),
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
