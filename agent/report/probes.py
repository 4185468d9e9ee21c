"""What Litmus's verdict means for a run: its steady-state probes and their results.

Litmus's verdict is only as strong as the engine's probes (litmus-go 3.18.0): with none, Pass
means the fault was injected and reverted without error, nothing about the application; with
probes, Fail means at least one of them saw steady state break (ChaosResult phase
``Completed_With_Probe_Failure``), and ``probeSuccessPercentage`` is the share that held.
"""

from __future__ import annotations

from agent.report.record import RunRecord

NO_PROBE = "Litmus checked nothing about steady state"


def verdict_line(record: RunRecord) -> str:
    """The summary's "Litmus verdict" cell: the verdict, its probe score, and what it means."""
    verdict = record.verdict
    if verdict is None:
        return "not known (no ChaosResult read)"
    status, declared = record.litmus, record.manifest.probes if record.manifest else []
    if not declared and not (status and status.probes):
        return f"{verdict} ({NO_PROBE}: the engine carried no probe)"
    pct = status.probe_success_pct if status else None
    share = f"{pct}% of probes passed" if pct and pct != "Awaited" else "probe results not read"
    return f"{verdict}, {share}"


def _meaning(verdict: str | None, failed: list[str]) -> str:
    if verdict == "Pass":
        return "Pass: every probe held, so steady state (as the probes define it) was kept through this run."
    if verdict == "Fail" and failed:
        return (f"Fail: steady state broke — {', '.join(failed)} failed (ChaosResult phase "
                "Completed_With_Probe_Failure); the fault itself ran.")
    if verdict == "Stopped":
        return "Stopped: the run was aborted before the probes finished; a probe not evaluated shows N/A."
    if verdict in ("Error", "Fail"):
        return f"{verdict}: the experiment itself failed (see the ChaosResult's errorOutput), not a probe."
    return f"{verdict or 'No verdict'}: the run had not ended when the ChaosResult was last read."


def section(record: RunRecord) -> str:
    """``## Steady-state probes``: each probe, what it watched, its status, and what the verdict means."""
    if record.spec is None or not record.injected or record.spec.chaos_engine != "litmus":
        return ""  # Chaos Mesh has no probes nor a verdict of its own: the findings are the agent's
    declared = {p.name: p for p in (record.manifest.probes if record.manifest else [])}
    seen = record.litmus.probes if record.litmus else []
    if not declared and not seen:
        return (f"## Steady-state probes (Litmus)\n\nNone: {NO_PROBE}. Its verdict "
                f"({record.verdict or 'not read'}) only says whether the fault ran; the findings below "
                "come from the agent's own signals.")
    lines = [f"Verdict {verdict_line(record)}. {_meaning(record.verdict, [p.name for p in seen if p.verdict == 'Failed'])}", ""]
    names = list(dict.fromkeys([p.name for p in seen] + list(declared)))
    by_name = {p.name: p for p in seen}
    for name in names:
        probe, result = declared.get(name), by_name.get(name)
        kind = f"{probe.type}, {probe.mode}" if probe else f"{result.type}, {result.mode}" if result else ""
        status = result.verdict if result else "not read"
        why = f": {result.description}" if result and result.description else ""
        watched = f" — checks {probe.watches}" if probe and probe.watches else ""
        lines.append(f"- **{name}** ({kind}): **{status}**{why}{watched}")
    return "## Steady-state probes (Litmus)\n\n" + "\n".join(lines)
