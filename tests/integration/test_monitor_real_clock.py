"""The monitor on the real clock (the twin's virtual clock hides wall time): with the Kubernetes
API hanging, the stop is sent within cluster_grace_s plus one poll plus one call's deadline,
because every call is bounded by its deadline, not by its tries (4 x timeout would be later).

Timeouts are scaled down (poll 0.5 s, grace 1.5 s); the twin's own clock runs at real speed."""

from __future__ import annotations

import io
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.adapters.audit_file import MemoryAuditLog
from agent.adapters.clock import SystemClock
from agent.adapters.kube import connect
from agent.adapters.terminal import TerminalNotifier
from agent.adapters.twin import TwinMetrics, stack_exports
from agent.config import load_settings
from agent.models import AuditEntry, Decision
from agent.ports import Deps
from agent.run.audited import AuditedCluster
from agent.run.files import FileRunStore
from agent.wiring import retry_policy
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
RUN = "rtclk001"


class StopSeen(MemoryAuditLog):
    """The audit log, telling the test when the stop was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.stop_sent = threading.Event()

    def record(self, entry: AuditEntry) -> None:
        super().record(entry)
        if entry.action == "engine_stop" and entry.result == "started":
            self.stop_sent.set()


def test_a_hung_api_is_noticed_and_the_stop_sent_within_the_grace_on_the_real_clock(tmp_path: Path) -> None:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    monitor = settings.monitor.model_copy(update={"poll_interval_s": 0.5, "baseline_window_s": 1.0, "cluster_grace_s": 1.5,
                                                   "metrics_grace_s": 30.0, "recovery_timeout_s": 1.0})
    k8s = settings.k8s.model_copy(update={"request_timeout_s": 5.0, "retry_attempts": 4, "retry_backoff_s": 0.2})
    settings = settings.model_copy(update={"monitor": monitor, "k8s": k8s})
    with TwinServer(tmp_path / "twin.json", speed=1.0) as twin:
        audit, clock = StopSeen(), SystemClock()
        deps = Deps(
            settings=settings, clock=clock, audit=audit, metrics=TwinMetrics(twin.url, exports=stack_exports(settings)),
            cluster=AuditedCluster(connect(host=twin.url, kubeconfig=None, context=None, retry=retry_policy(settings)),
                                   audit, clock),
            notifier=TerminalNotifier(Console(file=io.StringIO())), designer=OneSpec(catalogue_delete(50, duration_s=120)),
            store=FileRunStore(tmp_path / "runs"),
        )
        # Reads of the engine: execute's look-up, the 1st tick; from the 2nd tick on they hang.
        held = twin.inject("GET", f"/chaosengines/ca-{RUN}", hold=True, skip=2)
        hung_at: list[datetime] = []

        def watch() -> None:
            held.seen.wait(60)
            hung_at.append(datetime.now(UTC))
            audit.stop_sent.wait(60)
            twin.heal()  # let the stop be confirmed, so the run ends now and not at its planned end

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        graph = build(InMemorySaver())
        runner.start(graph, deps, run_id=RUN, count=1, cluster={"twin": True})
        state = runner.resume(graph, deps, RUN, Decision(verdict="approve", choice=1, approver="t", channel="cli",
                                                        at=clock.now())).state
        watcher.join(10)
    assert state["outcome"] == "aborted" and "Kubernetes API unanswered" in str(state["reason"])
    [stop] = [e for e in audit.entries(RUN) if e.action == "engine_stop" and e.result == "started"]
    waited = (stop.at - hung_at[0]).total_seconds()
    deadline = retry_policy(settings).deadline_s or 0.0
    bound = monitor.cluster_grace_s + monitor.poll_interval_s + deadline
    assert waited <= bound + 0.5, (waited, bound)  # without the deadline: 4 tries x 0.5 s and backoff each
