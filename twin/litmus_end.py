"""How a Litmus run ends: completion, failure, abort (``engineState: stop``) and deletion.

What the operator and litmus-go write at each ending follows chaos-operator 3.18.0
``controllers/chaosengine_controller.go`` and litmus-go's result updates (see ``twin.records``):

- completed (the runner's container terminated): engineStatus ``completed``, ``engineState: stop``,
  the finalizer *kept* (``updateEngineForComplete`` :690-704 and ``reconcileForComplete`` :470-482
  leave it; :512-514 says it is retained while the chaos pods may be);
- stopped (``engineState: stop`` while initialized, :123-126): ``reconcileForDelete`` :323-372 force
  deletes the chaos pods, marks Running/Waiting experiments ``Forcefully Aborted`` / ``Stopped``,
  engineStatus ``stopped``, and removes the finalizer;
- deleted: the API server only sets deletionTimestamp while the finalizer is there; the operator's
  ``reconcileForDelete`` (:100-103) deletes every pod labelled ``chaosUID`` (retained runner and
  experiment pods too) and removes the finalizer, and the engine goes.
"""

from __future__ import annotations

from twin import chaos_pods, probes
from twin.faults import drain
from twin.records import FINALIZER, engine_of, finish_result, set_finalizer, touch, write_engine_status
from twin.state import FaultRun, KObj, State
from twin.targets import FaultError


def current_run(state: State, engine: KObj) -> FaultRun | None:
    """The engine's run in progress, if any."""
    runs = [r for r in state.runs_of(engine["metadata"]["uid"]) if r.phase == "running"]
    return runs[-1] if runs else None


def complete(state: State, engine: KObj, run: FaultRun, t: float) -> None:
    run.phase = "completed"
    probes.finish(run, engine, ended=True)
    verdict = finish_result(state, run, phase="Completed", verdict="Pass")
    run.log(t, f"experiment completed: verdict {verdict}")
    write_engine_status(state, engine, run, engine_status="completed", status="Completed",
                        verdict=verdict, t=t)
    chaos_pods.finish(state, engine, run, t, aborted=False)


def fail(state: State, run: FaultRun, t: float, error: FaultError) -> None:
    if run.fault == "node-drain" and run.node and run.inject_at <= t:
        drain(state, run, t, cordon=False)
    run.phase, run.steps, run.stopped_at = "error", [], t
    run.log(t, f"experiment failed: {error.reason}")
    engine = engine_of(state, run)
    chaos_pods.finish(state, engine, run, t, aborted=False)
    verdict = finish_result(state, run, phase="Error", verdict="Error", error=(error.code, error.reason))
    if engine is not None:
        write_engine_status(state, engine, run, engine_status="completed", status="Completed",
                            verdict=verdict, t=t)


def stop(state: State, engine: KObj, t: float) -> None:
    """Abort the engine's run at t (engineState stop, or engine deletion): revert the fault."""
    run = current_run(state, engine)
    if run is None:
        engine["status"] = {**(engine.get("status") or {}), "engineStatus": "stopped"}
        set_finalizer(engine, False)
        touch(state, engine)
        return
    if run.fault == "node-drain" and run.inject_at <= t < run.end_at:
        drain(state, run, t, cordon=False)
    run.phase, run.steps, run.stopped_at = "stopped", [], t
    run.log(t, "experiment aborted: engineState stop; fault reverted")
    chaos_pods.finish(state, engine, run, t, aborted=True)
    if (engine.get("status") or {}).get("experiments"):  # Waiting or Running: aborted (:673-681)
        write_engine_status(state, engine, run, engine_status="stopped",
                            status="Forcefully Aborted", verdict="Stopped", t=t)
    else:  # before the runner wrote any: nothing to mark
        engine["status"] = {"engineStatus": "stopped"}
        set_finalizer(engine, False)
        touch(state, engine)
    finish_result(state, run, phase="Stopped", verdict="Stopped")


def delete(state: State, engine: KObj, t: float) -> None:
    """The engine is being deleted at t: what the operator's finalizer does before it lets go."""
    if (engine.get("status") or {}).get("engineStatus") == "initialized":
        stop(state, engine, t)
    elif FINALIZER in (engine["metadata"].get("finalizers") or []):
        chaos_pods.remove_all(state, engine["metadata"]["uid"])
        set_finalizer(engine, False)
