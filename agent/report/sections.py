"""The sections of the RCA report, each written from the run's data alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import yaml

from agent.design import measurable
from agent.report import charts, probes, recovery, timing
from agent.report import diagrams as mm
from agent.report.findings import (
    blast_radius,
    first,
    n,
    signal_findings,
)
from agent.report.recommend import recommend
from agent.report.record import Peak, RunRecord, impacts, measured, recovery_of
from agent.report.verified import cleanup_line, effect_line
from agent.run import confounders
from agent.run.band import RULE


def rel(record: RunRecord, at: datetime) -> str:
    """``T+12s`` relative to the injection, ``-`` when nothing was injected."""
    if record.start is None:
        return "-"
    s = (at - record.start).total_seconds()
    return f"T{'+' if s >= 0 else '-'}{abs(s):.0f}s"


def _injected_at(record: RunRecord) -> datetime | None:
    """The real time of the injection (its event's wall clock); the run's clock before that was recorded."""
    return next((e.wall for e in record.events if e.kind in ("applied", "engine_found") and e.wall), record.start)


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def summary(record: RunRecord) -> str:
    spec, d = record.spec, record.decision
    end = first(record.events, "completed", "stopped")
    target = f"{spec.action.value} on {spec.target_selector.namespace}/{spec.target_selector.service}" if spec else None
    rows = [
        ("Experiment", f"{spec.title} ({target})" if spec else "none chosen"),
        ("Run", record.run_id),
        *([("Cluster", spec.cluster)] if spec and spec.cluster else []),
        ("Status", record.outcome + (f" — {record.reason}" if record.reason else "")),
        ("Started", ts(_injected_at(record) or record.start) if record.start else "never: nothing was applied"),
        ("Chaos duration", recovery.duration((end.at - record.start).total_seconds(), recovery.resolution_s(record.samples))
         if record.start and end else "not known"),
        ("Litmus verdict", probes.verdict_line(record)) if not record.engine or record.engine.engine == "litmus"
        else ("Chaos object", f"Chaos Mesh {record.engine.kind} {record.engine.namespace}/{record.engine.name}"),
        ("Effect", effect_line(record.effect, record.start)),
        ("Confounders", confounders.line(record.confounders, record.start)),
        ("Cleanup", cleanup_line(record.cleanup, record.start)),
        ("Decision", f"{d.verdict} by {d.channel}:{d.approver} at {ts(d.at)}" if d else "none recorded"),
        ("Signals from", record.source),
    ]
    if record.llm_usage and record.llm_usage.calls:
        u = record.llm_usage
        rows.append(("LLM tokens", f"{u.prompt_tokens} in, {u.completion_tokens} out ({u.calls} call(s))"))
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"## Executive summary\n\n| | |\n|---|---|\n{table}"


def what_happened(record: RunRecord) -> str:
    spec = record.spec
    if spec is None or not record.injected:
        return "## What happened\n\nNo chaos was injected: " + (record.reason or record.outcome) + "."
    if record.narrative is not None:
        note = f"\n\n_Written by {record.narrative.model} from this run's evidence; every number was checked against it._"
        return "## What happened\n\n" + record.narrative.what_happened + note
    lines = [f"The agent applied {spec.action.value} to {spec.target_selector.service} at {ts(_injected_at(record))}"  # type: ignore[arg-type]
             f" for {spec.parameters.duration_s} s. Expected: {spec.expected_impact}."]
    peaks = impacts(record)[:8]
    marked = [_lingering(record, p) for p in peaks]
    for p, mark in zip(peaks, marked, strict=True):
        lines.append(
            f"- {p.service} {p.label}: {n(p.baseline)}{p.unit} before, peak {n(p.peak)}{p.unit}"
            f"{MARK if mark else ''} at {rel(record, p.at)}, {n(p.end)}{p.unit} at the end."
        )
    if any(marked):
        lines.append(f"{MARK} {LINGERING}")
    if not peaks:
        lines.append("- No signal moved beyond the deviation limits (5 points of errors, 1.5x p95).")
    ended = first(record.events, "threshold_breached", "metrics_lost", "cluster_lost", "overrun")
    if ended:
        lines.append(f"The run was aborted at {rel(record, ended.at)}: {ended.detail}.")
    return "## What happened\n\n" + "\n".join(lines)


def key_findings(record: RunRecord) -> str:
    spec = record.spec
    if spec is None or not record.injected:
        return ""
    out = ["## Key findings", ""]
    if spec.hypothesis:
        out.append(f"Hypothesis: {spec.hypothesis.statement}.")
    if record.outcome == "inconclusive":  # predictions are not graded on a fault that did nothing
        out.append("**Inconclusive: the fault had no observable effect**; nothing below confirms the hypothesis.")
    for f in signal_findings(spec, record.baseline, record.samples):
        f = replace(f, verdict="inconclusive") if record.outcome == "inconclusive" else f
        out.append(f"- {f.sentence(record.start)}{confounders.mark(record.confounders, f.expected.service)}")
    rec = recovery_of(record)
    if rec:
        moved = {r.service for r in m.rows} if (m := measured(record)) is not None else set()
        out.append(f"- {recovery.finding_line(rec)}{confounders.mark(record.confounders, *sorted(moved))}")
    out += _recovery_rows(record)
    out += timing.lines(record, lambda at: rel(record, at))  # resolution, rate() window, user journey
    radius = blast_radius(spec, record.baseline, record.samples)
    out.append(
        f"- blast radius: predicted {', '.join(sorted(radius.predicted)) or 'none'}; observed "
        f"{', '.join(sorted(radius.observed)) or 'none'}"
        + (f"; not predicted: {', '.join(s + confounders.mark(record.confounders, s) for s in sorted(radius.unexpected))}"
           if radius.unexpected else "")
        + _spared(record, radius.spared)
    )
    return "\n".join(out)


def _spared(record: RunRecord, spared: set[str]) -> str:
    """Predicted services that did not move, split by what their own metrics could show
    (:mod:`agent.models.measure`): a store exports no request metrics, a Java service counts no
    failures, so "unaffected" would claim what was never measurable."""
    inv = record.inventory
    kinds = {s: measurable.kind(inv, s) if inv is not None else "all" for s in spared}
    parts = [(f"; predicted but unaffected: {', '.join(sorted(s for s, k in kinds.items() if k == 'all'))}", "all"),
             (f"; not measurable by their own metrics (none exported): "
              f"{', '.join(sorted(s for s, k in kinds.items() if k == 'none'))}", "none"),
             (f"; their own error rate counts successes only, so cannot show failures: "
              f"{', '.join(sorted(s for s, k in kinds.items() if k == 'successes'))}", "successes")]
    return "".join(text for text, k in parts if k in kinds.values())


def _recovery_rows(record: RunRecord) -> list[str]:
    m = measured(record)
    if m is None or not m.rows:
        return []
    head = (f"- by signal (samples up to {m.resolution_s:g} s apart, so each instant is known to ± "
            f"{m.resolution_s:g} s; band: {RULE}):")
    lines = recovery.signal_lines(m, lambda at: rel(record, at))
    return [head, *(f"  - {line}{confounders.mark(record.confounders, r.service)}" for r, line in zip(m.rows, lines, strict=True))]


def timeline(record: RunRecord) -> str:
    rows = "\n".join(
        f"| {(e.wall or e.at).strftime('%H:%M:%S')} | {rel(record, e.at)} | {e.kind} | {e.detail} |" for e in record.events
    )
    note = ("\n\nTime is the real time (UTC) each event was recorded; T is the offset from the injection on the "
            "twin's virtual clock, which runs faster than real time.") if "twin" in record.source else ""
    return f"## Timeline\n\n| time (UTC) | T | event | detail |\n|---|---|---|---|\n{rows}{note}"


def impact(record: RunRecord) -> str:
    if record.baseline is None or not record.samples:
        return "## Impact analysis\n\nNo samples were taken, so the impact is not known."
    peaks = impacts(record)
    if not peaks:
        return f"## Impact analysis\n\nNo service moved beyond its baseline over {len(record.samples)} samples."
    marked = [_lingering(record, p) for p in peaks]
    rows = "\n".join(
        f"| {p.service} | {p.label} | {n(p.baseline)}{p.unit} | {n(p.peak)}{p.unit}{MARK if mark else ''} "
        f"| {n(p.end)}{p.unit} | `{record.queries.get(f'{p.service}.{p.signal}', record.source)}` |"
        for p, mark in zip(peaks, marked, strict=True)
    )
    foot = f"\n\n{MARK} {LINGERING}" if any(marked) else ""
    return (
        f"## Impact analysis\n\n{len(record.samples)} samples (baseline window included) from {record.source}.\n\n"
        f"| service | signal | baseline | peak | end | measured by |\n|---|---|---|---|---|---|\n{rows}{foot}"
    )


MARK = "\\*"  # a literal asterisk in Markdown
LINGERING = ("while the target's pods were replaced, its memory may count a deleted pod and its replacement together: a cAdvisor "
             "series carries its own timestamps, so Prometheus marks no staleness when the pod goes and keeps its last "
             "sample for the query lookback (5 min by default)")


def _lingering(record: RunRecord, p: Peak) -> bool:
    """Whether ``p`` is a replaced target's memory summed from cAdvisor series, which adds the gone pod's last sample."""
    e, spec = record.effect, record.spec
    return (p.signal == "memory_mib" and spec is not None and p.service == spec.target_selector.service
            and e is not None and e.kind == "replaced" and e.observed
            and "container_memory" in record.queries.get(f"{p.service}.memory_mib", ""))


def recommendations(record: RunRecord) -> str:
    spec = record.spec
    if spec is None or not record.injected:
        return ""
    radius = blast_radius(spec, record.baseline, record.samples)
    recs = recommend(spec, record.inventory, record.samples, recovery_of(record), radius)
    lines = [f"- **{r.action}** Evidence: {r.evidence}" for r in recs]
    if record.narrative is not None:
        lines += [f"- {text}" for text in record.narrative.recommendations]
    if not lines:
        return "## Recommendations\n\nNone: the run showed no weakness to act on."
    return "## Recommendations\n\n" + "\n".join(lines)


def known(record: RunRecord) -> str:
    """What this ending lets us say, and what it does not."""
    o = record.outcome
    k: list[str] = []
    u: list[str] = []
    if o == "rejected":
        k.append("a person declined every proposed experiment; nothing touched the cluster")
        u.append("how the system would have behaved")
    elif o == "refused":
        k.append(f"the policy in force refused the plan before any chaos: {record.reason}; nothing touched the cluster")
        u.append("how the system would have behaved")
    elif o == "dry_run":
        k.append("the API server accepted the ChaosEngine in a server-side dry-run; nothing was applied")
        u.append("how the system behaves under the fault")
    elif o == "failed" and not record.injected:
        k.append(f"the run stopped before any chaos: {record.reason}")
        u.append("how the system behaves under the fault")
    else:
        k.append(f"{len([s for s in record.samples if s.tick >= 1])} samples after injection, every service's signals")
        if o == "aborted":
            k.append(f"the run was aborted: {record.reason}; the engine was told to stop")
            u.append("how far the impact would have gone had the fault run its full course")
        if first(record.events, "metrics_lost"):
            u.append("the signals while metrics were missing")
        if first(record.events, "cluster_lost", "stop_unconfirmed"):
            u.append("the engine's state while the Kubernetes API did not answer")
        if first(record.events, "stop_unconfirmed"):
            u.append("whether the engine stopped before its planned end: run python -m agent recover to check")
        if not first(record.events, "recovered"):
            u.append("when (or whether) the services fully recovered: not seen within the watch window")
    u.append("anything outside the watched signals (error rate, p95, CPU, memory) and services")
    return "## What is known, and what is not\n\n" + "\n".join(
        [f"- Known: {x}." for x in k] + [f"- Not known: {x}." for x in u]
    )


def details(record: RunRecord) -> str:
    parts = ["## Technical details"]
    if record.spec:
        parts.append("Spec:\n\n```yaml\n" + yaml.safe_dump(record.spec.model_dump(mode="json"), sort_keys=False) + "```")
    if record.manifest:
        parts.append("ChaosEngine:\n\n```yaml\n" + yaml.safe_dump(record.manifest.body(), sort_keys=False) + "```")
    return "\n\n".join(parts)



def diagrams(record: RunRecord) -> str:
    """Mermaid: the run as a sequence, the call graph coloured by impact, the main signals."""
    spec = record.spec
    target = spec.target_selector.service if spec else "target"
    parts = ["## Diagrams", "Sequence of the run:", _fence(mm.sequence(record.events, target=target, action=spec.action.value if spec else "-"))]
    if spec is None or not record.injected:
        return "\n\n".join(parts)
    radius = blast_radius(spec, record.baseline, record.samples)
    if record.inventory is not None:
        parts += [
            "Dependency graph (red: target; orange: affected; dashed: predicted, not affected):",
            _fence(mm.dependency_graph(record.inventory.dependencies, target=target,
                                       observed=radius.observed, predicted=radius.predicted)),
        ]
    chart = _chart(record)
    if chart:
        parts += ["Main signals over time:", _fence(chart)]
    return "\n\n".join(parts)


def _chart(record: RunRecord) -> str | None:
    spec = record.spec
    assert spec is not None and record.start is not None
    watched = spec.abort_threshold.service if spec.abort_threshold else spec.target_selector.service
    signal: charts.ChartSignal = spec.action.entry.chart_signal  # the fault's registry entry says what to chart
    movers = [p.service for p in sorted(impacts(record), key=lambda p: -p.peak) if p.signal == signal]
    services = list(dict.fromkeys([spec.target_selector.service, watched, *movers]))[:3]
    try:
        return charts.signals_chart(
            record.samples, services=services, signal=signal, title=f"{signal} during {spec.title}", start=record.start
        )
    except ValueError:
        return None  # no sample carries that signal: the impact table says so


def _fence(source: str) -> str:
    return f"```mermaid\n{source}\n```"
