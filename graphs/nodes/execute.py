"""execute: render the spec's chaos object (a Litmus ChaosEngine, or a Chaos Mesh PodChaos,
NetworkChaos, StressChaos or DNSChaos: the spec's ``chaos_engine``), dry-run it server-side, apply it once,
all through the run's :class:`~agent.engines.backend.ChaosBackend` (``agent.run.chaos``).

Idempotent: the object's name derives from the run id, so a re-run (after a crash between
apply and checkpoint) finds the object it created instead of creating a second one. Under
``recover`` it never applies: a run whose object never landed ends as failed.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from pydantic import BaseModel

from agent.engines.backend import ChaosBackend, Rendered, engine_ref
from agent.engines.litmus import RUN_LABEL, render
from agent.engines.probes import Probe, PromQLSource, steady_state_probes
from agent.errors import ChaosAdvisorError, ClusterError
from agent.inventory.discovery import discover
from agent.models import AuditEntry, EngineRef, ExperimentSpec, Inventory, Sample
from agent.models.verify import PodsBefore
from agent.ports import Deps
from agent.report.verdict import STOPPED_BEFORE_CHAOS
from agent.run import chaos, control
from agent.run.confounders import scene
from agent.run.effect import target_pods
from agent.run.gate import explain, refusals
from agent.run.locks import LockHolder, lock_keys, take
from agent.run.monitor import breach, steady_state
from agent.run.progress import baseline_head, watch_line
from agent.run.watch import blind_text, missing, watched
from graphs.nodes.common import chosen_spec, event, inventory, read_sample
from graphs.state import RunState


def execute(state: RunState, runtime: Runtime[Deps]) -> RunState:
    deps = runtime.context
    spec = chosen_spec(deps, state)
    inv = inventory(deps, state)
    if control.is_control(spec):  # nothing to render or apply: the engine port is skipped
        try:
            return _control(deps, state, inv, spec)
        except ChaosAdvisorError as e:
            return {"outcome": "failed", "reason": str(e), "events": [event(deps, "failed", str(e))]}
    try:
        backend = chaos.backend(deps, spec.chaos_engine)
        manifest = _render(deps, backend, spec, inv, state["run_id"])
        if isinstance(manifest, BaseModel):  # both engines' objects are; kept for verify and the report
            deps.store.save(state["run_id"], "manifest", manifest)
        if deps.journey is not None and not deps.recovering:  # the edge's pages, from the baseline on (narrate stops it)
            deps.journey.start(state["run_id"])
        return _apply(deps, state, inv, spec, backend, manifest)
    except ChaosAdvisorError as e:
        return {
            "outcome": "failed",
            "reason": str(e),
            "events": [event(deps, "failed", str(e))],
        }


def _render(deps: Deps, backend: ChaosBackend, spec: ExperimentSpec, inv: Inventory, run_id: str) -> Rendered:
    """The backend's object; a Litmus engine also carries the steady-state probes (Litmus's own verdict)."""
    if backend.name != "litmus":
        try:
            return backend.render(spec, run_id=run_id, inventory=inv)
        except ValueError as e:  # the policy refuses these first; a spec that got here anyway is refused too
            raise ChaosAdvisorError(f"{backend.name} cannot run {spec.action.value}: {e}; nothing was applied") from None
    litmus = deps.settings.litmus
    return render(spec, run_id=run_id, service_account=litmus.chaos_service_account, cleanup=litmus.job_cleanup_policy,
                  litmus_version=litmus.version, probes=_probes(deps, spec, inv))


def _existing(deps: Deps, backend: ChaosBackend, obj: Rendered) -> EngineRef | None:
    """This run's object if it is there already (Litmus: by name, whoever owns it; others: among the
    agent's own, by label; a foreign one of the same name then fails the create with a conflict)."""
    if backend.name == "litmus":
        return deps.cluster.find_engine(obj.namespace, obj.name)
    return next((engine_ref(o.ref) for o in backend.list_owned(obj.namespace) if o.ref.name == obj.name), None)


def _probes(deps: Deps, spec: ExperimentSpec, inv: Inventory) -> list[Probe]:
    litmus = deps.settings.litmus
    if not litmus.probes:
        return []
    prometheus = deps.metrics if isinstance(deps.metrics, PromQLSource) else None
    return steady_state_probes(spec, inv, prometheus=prometheus, endpoint=litmus.probe_prometheus_url)


def _apply(
    deps: Deps, state: RunState, inv: Inventory, spec: ExperimentSpec, backend: ChaosBackend, manifest: Rendered
) -> RunState:
    events = []
    existing = _existing(deps, backend, manifest)
    if existing is not None and existing.run_id != state["run_id"]:  # same name, not this run's: never adopt it
        raise ClusterError(
            f"an engine named {manifest.namespace}/{manifest.name} exists but is not this run's (its "
            f"{RUN_LABEL} label is {existing.run_id!r}); nothing was applied: remove it or start a new run"
        )
    if existing is not None:
        engine = existing
        # Applied just before a crash: the pre-chaos baseline was stored before the apply, so it
        # is in the store; only an engine this run never baselined gets a reading now (mid-chaos).
        if not _has_baseline(deps, state["run_id"]):
            deps.store.save(state["run_id"], "baseline", read_sample(deps, inv, spec, tick=0))
        events.append(event(deps, "engine_found", f"{manifest.namespace}/{manifest.name} already applied"))
    elif deps.recovering:  # the agent died after the approval and before any apply landed
        raise ChaosAdvisorError(
            f"the agent stopped after the approval and before the {manifest.kind} was applied; recover "
            "applies no new chaos (the approval was for then, not now): nothing was applied, start "
            "the experiment again if it is still wanted"
        )
    else:
        _require(inv, spec)
        # Alone in its namespace (or blast radius) from the baseline on: another experiment's
        # chaos would pollute the baseline and confound the findings. Released when the run ends.
        busy = take(deps.store, state["run_id"], lock_keys(spec, inv, deps.policy().concurrency),
                    LockHolder(run_id=state["run_id"], title=spec.title, at=deps.wall_now()))
        if busy:
            return _refused(deps, state, manifest, f"refused: {busy}", events, has_baseline=False)
        steady = _baseline(deps, state["run_id"], inv, spec)
        deps.store.save(state["run_id"], "baseline", steady)
        gaps = missing(steady, watched(spec, hypothesis=True))
        if gaps:  # a threshold on a series that is not there could never fire: refuse, not run blind
            ns = spec.target_selector.namespace
            blind = blind_text(gaps, lambda svc, sig: deps.metrics.describe(ns, svc, sig))
            return _refused(deps, state, manifest, f"refused before any chaos, blind: {blind}; an abort condition "
                            "or the hypothesis names it, so nothing was applied: fix the query or "
                            "k8s.monitoring.prometheus.preset (python -m agent doctor compares the presets), "
                            "or watch a signal that is measured", events, has_baseline=True)
        assert spec.abort_threshold is not None
        already = breach(steady, spec.abort_threshold)
        if already:
            raise SteadyStateBreached(
                f"steady state already breaches the abort threshold before any chaos ({already}); "
                "nothing was applied: fix the system or the threshold first"
            )
        who = deps.stop_requested()
        if who is not None:  # asked to stop during the baseline: never start the chaos
            raise ChaosAdvisorError(f"{STOPPED_BEFORE_CHAOS} ({who}) before any chaos; nothing was applied")
        backend.apply(manifest, dry_run=True)
        events.append(event(deps, "dry_run", f"server-side dry-run accepted the {manifest.kind}"))
        if state.get("dry_run"):
            reason = f"dry run: the server accepted the {manifest.kind}; nothing was applied"
            return {"outcome": "dry_run", "reason": reason, "has_baseline": True, "events": events}
        # The last gate, against the policy and the pods as they are at this moment.
        fresh = discover(deps)
        broken = refusals(deps, spec, fresh)
        if broken:
            return _refused(deps, state, manifest, explain(broken), events, has_baseline=True)
        # What the effect check (graphs.nodes.verify) compares with: uids and restart counts now.
        deps.store.save(state["run_id"], "pods_before", PodsBefore(pods=target_pods(fresh.pods, spec)))
        _save_scene(deps, state["run_id"], fresh, spec, manifest.name)
        engine = engine_ref(backend.apply(manifest, dry_run=False))  # its locks end with the run (narrate)
        if not engine.created and engine.run_id != state["run_id"]:  # met an object of that name: not ours
            raise ClusterError(f"a {manifest.kind} named {manifest.namespace}/{manifest.name} exists but is not this "
                               f"run's (its {RUN_LABEL} label is {engine.run_id!r}); remove it or start a new run")
        events.append(event(deps, "applied", f"{manifest.kind} {manifest.namespace}/{manifest.name} created"))
    now = deps.clock.now().isoformat()
    return {
        "engine": engine.model_dump(mode="json"),
        "has_baseline": True,
        "phase": "running",
        "tick": 0,
        "chaos_started_at": engine.created_at.isoformat() if engine.created_at else now,
        "last_cluster_at": now,
        "last_metrics_at": now,
        "last_progress_at": now,
        "deviated": False,
        "events": events,
    }


def _control(deps: Deps, state: RunState, inv: Inventory, spec: ExperimentSpec) -> RunState:
    """A no-fault control (``agent.run.control``): the lease, the baseline and every gate of a fault
    run, then the watch starts with nothing applied. Replayed after a crash, it keeps its baseline."""
    run_id = state["run_id"]
    if not _has_baseline(deps, run_id):
        if deps.recovering:
            raise ChaosAdvisorError("the agent stopped before the control's baseline; recover starts no new watch: "
                                    "nothing was injected, start the control again if it is still wanted")
        busy = take(deps.store, run_id, lock_keys(spec, inv, deps.policy().concurrency),
                    LockHolder(run_id=run_id, title=spec.title, at=deps.wall_now()))
        if busy:
            return _refused(deps, state, None, f"refused: {busy}", [], has_baseline=False)
        steady = _baseline(deps, run_id, inv, spec)
        deps.store.save(run_id, "baseline", steady)
        assert spec.abort_threshold is not None
        already = breach(steady, spec.abort_threshold)
        if already:
            raise SteadyStateBreached(f"steady state already breaches the abort threshold before the control "
                                      f"({already}); fix the system or the threshold first")
        if state.get("dry_run"):
            return {"outcome": "dry_run", "reason": "dry run of a control: nothing to validate, nothing was applied",
                    "has_baseline": True}
        broken = refusals(deps, spec, discover(deps))
        if broken:
            return _refused(deps, state, None, explain(broken), [], has_baseline=True)
    now = deps.clock.now().isoformat()  # after the baseline: the watch is the spec's whole duration
    return {"has_baseline": True, "phase": "running", "tick": 0, "chaos_started_at": now, "last_cluster_at": now,
            "last_metrics_at": now, "last_progress_at": now, "deviated": False,
            "events": [event(deps, "applied", control.APPLIED)]}


class SteadyStateBreached(ChaosAdvisorError):
    """The system is already outside its abort threshold: running chaos would prove nothing."""


def _refused(
    deps: Deps, state: RunState, manifest: Rendered | None, reason: str, events: list[dict[str, object]],
    *, has_baseline: bool,
) -> RunState:
    """End the run as refused before any apply: audited, on the timeline, reported by narrate."""
    what = f"{manifest.kind} {manifest.namespace}/{manifest.name}" if manifest else control.NO_ENGINE
    deps.audit.record(AuditEntry(
        run_at=deps.clock.now(), run_id=state["run_id"], who="agent", action="apply_refused", what=what, result=reason,
    ))
    return {"outcome": "refused", "reason": reason, "has_baseline": has_baseline,
            "events": [*events, event(deps, "refused", reason)]}


def _has_baseline(deps: Deps, run_id: str) -> bool:
    """Whether the durable store holds this run's baseline (state keys are not written yet on replay)."""
    try:
        deps.store.load(run_id, "baseline", Sample)
    except ChaosAdvisorError:
        return False
    return True


def _baseline(deps: Deps, run_id: str, inv: Inventory, spec: ExperimentSpec) -> Sample:
    """Signals over the baseline window before chaos (ticks -n+1..0), reduced to their median."""
    m = deps.settings.monitor
    n = max(1, round(m.baseline_window_s / m.poll_interval_s))
    samples = []
    for i in range(n):
        if i:
            deps.clock.sleep(m.poll_interval_s)
        sample = read_sample(deps, inv, spec, tick=i - n + 1)
        deps.store.append(run_id, sample)
        samples.append(sample)
        head = baseline_head(i + 1, n, window_s=m.baseline_window_s)
        deps.notifier.observe(run_id, spec.title, "baseline", sample, line=watch_line(head, sample, spec, inv))
    return steady_state(samples)


def _require(inv: Inventory, spec: ExperimentSpec) -> None:
    ns = spec.target_selector.namespace
    if spec.chaos_engine == "chaos-mesh":
        if "chaos-mesh" not in inv.litmus.engines:
            raise ClusterError("Chaos Mesh is not installed (no podchaos.chaos-mesh.org CRD); install it (helm "
                               "install chaos-mesh chaos-mesh/chaos-mesh --version 2.8.3), or use chaos_engine: litmus")
        return
    if "chaosengines.litmuschaos.io" not in inv.litmus.crds:
        raise ClusterError(
            "LitmusChaos is not installed (no chaosengines.litmuschaos.io CRD); install the "
            "operator and its CRDs (chaos-operator deploy/chaos_crds.yaml and operator.yaml, "
            "or the litmuschaos Helm chart), then retry"
        )
    if spec.action.value not in inv.litmus.experiments.get(ns, []):
        raise ClusterError(
            f"ChaosExperiment {spec.action.value!r} is not installed in namespace {ns}; apply "
            f"chaos-charts faults/kubernetes/{spec.action.value}/fault.yaml there (Litmus 3.18)"
        )


def _save_scene(deps: Deps, run_id: str, fresh: Inventory, spec: ExperimentSpec, own: str) -> None:
    """What the confounder check (graphs.nodes.verify) compares with: the whole namespace now."""
    ns = spec.target_selector.namespace
    try:
        engines = chaos.listed(deps, ns)
    except ClusterError:
        return  # the report then says the confounders were not checked
    deps.store.save(run_id, "scene_before", scene(fresh.pods, fresh.workloads, engines, namespace=ns, own=own))
