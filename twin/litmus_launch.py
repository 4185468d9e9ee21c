"""Between a ChaosEngine's creation and litmus-go's start: what the operator and the chaos-runner
write, and when (chaos-operator, chaos-runner and litmus-go 3.18.0).

    t0            the operator's reconcile: initEngine sets ``engineStatus: initialized`` and the
                  finalizer (chaos-operator controllers/chaosengine_controller.go:528-553), then
                  creates the runner pod ``<engine>-runner`` (:589-604), Pending; no experiments[]
    t0 + RUNNER   the runner pod Running; the runner's InitialPatchEngine (chaos-runner
                  pkg/utils/initialPatchEngine.go:15-34, status.go:9-16) writes experiments[] =
                  {experimentPod "Yet to be launched", status "Waiting for Job Creation", verdict
                  "N/A"}; it checks the ChaosExperiment (bin/runner.go:79-83: gone -> status
                  "ChaosExperiment Not Found", verdict "Fail", experimentPod "N/A", expNotFoundPatch.go,
                  status.go:40-47; the runner exits and the operator completes the engine) and creates
                  the Job, whose pod is Pending
    t0 + LAUNCH   the experiment pod Running: the runner's watch loop writes status "Running",
                  verdict "Awaited", experimentPod <pod> (watchChaosContainer.go:110-118, status.go:19-26);
                  litmus-go creates the ChaosResult (phase Running, verdict Awaited) as it starts, then
                  waits RAMP_TIME before injecting; a target it cannot select fails the run from here

Upstream has no fixed delay here: these are pod start-ups (scheduling, a cached image, the
container's start), ``State.launch_s`` (runner, job). A twin starts with (0, 0), every step at the
engine's creation, as before this emulation (its scenarios and tests assume it);
``POST /twin/v1/litmus/launch {"runner_s": 2, "job_s": 2}`` sets ``REALISTIC_S``, the
upstream timeline.
"""

from __future__ import annotations

from twin import chaos_pods
from twin.records import EXPERIMENT_KEY, start_result, write_engine_status
from twin.state import FaultRun, KObj, State, Step, okey
from twin.targets import FaultError

REALISTIC_S = (2.0, 2.0)  # runner pod, then experiment pod: created -> container running (image cached)
MAX_S = 600.0


def configure(state: State, body: object) -> dict[str, float]:
    """``state.launch_s`` as ``{"runner_s", "job_s"}``; set from ``body`` first unless it is None."""
    if body is not None:
        values = [body.get(k) if isinstance(body, dict) else None for k in ("runner_s", "job_s")]
        seconds = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= MAX_S]
        if len(seconds) != 2:
            raise ValueError(f'litmus/launch needs {{"runner_s": <0..{MAX_S:g}>, "job_s": <0..{MAX_S:g}>}} '
                             f"(virtual seconds), got {body!r}")
        state.launch_s = (seconds[0], seconds[1])
    return {"runner_s": state.launch_s[0], "job_s": state.launch_s[1]}


def launch_s(state: State) -> float:
    """From the engine's reconcile to litmus-go's start in the experiment pod."""
    return sum(state.launch_s)


def schedule(state: State, run: FaultRun, t0: float, failure: FaultError | None = None) -> None:
    """Put the runner's and the experiment pod's start first in the run's steps; a failure found
    when the targets were picked ends the run once litmus-go runs."""
    start = t0 + launch_s(state)
    first = [Step(t=t0 + state.launch_s[0], action="runner"), Step(t=start, action="launch")]
    if failure is not None:
        run.steps = [*first, Step(t=start, action="fail", note=f"{failure.code}:{failure.reason}")]
    else:
        run.steps = [*first, *run.steps]


def perform(state: State, engine: KObj, run: FaultRun, step: Step) -> None:
    """One pre-launch step of the run (``runner``, ``launch``) or its early failure (``fail``)."""
    if step.action == "runner":
        _runner(state, engine, run, step.t)
    elif step.action == "launch":
        chaos_pods.running(state, run, run.experiment_pod, step.t)
        write_engine_status(state, engine, run, engine_status="initialized", status="Running",
                            verdict="Awaited", t=step.t)
        start_result(state, run, state.bucket(EXPERIMENT_KEY).get(okey(run.namespace, run.experiment)))
        run.log(step.t, f"experiment pod {run.experiment_pod} running")
    else:
        code, reason = step.note.split(":", 1)
        raise FaultError(code, reason)


def _runner(state: State, engine: KObj, run: FaultRun, t: float) -> None:
    chaos_pods.running(state, run, f"{run.engine}-runner", t)
    write_engine_status(state, engine, run, engine_status="initialized", status="Waiting for Job Creation",
                        verdict="N/A", t=t, pod="Yet to be launched")
    if okey(run.namespace, run.experiment) not in state.bucket(EXPERIMENT_KEY):
        run.phase, run.steps, run.stopped_at = "error", [], t
        run.log(t, f"ChaosExperiment {run.experiment} not found in {run.namespace}: skipped")
        chaos_pods.finish(state, engine, run, t, aborted=False)
        write_engine_status(state, engine, run, engine_status="completed", status="ChaosExperiment Not Found",
                            verdict="Fail", t=t, pod="N/A")
        return
    chaos_pods.job(state, run, t)
    run.log(t, f"chaos-runner running: job pod {run.experiment_pod} created")

