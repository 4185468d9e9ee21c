"""What the console's forms do: answer an approval and stop a run's chaos, the same way
``python -m agent resume`` and ``abort`` do.

An answer resumes the run's interrupt through ``graphs.runner.resume`` (exactly once, only the
request the person was shown: its interrupt id, approvers from ``policy.approvers`` as
``web:<user>``, audited with the web user). An approved run then executes in this server, in a
thread of its own, so the page returns at once: :meth:`Actions.decide` waits only until the
answer is audited (accepted or refused), which happens before any chaos starts. On shutdown every
run still executing here is asked to stop its chaos (as Ctrl-C asks the CLI) and its report is
written before the server exits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from agent.config import Settings
from agent.errors import ApprovalError, ChaosAdvisorError
from agent.models import AuditEntry, Decision
from agent.ports import AuditLog, Deps
from agent.wiring import ClusterBinding

if TYPE_CHECKING:
    from graphs.builder import RunGraph

OpenRun = Callable[[ClusterBinding], AbstractContextManager[tuple["RunGraph", Deps]]]
ABORT_TIMEOUT_S = 120.0  # seconds of the run's clock to wait for Litmus's Stopped, as `abort` does
ANSWER_WAIT_S = 60.0  # real seconds to wait for the answer to be audited (a recover may hold the run 5 s)


@dataclass(frozen=True)
class Answered:
    """What became of an answer: accepted (the run goes on here) or refused, with why."""

    accepted: bool
    message: str


class _Noting:
    """An AuditLog that passes every entry on and notes the run's first decision entry."""

    def __init__(self, inner: AuditLog, run_id: str, recorded: threading.Event) -> None:
        self.inner, self.run_id, self.recorded = inner, run_id, recorded
        self.entry: AuditEntry | None = None

    def record(self, entry: AuditEntry) -> None:
        self.inner.record(entry)
        if entry.run_id == self.run_id and entry.action in ("decision", "decision_refused") and self.entry is None:
            self.entry = entry
            self.recorded.set()

    def entries(self, run_id: str | None) -> list[AuditEntry]:
        return self.inner.entries(run_id)


class _Stop:
    """``Deps.stop_requested`` for the runs this server executes: set on shutdown."""

    def __init__(self) -> None:
        self.who: str | None = None

    def requested(self) -> str | None:
        return self.who


class Actions:
    """The console's writes. ``open_run`` opens the graph and Deps for a run's cluster (default:
    the CLI's :func:`agent.cli.common.open_run`)."""

    def __init__(self, settings: Settings, *, open_run: OpenRun | None = None) -> None:
        from agent.cli.common import open_run as cli_open_run

        self.settings = settings
        self._open_run: OpenRun = open_run or (lambda b: cli_open_run(settings, b))
        self._stop = _Stop()
        self._threads: list[threading.Thread] = []

    def decide(self, run_id: str, *, verdict: Literal["approve", "reject"], choice: int | None, note: str,
               user: str, interrupt_id: str) -> Answered:
        """Answer the approval request ``interrupt_id`` of ``run_id`` as ``web:<user>``."""
        from graphs import runner

        binding = self._binding(run_id)
        answered = threading.Event()  # set once the answer is audited, or the attempt failed
        failure: list[ChaosAdvisorError] = []
        noted: list[_Noting] = []

        def work() -> None:
            try:
                with self._open_run(binding) as (graph, deps):
                    noted.append(_Noting(deps.audit, run_id, answered))
                    decision = Decision(verdict=verdict, choice=choice, approver=user, channel="web",
                                        at=deps.wall_now(), note=note)
                    runner.resume(graph, replace(deps, audit=noted[0], stop_requested=self._stop.requested),
                                  run_id, decision, interrupt_id=interrupt_id)
            except ChaosAdvisorError as e:
                failure.append(e)
            finally:
                answered.set()

        thread = threading.Thread(target=work, name=f"web-run-{run_id}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        answered.wait(ANSWER_WAIT_S)  # the answer is audited before the graph resumes: moments, not the run
        entry = noted[0].entry if noted else None
        if entry is None:
            return Answered(False, str(failure[0]) if failure else f"run {run_id}: no answer recorded yet; reload the page")
        if entry.action == "decision_refused":
            return Answered(False, entry.result.removeprefix("refused: "))
        return Answered(True, f"{entry.what}: accepted; the run continues in the console's server")

    def abort(self, run_id: str, *, user: str) -> str:
        """Stop the run's chaos now (``engineState: stop``) and wait for Litmus's Stopped, as
        ``python -m agent abort`` does; audited as ``web:<user>``."""
        from agent.run.abort import abort
        from graphs import runner
        from tools.runs import RunSummary, chosen

        with self._open_run(self._binding(run_id)) as (graph, deps):
            s = runner.view(graph, run_id).state
            summary = RunSummary.model_validate(
                {"run_id": run_id, "waiting_for_approval": False, "decision": s.get("decision"), "engine": s.get("engine")})
            picked = chosen(deps, summary)
            if picked is None:
                raise ApprovalError(f"run {run_id} has no approved experiment, so nothing to abort")
            ref, spec = picked
            done = abort(deps, run_id, ref, spec.action.value, who=user, channel="web", timeout_s=ABORT_TIMEOUT_S)
        return done.detail

    def shutdown(self, timeout_s: float = 600.0) -> None:
        """Ask every run executing here to stop its chaos and wait for their reports."""
        self._stop.who = "the web console's shutdown"
        for t in self._threads:
            t.join(timeout_s)

    def wait(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the runs executing here to end; True when none is left."""
        for t in list(self._threads):
            t.join(timeout_s)
        return self.busy() == 0

    def busy(self) -> int:
        """How many runs execute in this server now."""
        return sum(t.is_alive() for t in self._threads)

    def _binding(self, run_id: str) -> ClusterBinding:
        from agent.wiring import open_checkpointer
        from graphs import runner
        from graphs.builder import build

        with open_checkpointer(self.settings) as saver:
            return ClusterBinding.model_validate(runner.view(build(saver), run_id).state.get("cluster") or {})
