"""verify: after the run ended, and before the report, check from the cluster and the metrics (not
the engine) that the fault took effect and that its chaos is cleaned up.

Effect (``agent.run.effect``): pod faults list the target's pods ``monitor.effect_checks`` times
over ``monitor.effect_window_s`` against those listed right before the apply; signal faults judge
the monitor's samples while the fault was injected against the baseline band. A run that completed
with no observable effect ends inconclusive, never as a held hypothesis.

Cleanup (``agent.run.cleanup``): read every poll interval until verified or
``monitor.cleanup_timeout_s`` passed, then keep the last verdict with every leftover.

Confounders (``agent.run.confounders``): the namespace listed right before the apply against the
same after the effect checks: other ChaosEngines, rollouts, pod changes outside the target.

The results go to the RunStore ("effect", "cleanup", "confounders"); a replay after a crash reuses a stored
effect (its evidence was read once) and checks the cleanup again.
"""

from __future__ import annotations

from datetime import datetime

from langgraph.runtime import Runtime

from agent.errors import ChaosAdvisorError, ClusterError, MetricsUnavailable, NotFound
from agent.models import (
    CleanupResult,
    EffectCheck,
    EffectResult,
    EngineRef,
    ExperimentSpec,
    Inventory,
    Sample,
    Workload,
)
from agent.models.verify import ConfounderResult, PodsBefore, SceneBefore
from agent.ports import Deps
from agent.run import chaos, control
from agent.run.band import Band, band_of, baseline_window
from agent.run.cleanup import CleanupReading, result
from agent.run.confounders import find
from agent.run.effect import (
    POD_KINDS,
    callers,
    chaos_samples,
    inconclusive_reason,
    judge,
    pod_check,
    signal_check,
    target_pods,
)
from graphs.nodes.common import chosen_spec, decision, inventory, read_sample
from graphs.state import RunState


def verify(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    d = decision(state)
    if d is None or d.choice is None:
        return {}
    spec = chosen_spec(deps, state)
    if control.is_control(spec):  # nothing was applied: no effect expected, nothing to clean up
        if state.get("chaos_started_at"):
            _control(deps, state)
        return {}
    engine = _engine(deps, state, spec)
    if engine is None:
        return {}  # nothing was applied: nothing to verify
    run_id, inv = state["run_id"], inventory(deps, state)
    band = _band(deps, run_id)
    update: RunState = {}
    # Cleanup first: it is what a person (and the abort-latency bench) waits for; the effect's
    # pod evidence (new uids, restart counts) stays readable after it.
    deps.store.save(run_id, "cleanup", _cleanup(deps, spec, engine, inv, band))
    if state.get("chaos_started_at"):
        effect = _stored_effect(deps, run_id) or _effect(deps, state, spec, inv, band)
        deps.store.save(run_id, "effect", effect)
        if not effect.observed and state.get("outcome") == "completed":
            update = {"outcome": "inconclusive",
                      "reason": inconclusive_reason(effect, deps.settings.monitor.effect_checks)}
        confounded = _confounders(deps, state, spec, inv, engine)
        if confounded is not None:
            deps.store.save(run_id, "confounders", confounded)
    return update


def _control(deps: Deps, state: RunState) -> None:
    start, end = state.get("chaos_started_at"), state.get("chaos_ended_at")
    window = (datetime.fromisoformat(end) - datetime.fromisoformat(str(start))).total_seconds() if end else 0.0
    deps.store.save(state["run_id"], "cleanup", control.cleanup(at=deps.clock.now()))
    deps.store.save(state["run_id"], "effect", control.effect(window_s=window))


def _engine(deps: Deps, state: RunState, spec: ExperimentSpec) -> EngineRef | None:
    if state.get("engine"):
        return EngineRef.model_validate(state["engine"])
    if not any(e.action == "engine_apply" for e in deps.audit.entries(state["run_id"])):
        return None  # no live apply was ever sent: nothing of this run can be on the cluster
    try:  # a run refused or failed after its apply has no engine in its state: find it by its name
        mine = chaos.derived(state["run_id"], spec)
        if mine.engine == "litmus":
            return deps.cluster.find_engine(mine.namespace, mine.name)
        return mine if any(e.name == mine.name for e in chaos.listed(deps, mine.namespace)) else None
    except ChaosAdvisorError:
        return None  # never rendered, or the cluster cannot say: nothing of ours known to be there


def _band(deps: Deps, run_id: str) -> Band | None:
    try:
        base = deps.store.load(run_id, "baseline", Sample)
    except ChaosAdvisorError:
        return None
    return band_of(baseline_window(base, deps.store.samples(run_id)))


def _stored_effect(deps: Deps, run_id: str) -> EffectResult | None:
    try:
        return deps.store.load(run_id, "effect", EffectResult)
    except ChaosAdvisorError:
        return None


def _effect(deps: Deps, state: RunState, spec: ExperimentSpec, inv: Inventory, band: Band | None) -> EffectResult:
    kind = spec.action.entry.effect
    checks: list[EffectCheck] = []
    if kind not in POD_KINDS and band is not None:
        started = datetime.fromisoformat(str(state["chaos_started_at"]))
        ended = state.get("chaos_ended_at")
        window = chaos_samples(deps.store.samples(state["run_id"]), start=started,
                               end=datetime.fromisoformat(ended) if ended else None)
        calling = callers(inv, spec.target_selector.service)
        checks = [signal_check(kind, s, band, target=spec.target_selector.service, calling=calling) for s in window]
    if kind in POD_KINDS or kind == "memory":  # a memory hog over the limit is an OOM kill: a restart
        checks += _pod_checks(deps, state["run_id"], spec, inv, "replaced" if kind == "replaced" else "restarted")
    return judge(spec, kind, checks)


def _pod_checks(deps: Deps, run_id: str, spec: ExperimentSpec, inv: Inventory, kind: str) -> list[EffectCheck]:
    """List the target's pods ``effect_checks`` times over ``effect_window_s``."""
    m = deps.settings.monitor
    try:
        before = deps.store.load(run_id, "pods_before", PodsBefore).pods
    except ChaosAdvisorError:
        before = target_pods(inv.pods, spec)  # applied by an agent that did not list them: discovery's
    out = []
    for i in range(m.effect_checks):
        if i:
            deps.clock.sleep(m.effect_window_s / (m.effect_checks - 1))
        try:
            now = target_pods(deps.cluster.snapshot([spec.target_selector.namespace]).pods, spec)
        except ClusterError as e:
            out.append(EffectCheck(at=deps.clock.now(), seen=False, detail=f"pods could not be listed: {e}"))
            continue
        out.append(pod_check("replaced" if kind == "replaced" else "restarted", before, now, at=deps.clock.now()))
    return out


def _confounders(deps: Deps, state: RunState, spec: ExperimentSpec, inv: Inventory,
                 engine: EngineRef) -> ConfounderResult | None:
    """Whatever else changed the target's namespace since the apply (``agent.run.confounders``)."""
    ns = spec.target_selector.namespace
    try:
        before = deps.store.load(state["run_id"], "scene_before", SceneBefore)
    except ChaosAdvisorError:
        return None  # applied by an agent that did not list the namespace: not checked
    try:
        now, engines = deps.cluster.snapshot([ns]), chaos.listed(deps, ns)
    except ClusterError:
        return None
    return find(before, pods=now.pods, workloads=now.workloads, engines=engines, spec=spec, inv=inv,
                own=engine.name, since=datetime.fromisoformat(str(state["chaos_started_at"])), at=deps.clock.now())


def _cleanup(deps: Deps, spec: ExperimentSpec, engine: EngineRef, inv: Inventory, band: Band | None) -> CleanupResult:
    m = deps.settings.monitor
    start = deps.clock.now()
    while True:
        verdict = result(_reading(deps, spec, engine, inv, band))
        if verdict.verified or (deps.clock.now() - start).total_seconds() >= m.cleanup_timeout_s:
            return verdict
        deps.clock.sleep(m.poll_interval_s)


def _reading(deps: Deps, spec: ExperimentSpec, engine: EngineRef, inv: Inventory, band: Band | None) -> CleanupReading:
    ns, error, status, pods, workload = engine.namespace, None, None, [], None
    try:
        try:
            status = chaos.status(deps, engine, spec.action.value)
        except NotFound:
            status = None  # gone, and its chaos with it
        # Litmus's runner, experiment and helper pods; Chaos Mesh injects from its daemon: no pods of the run
        pods = deps.cluster.chaos_leftovers(ns, engine.name, engine.uid) if engine.engine == "litmus" else []
        workload = _workload(deps.cluster.snapshot([spec.target_selector.namespace]).workloads, spec)
    except ClusterError as e:
        error = str(e)
    try:
        sample = read_sample(deps, inv, spec, tick=0)
    except MetricsUnavailable:
        sample = None
    return CleanupReading(at=deps.clock.now(), engine=f"{ns}/{engine.name}", status=status, chaos_pods=pods,
                          workload=workload, target=spec.target_selector.service, sample=sample, band=band,
                          error=error)


def _workload(workloads: list[Workload], spec: ExperimentSpec) -> Workload | None:
    sel = spec.target_selector
    mine = [w for w in workloads if w.namespace == sel.namespace]
    return next((w for w in mine if w.name == sel.service), None) or next(
        (w for w in mine if all(w.pod_labels.get(k) == v for k, v in sel.labels.items())), None)
