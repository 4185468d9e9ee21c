"""The Litmus operator, chaos-runner and litmus-go, emulated as a reconcile over virtual time.

`reconcile(state, until)` first acts on engines whose desired state changed (start an active
engine, abort one patched to stop), then performs every scheduled step of every run due by
`until`, in time order and each at its own time, so advancing the clock by 600 s at once
gives exactly what ten 60 s advances give. A run's steps are fixed when it starts: the runner's
and the experiment pod's start-up (`litmus_launch`), inject at t0 (= litmus-go's start + RAMP_TIME), repeat kills every CHAOS_INTERVAL while before t0 +
TOTAL_CHAOS_DURATION (pod-delete, container-kill), revert at the end, complete after the
closing RAMP_TIME. node-drain is the exception: litmus-go counts its duration only once the
application passes a status check after the drain, so its revert and completion are scheduled
at the drain (or a failing check is). Pods already restarting keep restarting after a run ends
or is aborted.
"""

from __future__ import annotations

from twin import chaos_mesh, chaos_pods, litmus_launch, probes
from twin.faults import SIMULATIONS, act, drain, status_check
from twin.litmus_end import complete, current_run, fail, stop
from twin.litmus_shapes import EngineExperiment
from twin.records import (
    ENGINE_KEY,
    EXPERIMENT_KEY,
    engine_of,
    init_finalizer,
    mark_targets,
    touch,
)
from twin.state import FaultRun, KObj, State, Step, Target, okey, rfc3339, stable_suffix
from twin.targets import FaultError, drain_node, number, select_targets


def reconcile(state: State, until: float, *, operator: bool = True) -> bool:
    """Bring the cluster to virtual time `until`; returns whether anything changed.

    With ``operator=False`` (the operator is down: `TwinServer.pause_operator`) time passes but
    engines are neither started, stopped nor stepped; once it is back it catches up.
    """
    changed = _sync_engines(state) if operator else False
    while operator and (due := _next_due(state, until)) is not None:
        run, step = due
        run.steps.remove(step)
        _log_recoveries(state, step.t)  # before a step can restart a pod again
        state.now = max(state.now, step.t)
        _perform(state, run, step)
        changed = True
    changed |= chaos_mesh.reconcile(state, until)  # its own controller: up without Litmus
    changed |= _log_recoveries(state, until)
    if until > state.now:
        state.now = until
        changed = True
    return changed


def _next_due(state: State, until: float) -> tuple[FaultRun, Step] | None:
    best: tuple[FaultRun, Step] | None = None
    for run in state.runs:
        if run.phase == "running" and run.steps and run.steps[0].t <= until:
            if best is None or run.steps[0].t < best[1].t:
                best = (run, run.steps[0])
    return best


def _sync_engines(state: State) -> bool:
    changed = False
    for _, engine in sorted(state.bucket(ENGINE_KEY).items()):
        desired = (engine.get("spec") or {}).get("engineState") or "active"
        current = (engine.get("status") or {}).get("engineStatus")
        run = current_run(state, engine)
        if desired == "active" and (current != "initialized" or run is None):
            if run is not None:  # status rewritten by a client mid-run: the old run ends
                run.phase, run.steps, run.stopped_at = "stopped", [], state.now
            changed |= _launch(state, engine, state.now)
        elif desired == "stop" and current == "initialized":
            stop(state, engine, state.now)
            changed = True
    return changed


def _params(experiment: KObj, entry: EngineExperiment) -> dict[str, str]:
    """ChaosExperiment env defaults, overridden by the engine's
    experiments[].spec.components.env (litmus-go reads the merged values)."""
    defaults = (experiment.get("spec") or {}).get("definition", {}).get("env") or []
    spec = entry.get("spec") if isinstance(entry.get("spec"), dict) else {}
    overrides = ((spec or {}).get("components") or {}).get("env") or []
    params = {str(e["name"]): str(e.get("value") or "") for e in defaults if "name" in e}
    params.update({str(e["name"]): str(e.get("value") or "") for e in overrides if "name" in e})
    return params


def _fault_of(experiment: KObj, name: str) -> str:
    """The litmus-go fault a ChaosExperiment runs (`./experiments -name <fault>`)."""
    args = " ".join((experiment.get("spec") or {}).get("definition", {}).get("args") or [])
    words = args.split()
    if "-name" in words and words.index("-name") + 1 < len(words):
        return words[words.index("-name") + 1]
    return name


def _launch(state: State, engine: KObj, t: float) -> bool:
    """Start the engine's run, or hold it while its ChaosExperiment is missing; whether it changed.

    The operator builds the runner pod only after a Get of ``experiments[0]``'s ChaosExperiment
    (chaos-operator 3.18.0 chaosengine_controller.go:171-175 newGoRunnerPodForCR); when that fails
    it creates nothing and requeues with backoff (:599-602), after initEngine (:528-553) has set
    ``engineStatus: initialized`` and the finalizer. So: no runner, no experiments[] status, no
    ChaosResult, until the ChaosExperiment is installed; then the run starts.
    """
    meta, spec = engine["metadata"], engine.setdefault("spec", {})
    entry: EngineExperiment = (spec.get("experiments") or [{}])[0]
    experiment = state.bucket(EXPERIMENT_KEY).get(okey(meta["namespace"], str(entry.get("name", ""))))
    if experiment is not None:
        _start(state, engine, experiment, t)
        return True
    before = (engine.get("status"), spec.get("engineState"), meta.get("finalizers"))
    engine["status"], spec["engineState"] = {"engineStatus": "initialized"}, "active"
    init_finalizer(engine)
    if (engine["status"], spec["engineState"], meta.get("finalizers")) == before:
        return False
    touch(state, engine)
    return True


def _start(state: State, engine: KObj, experiment: KObj, t: float) -> None:
    meta, spec = engine["metadata"], engine.setdefault("spec", {})
    spec["engineState"] = "active"
    entry: EngineExperiment = (spec.get("experiments") or [{}])[0]
    name = str(entry.get("name", ""))
    params = _params(experiment, entry)
    inject_at = t + litmus_launch.launch_s(state) + number(params, "RAMP_TIME")
    run = FaultRun(
        engine_uid=meta["uid"], namespace=meta["namespace"], engine=meta["name"],
        experiment=name, fault=_fault_of(experiment, name), result=f"{meta['name']}-{name}",
        started_at=t + litmus_launch.launch_s(state), inject_at=inject_at,  # started: litmus-go's start
        end_at=inject_at + number(params, "TOTAL_CHAOS_DURATION", 30), params=params,
        # chaos-runner names the Job <experiment>-<6 random> (experimentHelper.go NewExperimentDetails);
        # the Job controller names its pod <job>-<5 random>: engine status experimentPod is the pod
        experiment_pod=f"{name}-{stable_suffix(state.seed, meta['uid'] + str(t), 6)}-"
                       f"{stable_suffix(state.seed, meta['uid'] + str(t) + '/pod', 5)}",
    )
    run.broken = chaos_pods.broken(state, engine)
    state.runs.append(run)
    init_finalizer(engine)
    run.log(t, f"engine {meta['name']} initialized: {run.fault}, chaos from "
               f"{rfc3339(inject_at)} for {run.end_at - inject_at:.0f}s")
    try:
        _prepare(state, engine, run, experiment)
        litmus_launch.schedule(state, run, t)
    except FaultError as error:
        litmus_launch.schedule(state, run, t, error)
    chaos_pods.start(state, engine, run, t)  # once a drain's node is known: they run elsewhere
    engine["status"] = {"engineStatus": "initialized"}  # experiments[]: the runner's to write
    touch(state, engine)


def _prepare(state: State, engine: KObj, run: FaultRun, experiment: KObj) -> None:
    """Check the run can proceed, pick targets, and schedule its steps."""
    if run.fault not in SIMULATIONS:
        raise FaultError("GENERIC_ERROR", f"fault {run.fault} is not emulated by the twin yet")
    if run.fault == "node-drain":
        run.node = drain_node(state, engine, run.params, f"node/{run.engine_uid}")
        run.targets = [Target(namespace="", pod="", workload=run.node, kind="node")]
    else:
        run.targets = select_targets(state, engine, run.params, f"targets/{run.engine_uid}")
    steps = [Step(t=run.inject_at, action="inject")]
    if SIMULATIONS[run.fault].repeats:
        interval = number(run.params, "CHAOS_INTERVAL", 10) or 10
        t = run.inject_at + interval
        while t < run.end_at:
            steps.append(Step(t=t, action="kill"))
            t += interval
    closing_ramp = number(run.params, "RAMP_TIME")
    steps += [Step(t=run.end_at, action="revert"),
              Step(t=run.end_at + closing_ramp, action="complete")]
    run.steps = steps
    probes.schedule(run, engine)


def _perform(state: State, run: FaultRun, step: Step) -> None:
    engine = engine_of(state, run)
    if engine is None:
        run.phase, run.steps, run.stopped_at = "stopped", [], step.t
        return
    try:
        if step.action in ("runner", "launch", "fail"):
            litmus_launch.perform(state, engine, run, step)
        elif step.action in ("inject", "kill"):
            _inject(state, engine, run, step)
        elif step.action == "probe":
            probes.evaluate(state, run, engine, step)
        elif step.action == "check":
            raise FaultError("STATUS_CHECKS_ERROR", step.note)
        elif step.action == "revert":
            if run.fault == "node-drain":
                drain(state, run, step.t, cordon=False)
            run.log(step.t, "chaos reverted")
            chaos_pods.end_helpers(state, run)
            mark_targets(state, run, "reverted")
        else:
            complete(state, engine, run, step.t)
    except FaultError as error:
        fail(state, run, step.t, error)


def _inject(state: State, engine: KObj, run: FaultRun, step: Step) -> None:
    if SIMULATIONS[run.fault].repeats:
        run.targets = select_targets(state, engine, run.params,
                                     f"targets/{run.engine_uid}/{run.iteration}")
        run.iteration += 1
    pods = f"node {run.node}" if run.fault == "node-drain" else ", ".join(
        t.pod for t in run.targets)
    run.log(step.t, f"chaos injected: {run.fault} on {pods}" if step.action == "inject"
            else f"chaos iteration {run.iteration}: {run.fault} on {pods}")
    if run.broken:  # a broken engine: it says it injected, and does nothing
        pass
    elif run.fault == "node-drain":
        drain(state, run, step.t, cordon=True)
        _await_application(state, engine, run, step.t)
    else:
        act(state, run, run.targets, step.t)
        if step.action == "inject":
            chaos_pods.helpers(state, run, step.t)
    restarted = {key for key, runtime in state.pods.items() if runtime.started_at == step.t}
    run.watch = sorted(set(run.watch) | restarted)
    if step.action == "inject":
        mark_targets(state, run, "injected")


def _await_application(state: State, engine: KObj, run: FaultRun, t: float) -> None:
    """After a drain: the chaos duration starts once the application is Ready again, or the
    run fails when the status check times out (the node stays cordoned until then)."""
    done, failure = status_check(state, engine, run, t)
    run.log(t, "checking that the application is Ready after the drain")
    closing_ramp = number(run.params, "RAMP_TIME")
    if failure:
        run.end_at, run.steps = done, [Step(t=done, action="check", note=failure)]
        return
    run.end_at = done + number(run.params, "TOTAL_CHAOS_DURATION", 30)
    run.steps = [Step(t=run.end_at, action="revert"),
                 Step(t=run.end_at + closing_ramp, action="complete")]
    probes.schedule(run, engine, since=t)


def _log_recoveries(state: State, until: float) -> bool:
    """Log when pods a fault restarted serve again (ready and their process started)."""
    changed = False
    for run in state.runs:
        remaining = []
        for key in run.watch:
            runtime = state.pods.get(key)
            if runtime is None:
                continue
            serving_at = max(runtime.ready_at, runtime.process_ready_at)
            if runtime.started_at < run.inject_at:
                continue  # never touched by this run
            if serving_at <= until:
                run.log(serving_at, f"pod {key.split('/', 1)[1]} ready and serving")
                run.events.sort(key=lambda e: e.t)
                changed = True
            else:
                remaining.append(key)
        if remaining != run.watch:
            run.watch, changed = remaining, True
    return changed
