"""Tool: stop a run's chaos now. A safety action, so it needs no approval."""

from __future__ import annotations

from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel

from agent.errors import ApprovalError, ClusterError
from agent.models import EngineStatus
from tools.runs import RunControl, chosen

POLL_S = 1.0  # seconds of the run's clock between status reads while waiting for Stopped


class AbortResult(BaseModel):
    """What stopping a run's engine did."""

    run_id: str
    engine: str  # namespace/name
    patched: bool  # False: there was no engine, so nothing was running
    status: EngineStatus | None = None
    detail: str


def abort_tool(runs: RunControl) -> BaseTool:
    @tool(parse_docstring=True)
    def abort_run(run_id: str, timeout_s: float = 120) -> AbortResult:
        """Stop a run's chaos now: patch its ChaosEngine to engineState stop and wait until Litmus
        reports it Stopped. A safety action: always allowed, for runs started anywhere. Use it
        whenever the user wants an experiment stopped.

        Args:
            run_id: The run's id, e.g. "3f9a1c2e".
            timeout_s: Seconds to wait for the Stopped verdict, 1 to 600.
        """
        if not 1 <= timeout_s <= 600:
            raise ApprovalError(f"timeout_s {timeout_s:g} is out of range; give 1 to 600 seconds")
        run = runs.get(run_id)
        with runs.on_cluster(run_id) as deps:
            picked = chosen(deps, run)
            if picked is None:
                raise ApprovalError(f"run {run_id} has no approved experiment, so nothing to abort")
            ref, spec = picked
            where = f"{ref.namespace}/{ref.name}"
            if deps.cluster.find_engine(ref.namespace, ref.name) is None:
                return AbortResult(run_id=run_id, engine=where, patched=False,
                                   detail=f"no engine {where}; nothing is running")
            status = deps.cluster.engine_status(ref.namespace, ref.name, spec.action.value)
            if status.finished:
                return AbortResult(run_id=run_id, engine=where, patched=False, status=status,
                                   detail=f"engine {where} already ended ({status.engine_status}, verdict "
                                          f"{status.verdict}); nothing is running")
            deps.cluster.stop_engine(ref.namespace, ref.name)
            waited = 0.0
            while True:
                status = deps.cluster.engine_status(ref.namespace, ref.name, spec.action.value)
                if status.verdict == "Stopped" or status.finished:
                    return AbortResult(run_id=run_id, engine=where, patched=True, status=status,
                                       detail=f"engine {status.engine_status}, ChaosResult {status.phase} / "
                                              f"verdict {status.verdict}")
                if waited >= timeout_s:
                    raise ClusterError(
                        f"engine {where} was told to stop but its ChaosResult still says {status.phase}/"
                        f"{status.verdict} after {timeout_s:g} s; check the Litmus operator"
                    )
                deps.clock.sleep(POLL_S)
                waited += POLL_S

    abort_run.metadata = {"changes": True}  # the chat shows its result as code tells it
    return abort_run
