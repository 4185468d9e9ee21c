"""``recover``: reconcile runs and ChaosEngines after the agent died (SIGKILL, OOM, a lost node).

Every run is judged under its exclusive lease, so a run alive in another process (which holds
the shared lease while it works) is left alone:

- waiting for approval: a claim on its pending interrupt is stale (a live claimer would hold the
  lease), so it is released and audited; the run can be answered again;
- interrupted between steps: resumed from its last checkpoint with no new chaos allowed
  (``Deps.recovering``): an engine already applied is found by its run-derived name and watched
  again (the monitor stops it if it outlived its plan), one never applied ends the run as
  failed, and a missing report is written. With ``stop`` the engine is stopped first;
- ended: nothing.

Then, on each cluster, every ChaosEngine or Chaos Mesh object of the agent's (labelled managed-by
chaos-advisor, named ``ca-<run>``; each driven through its engine, ``agent.run.chaos``) in the policy's namespaces that is still running and that no resumed or live
run watches is stopped: at once when its run ended or waits, and when the run is unknown here
(another agent's?) only once it outlived its planned duration. Last, the agent's engines that
ended longer than ``policy.engine_retention`` ago are deleted with their chaos pods and
ChaosResults (``agent.run.retention``). With ``dry_run`` nothing changes and the findings say what
would be done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import timedelta

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.engines.litmus import engine_name
from agent.errors import ChaosAdvisorError
from agent.models import AuditAction, AuditEntry, EngineInfo
from agent.ports import Deps
from agent.run import chaos
from agent.run.audited import STARTED
from agent.run.retention import RunPhase, sweep
from graphs import runner
from graphs.builder import RunGraph
from graphs.nodes.common import event

Binding = dict[str, object]  # a run's recorded cluster binding (agent.wiring.ClusterBinding)
WHO = "recover"


@dataclass(frozen=True)
class Finding:
    """What recover found about one run or engine, and what it did (or would do)."""

    run_id: str
    found: str
    action: str


def recover(
    graph: RunGraph,
    saver: BaseCheckpointSaver,
    open_deps: Callable[[Binding], AbstractContextManager[Deps]],
    here: Binding | None,
    *,
    dry_run: bool = False,
    stop: bool = False,
) -> list[Finding]:
    """Reconcile every run in ``saver`` (each on its own cluster, opened with ``open_deps``) and
    the agent's engines on those clusters and on ``here`` (the cluster this command was given,
    if any). A cluster or run that cannot be reached is reported and the others still done."""
    views = runner.runs(graph, saver)
    clusters: dict[str, list[runner.RunView]] = {} if here is None else {_key(here): []}
    for v in views:
        clusters.setdefault(_key(v.state.get("cluster") or {}), []).append(v)
    known = {v.run_id: v for v in views}
    findings: list[Finding] = []
    for key, mine in clusters.items():
        try:
            with open_deps(json.loads(key)) as deps:
                findings += _cluster(graph, deps, mine, known, dry_run=dry_run, stop=stop)
        except ChaosAdvisorError as e:
            findings.append(Finding(", ".join(v.run_id for v in mine if v.next) or "-", f"cluster {key}", f"not reached: {e}"))
    return findings


def _cluster(
    graph: RunGraph, deps: Deps, mine: list[runner.RunView], known: dict[str, runner.RunView], *, dry_run: bool, stop: bool
) -> list[Finding]:
    resumed = {v.run_id for v in mine if v.interrupted}
    engines = [e for ns in deps.settings.policy.namespaces for e in chaos.listed(deps, ns)]  # listed once
    findings = _orphans(deps, engines, known, resumed, dry_run=dry_run)
    by_name = {e.name: e for e in engines}
    for v in mine:
        try:
            findings += _run(graph, deps, v, by_name.get(engine_name(v.run_id)), dry_run=dry_run, stop=stop)
        except ChaosAdvisorError as e:  # this run stays as it is; the next may still be recovered
            findings.append(Finding(v.run_id, f"next: {', '.join(v.next)}", f"failed: {e}; run recover again"))
    return findings + _retention(deps, engines, known, resumed, dry_run=dry_run)


def _retention(
    deps: Deps, engines: list[EngineInfo], known: dict[str, runner.RunView], resumed: set[str], *, dry_run: bool
) -> list[Finding]:
    """Delete the ended engines past ``policy.engine_retention`` (as listed before this recover
    acted: an engine it just stopped or a run it resumed waits for the next one)."""
    runs: dict[str, RunPhase] = {r: "live" if v.next or r in resumed else "ended" for r, v in known.items()}
    swept = sweep(deps.cluster, engines, runs, now=deps.clock.now(),
                  retention_s=deps.settings.policy.engine_retention, dry_run=dry_run, other=lambda e: chaos.delete(deps, e))
    return [Finding(s.run_id, s.found, s.action) for s in swept]


def _key(binding: Binding) -> str:
    """One key per cluster: defaults (twin false, no manifests) are left out."""
    return json.dumps({k: v for k, v in binding.items() if v not in (None, False)}, sort_keys=True)


def _run(
    graph: RunGraph, deps: Deps, v: runner.RunView, engine: EngineInfo | None, *, dry_run: bool, stop: bool
) -> list[Finding]:
    if not v.next:
        return []  # ended
    with deps.store.lease(v.run_id, exclusive=True) as mine:
        if not mine:
            return [Finding(v.run_id, f"running in another live process (next: {', '.join(v.next)})", "left alone")]
        if v.waiting is not None:
            return [_waiting(deps, v, dry_run=dry_run)]
        return [_resume(graph, deps, v, engine, dry_run=dry_run, stop=stop)]


def _waiting(deps: Deps, v: runner.RunView, *, dry_run: bool) -> Finding:
    found = "waiting for approval"
    if dry_run or v.interrupt_id is None:
        return Finding(v.run_id, found, "would release an approval claim left by a dead process, if any")
    if not deps.store.release(v.run_id, v.interrupt_id):
        return Finding(v.run_id, found, "nothing to do: answer it with python -m agent resume")
    _audit(deps, v.run_id, "claim_released", f"approval claim {v.interrupt_id} (its claimer died before answering)")
    return Finding(v.run_id, found + ", claimed by a process that died", "released the claim: it can be answered again")


def _resume(
    graph: RunGraph, deps: Deps, v: runner.RunView, engine: EngineInfo | None, *, dry_run: bool, stop: bool
) -> Finding:
    """Resume an interrupted run; ``engine`` is its engine (by its run-derived name), if any."""
    found = f"interrupted before {', '.join(v.next)}"
    cut = _cut_off(deps, v.run_id)
    if cut:
        found += f"; cut off mid-write: {', '.join(cut)} started, no answer on record"
    if engine is not None:
        found += f"; {_what(engine)} {'active' if engine.active else 'ended'}"
    if dry_run:
        plan = "would stop its engine, then finish the run" if stop and engine and engine.active else (
            "would resume it: watch its engine again" if engine else "would resume it without applying anything")
        return Finding(v.run_id, found, plan)
    if stop and engine is not None and engine.active:
        chaos.stop(deps, engine)
    cfg = runner.config(v.run_id, deps)
    graph.update_state(cfg, {"events": [event(deps, "resumed", f"after the agent stopped before {', '.join(v.next)}")]})
    _audit(deps, v.run_id, "run_recovered", found)
    graph.invoke(None, cfg, context=replace(deps, recovering=True), durability="sync")  # type: ignore[arg-type]
    after = runner.view(graph, v.run_id)
    if after.waiting is not None:
        return Finding(v.run_id, found, "resumed: waiting for approval again")
    state = after.state
    return Finding(v.run_id, found, f"resumed: {state.get('outcome')} ({state.get('reason') or 'no reason given'})"
                   f"; report {state.get('report_path')}")


def _cut_off(deps: Deps, run_id: str) -> list[str]:
    """Cluster writes the audit log shows as started and never answered (the process died)."""
    open_writes: dict[str, int] = {}
    for e in deps.audit.entries(run_id):
        if e.action.startswith("engine_"):
            open_writes[e.action] = open_writes.get(e.action, 0) + (1 if e.result == STARTED else -1)
    return [action for action, n in open_writes.items() if n > 0]


def _orphans(
    deps: Deps, engines: list[EngineInfo], known: dict[str, runner.RunView], resumed: set[str], *, dry_run: bool
) -> list[Finding]:
    """Stop the agent's engines still running that no run watches.

    An engine of a run this checkpointer knows (ended, or waiting) is stopped. One it does not
    know may belong to another agent with its own state (a colleague's laptop): it is stopped
    only once it outlived its planned duration (+ ``monitor.overrun_grace_s``), as that agent's
    own monitor would; before that it is left alone and Litmus ends it at its planned end."""
    out = []
    for e in engines:
        if not e.managed or e.run_id is None or not e.active or e.run_id in resumed:
            continue
        run = known.get(e.run_id)
        if run is None:
            why = "its run is unknown to this checkpointer"
            overdue = _overdue(deps, e)
            if overdue is None or overdue <= 0:
                ends = "its planned end is unknown" if overdue is None else f"within its planned duration ({-overdue:.0f} s of grace left)"
                out.append(Finding(e.run_id, f"{_what(e)} still active; {why}",
                                   f"left alone: {ends}; another agent may be watching it"))
                continue
            why += f", and it outlived its planned duration by {overdue + deps.settings.monitor.overrun_grace_s:.0f} s"
        else:
            why = ("its run is waiting for approval" if run.waiting is not None
                   else f"its run ended ({run.state.get('outcome')})")
        found = f"{_what(e)} still active; {why}"
        if dry_run:
            out.append(Finding(e.run_id, found, "would stop it"))
            continue
        done = chaos.stop(deps, e)
        out.append(Finding(e.run_id, found, "stopped it (engineState: stop)" if e.engine == "litmus" else f"stopped it: {done}"))
    return out


def _what(e: EngineInfo) -> str:
    """``engine ns/name`` (a Litmus ChaosEngine) or ``<Chaos Mesh kind> ns/name``."""
    return f"{'engine' if e.engine == 'litmus' else e.kind} {e.namespace}/{e.name}"


def _overdue(deps: Deps, e: EngineInfo) -> float | None:
    """Seconds past its planned end + the overrun grace (> 0: overdue); None when not known."""
    if e.created_at is None or e.duration_s is None:
        return None
    end = e.created_at + timedelta(seconds=e.duration_s + deps.settings.monitor.overrun_grace_s)
    return (deps.clock.now() - end).total_seconds()


def _audit(deps: Deps, run_id: str, action: AuditAction, what: str) -> None:
    deps.audit.record(AuditEntry(run_at=deps.clock.now(), run_id=run_id, who=WHO, action=action, what=what, result="ok"))
