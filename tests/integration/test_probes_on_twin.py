"""Issue 15 point 3 end to end: the agent's engine carries a steady-state probe, the twin's
operator evaluates it, and the report shows the probe next to Litmus's verdict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from agent.inventory.discovery import discover
from agent.models import AbortThreshold, ExperimentSpec, Fault, Parameters, TargetSelector
from agent.ports import Deps
from tests.factories import OneSpec, lenient
from tests.integration.test_agent_on_twin import engines, run_to_end

EDGE = "http://front-end.sock-shop.svc.cluster.local:80/"


def _front_end_delete() -> ExperimentSpec:
    return ExperimentSpec(
        title="Front-end pod delete",
        description="Delete the front-end pod once.",
        action=Fault.POD_DELETE,
        target_selector=TargetSelector(service="front-end", namespace="sock-shop", labels={"name": "front-end"}),
        parameters=Parameters(duration_s=60, chaos_interval_s=60, force=False),
        abort_threshold=AbortThreshold(service="user", error_rate_pct=50),
        expected_impact="the shop is unreachable until the new pod is Ready (~30 s)",
        risk_level="medium",
    )


def test_a_probe_failing_run_reports_the_probe(deps: Deps) -> None:
    deps = replace(lenient(deps, max_abort_error_rate_pct=100), designer=OneSpec(_front_end_delete()))
    state = run_to_end(deps, "t0000p01").state
    [engine] = engines(deps)
    [probe] = engine["spec"]["experiments"][0]["spec"]["probe"]  # type: ignore[index]
    assert (probe["type"], probe["mode"], probe["httpProbe/inputs"]["url"]) == ("httpProbe", "Continuous", EDGE)
    status = state["engine_status"]
    assert (status["verdict"], status["phase"], status["probe_success_pct"]) == (
        "Fail", "Completed_With_Probe_Failure", "0")
    report = Path(state["report_path"]).read_text()
    assert "| Litmus verdict | Fail, 0% of probes passed |" in report
    assert "## Steady-state probes (Litmus)" in report
    assert "Fail: steady state broke — edge-http-200 failed" in report
    assert f"- **edge-http-200** (httpProbe, Continuous): **Failed**: Get \"{EDGE}\": dial tcp" in report


def test_litmus_pods_are_not_counted_as_the_applications(deps: Deps) -> None:
    from kubernetes import client

    deps = replace(lenient(deps, max_abort_error_rate_pct=100), designer=OneSpec(_front_end_delete()))
    run_to_end(deps, "t0000p02")  # jobCleanUpPolicy retain (the default): runner and experiment pods stay
    core = client.CoreV1Api(client.ApiClient(client.Configuration(host=deps.cluster.server)))  # type: ignore[attr-defined]
    chaos = {p.metadata.name for p in core.list_namespaced_pod("sock-shop", label_selector="chaosUID").items}
    assert "ca-t0000p02-runner" in chaos
    inv = discover(deps)
    assert not chaos & {p.name for p in inv.pods}
    assert not any(chaos & {p.name for p in t.pods} for t in inv.targets)
