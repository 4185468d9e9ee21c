"""A breach seen through a real Prometheus aborts the run, on a Sock Shop of its own.

Its own module, so its own twin and Prometheus (the ``stack`` fixture is module-scoped). In
test_prometheus.py it followed the carts container-kill test, which ends right after the kill:
``wait_healthy`` could pass before the failed requests reached Prometheus's rate window, and the
run's baseline then read front-end at ~11 % and, rightly, refused to start ("steady state already
breaches the abort threshold before any chaos"). Measured: two seconds after that kill, the same
run starts from a healthy baseline and aborts on the breach as expected. A run's test starts from
a Sock Shop nothing else has touched.
"""

from __future__ import annotations

import io
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.adapters.audit_file import MemoryAuditLog
from agent.adapters.kube import connect
from agent.adapters.prometheus import PrometheusMetrics
from agent.adapters.terminal import TerminalNotifier
from agent.models import Decision
from agent.ports import Deps
from agent.run.files import FileRunStore
from graphs import runner
from graphs.builder import build
from tests.factories import OneSpec, catalogue_delete
from tests.integration.test_prometheus import LITMUS, NS, FollowClock, Stack, run_settings, stack  # noqa: F401


def test_breach_seen_through_prometheus_aborts_the_run(stack: Stack, tmp_path: Path) -> None:  # noqa: F811
    stack.wait_healthy()
    settings = run_settings(tmp_path, stack.settings)
    deps = Deps(
        settings=settings,
        cluster=connect(host=stack.twin_url, kubeconfig=None, context=None),
        metrics=PrometheusMetrics(settings.k8s.monitoring.prometheus),
        clock=FollowClock(stack.twin_url),
        notifier=TerminalNotifier(Console(file=io.StringIO())),
        designer=OneSpec(catalogue_delete(duration_s=240)),
        store=FileRunStore(tmp_path / "runs"),
        audit=MemoryAuditLog(),
        metrics_source=stack.prometheus.url,
    )
    graph = build(InMemorySaver())
    paused = runner.start(graph, deps, run_id="prom0002", count=1, cluster={"twin": True})
    assert paused.waiting is not None
    decision = Decision(verdict="approve", choice=1, approver="tester", channel="cli", at=deps.clock.now())
    state = runner.resume(graph, deps, "prom0002", decision).state
    timeline = "\n".join(f"{e['at']} {e['kind']} {e['detail']}" for e in state["events"])
    assert state["outcome"] == "aborted", timeline
    assert str(state["reason"]).startswith("front-end error rate")
    kinds = [e["kind"] for e in state["events"]]
    assert kinds.index("threshold_breached") < kinds.index("abort_requested") < kinds.index("stopped")
    engine = stack.custom.get_namespaced_custom_object(*LITMUS, NS, "chaosengines", "ca-prom0002")
    assert engine["spec"]["engineState"] == "stop"  # type: ignore[index]


