"""The twin's model reader (``TwinMetrics``, the ``--twin`` fallback when no Prometheus is
installed) returns only what a real Sock Shop install measures: request metrics for the seven
HTTP services, the Java services' success-only recording, nothing from a service without a Ready
pod, CPU and memory for all, and never readiness (the Kubernetes API's, merged by the monitor)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from agent.adapters.twin import TwinMetrics, stack_exports
from agent.config import Settings
from agent.models import Signals
from agent.ports import Deps
from tests.integration.conftest import NS, Twin
from tests.integration.test_agent_on_twin import run_to_end

HTTP = {"front-end", "catalogue", "carts", "orders", "payment", "shipping", "user"}
JAVA = {"carts", "orders", "shipping"}
SILENT = {"carts-db", "catalogue-db", "orders-db", "user-db", "session-db", "rabbitmq", "queue-master"}


def read(twin: Twin, settings: Settings) -> dict[str, Signals]:
    return TwinMetrics(twin.url, exports=stack_exports(settings)).read(NS, sorted(HTTP | SILENT))


def test_only_sock_shops_http_services_have_request_metrics_and_none_has_readiness(
    twin: Twin, settings: Settings,
) -> None:
    twin.advance(5)
    got = read(twin, settings)
    model = twin.signals()
    assert set(got) == HTTP | SILENT
    for name in SILENT:  # the model has numbers for them; a real install has no series
        assert model[name]["error_rate_pct"] is not None
        assert got[name].error_rate_pct is None and got[name].latency_p95_ms is None, name
    for name in HTTP:
        assert got[name].error_rate_pct is not None and got[name].latency_p95_ms is not None, name
    assert {got[name].error_rate_pct for name in JAVA} == {0.0}  # success-only: failures never counted
    assert [model[name]["error_rate_pct"] for name in sorted(JAVA)] != [0.0] * 3  # though the model has some
    assert all(s.cpu_millicores is not None and s.memory_mib is not None for s in got.values())  # cAdvisor
    assert all(s.ready_replicas is None and s.replicas is None for s in got.values())  # the API's, not the metrics'


def test_a_store_outage_shows_at_the_callers_that_count_failures(
    twin: Twin, settings: Settings, make_engine: Any,
) -> None:
    twin.advance(5)
    twin.create_engine(make_engine("carts-db-kill", "pod-delete", "name=carts-db",
                                   env={"TOTAL_CHAOS_DURATION": "30", "CHAOS_INTERVAL": "30"}))
    outage: dict[str, Signals] = {}
    for _ in range(10):  # virtual seconds, moved by hand: no sleeping
        twin.advance(1)
        if twin.signals()["carts"]["error_rate_pct"] >= 100:
            outage = read(twin, settings)
            break
    assert outage, "carts never failed every request while carts-db was down"
    assert outage["front-end"].error_rate_pct is not None and outage["front-end"].error_rate_pct > 10
    # carts fails every request: a success-only histogram records nothing (0/0), not 100 %
    assert outage["carts"].error_rate_pct is None and outage["carts"].latency_p95_ms is None
    assert outage["carts-db"].error_rate_pct is None


def test_describe_says_where_each_signal_comes_from(settings: Settings) -> None:
    metrics = TwinMetrics("http://127.0.0.1:1", exports=stack_exports(settings))
    assert metrics.describe(NS, "carts-db", "error_rate_pct").startswith("not exported by Sock Shop: carts-db")
    assert "successes only" in metrics.describe(NS, "carts", "error_rate_pct")
    assert "every answered request" in metrics.describe(NS, "front-end", "latency_p95_ms")
    assert "cAdvisor" in metrics.describe(NS, "carts-db", "memory_mib")
    assert metrics.describe(NS, "carts-db", "ready_replicas").startswith("the Kubernetes API")


def test_the_demo_predicts_and_confirms_caller_side_signals_never_a_stores_own(deps: Deps) -> None:
    # The demo's path (run-graph --twin --approve 1): the planner's first candidate, carts-db pod delete.
    state = run_to_end(deps).state
    report = Path(str(state["report_path"])).read_text()
    assert report.startswith("# Chaos report: carts-db pod delete")
    tldr = report.splitlines()[2]
    assert re.search(r"caused [\d.]+% errors in front-end", tldr), tldr  # not carts' 100 % nor carts-db's
    findings = report.split("## Key findings")[1].split("\n## ")[0]
    m = re.search(r"- carts-db, measured at front-end error rate: predicted at least 2\.0%, observed ([\d.]+)% "
                  r"at T\+\d+s \(baseline [\d.]+%\): confirmed", findings)
    assert m, findings
    assert 2 <= float(m.group(1)) < 50  # users saw errors, below the 50 % abort
    impact = report.split("## Impact analysis")[1].split("\n## ")[0]
    for text in (findings, impact):  # nowhere a store's own error rate or p95, nor the Java carts' 100 %
        assert not re.search(r"carts-db (error rate|p95)|\| carts-db \| (error rate|p95)", text), text
        assert not re.search(r"carts error rate: [\d.]+% before, peak 100%", text)
    recommendations = report.split("## Recommendations")[1].split("\n## ")[0]
    assert "Run carts-db with replicas >= 2" in recommendations
    assert "front-end, where its failures are measured, saw errors peak at" in recommendations
    samples = json.loads(Path(str(state["report_path"])).with_suffix(".json").read_text())["samples"]
    assert all(s["services"]["carts-db"]["error_rate_pct"] is None for s in samples)
    assert {s["services"]["carts-db"]["ready_replicas"] for s in samples} == {1}  # from the API: no probe, never 0
