"""The report's findings match what the twin really did: a planted weakness refutes the hypothesis."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.config import load_settings
from agent.design.planner import PlannerDesigner
from agent.models import Decision, Fault
from agent.ports import Deps
from agent.wiring import ClusterBinding, open_deps
from graphs import runner
from graphs.builder import build
from tests.integration.mermaid_fixture import render_markdown
from tests.integration.test_agent_on_twin import run_to_end
from tests.integration.test_planted_weaknesses import deployment, service


def test_replicated_service_without_readiness_probe_refutes_absorption(tmp_path: Path) -> None:
    # Planted: two replicas of a Java service but no readiness probe. The planner predicts the
    # second replica absorbs a pod delete (0 % errors); in truth the new pod takes traffic ~40 s
    # before it has started, so about half of cart's requests fail.
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]
    # Named as Sock Shop's services so the twin models them (Java carts starts in ~40 s).
    for w in (deployment("front-end"), deployment("carts", replicas=2, probe=False)):
        docs += [w, service(w["metadata"]["name"])]
    (tmp_path / "app.yaml").write_text(yaml.safe_dump_all(docs))
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump({
        "k8s": {
            "namespaces": ["shop"],
            "target_services": [
                {"name": "front-end", "namespace": "shop", "type": "nodejs", "tier": "edge", "criticality": "high"},
                {"name": "carts", "namespace": "shop", "type": "java", "tier": "business", "criticality": "high"},
            ],
            "dependencies": [{"source": "front-end", "target": "carts"}],
        },
        "policy": {"namespaces": ["shop"], "actions": ["pod-delete"]},
    }))
    settings = load_settings(tmp_path / "stack.yaml")
    binding = ClusterBinding(twin=True, manifests=[str(tmp_path / "app.yaml")])
    with open_deps(settings, binding, console=Console(file=io.StringIO()), realtime=False) as deps:
        graph = build(InMemorySaver())
        view = runner.start(graph, deps, run_id="plant001", count=5, cluster=binding.model_dump(mode="json"))
        assert view.waiting is not None
        choice = view.waiting.candidates.index("carts pod delete") + 1
        decision = Decision(verdict="approve", choice=choice, approver="t", channel="cli", at=deps.clock.now())
        state = runner.resume(graph, deps, "plant001", decision).state
    cart = next(c for c in PlannerDesigner(actions=[Fault.POD_DELETE]).rank(deps.store.inventory("plant001"), 5)
                if c.spec.target_selector.service == "carts")
    # predicted: absorbed; carts is Java (it records successes only), so its failures are read at front-end
    assert cart.spec.hypothesis and [(e.service, e.peak, e.of) for e in cart.spec.hypothesis.expected] == [
        ("front-end", 0.0, "carts")]

    report = Path(state["report_path"]).read_text()
    findings = report.split("## Key findings")[1].split("\n## ")[0]
    m = re.search(r"carts, measured at front-end error rate: predicted peak 0\.0%, observed ([\d.]+)% at T\+\d+s "
                  r"\(baseline [\d.]+%\): refuted", findings)
    assert m, findings
    assert 10 < float(m.group(1)) <= 65  # half of cart's traffic reaches the unstarted pod
    assert "- carts error rate" not in findings  # never carts' own: it counts no failure

    sidecar = json.loads(Path(state["report_path"]).with_suffix(".json").read_text())
    [finding] = sidecar["findings"]["signals"]
    assert finding["verdict"] == "refuted" and round(finding["observed_peak"], 1) == float(m.group(1))
    samples = [s for s in sidecar["samples"] if s["tick"] >= 1]
    assert round(max(s["services"]["front-end"]["error_rate_pct"] for s in samples), 1) == float(m.group(1))
    assert {s["services"]["carts"]["error_rate_pct"] for s in samples} <= {0.0, None}  # success-only recording
    recommendations = report.split("## Recommendations")[1].split("\n## ")[0]
    assert "Add a readiness probe to carts" in recommendations
    assert "replicas >= 2" not in recommendations  # it has two: the evidence does not call for more
    # Every Mermaid block of the generated report renders with the real renderer.
    (tmp_path / "render").mkdir()
    rendered = render_markdown(report, tmp_path / "render")
    assert len(rendered.svgs) == 3  # sequence, dependency graph, signals chart
    assert "carts" in rendered.svgs[1].read_text()


def test_carts_db_pod_delete_reports_the_twins_own_outage_as_recovery(deps: Deps) -> None:
    # The twin restarts carts-db in 8 s (topology.yaml start_s); the planner predicts <= 10 s. The
    # run's clock is the twin's virtual one, ticking every 2 s (stack.yaml): the report measures the
    # recovery from the kill to within one tick of the twin's outage, during the 30 s of chaos.
    state = run_to_end(deps, "rec00001").state
    assert state["outcome"] == "completed"
    report = Path(state["report_path"]).read_text()
    findings = report.split("## Key findings")[1].split("\n## ")[0]
    m = re.search(r"recovery, from the kill to every affected service back within its baseline band: "
                  r"predicted ≤ 10 s, measured ≈ (\d+) s ± 2 s: confirmed", findings)
    assert m, findings
    assert abs(int(m.group(1)) - 8) <= 2  # one tick of the twin's own 8 s outage
    assert "back within baseline ≈ " + m.group(1) + " s ± 2 s after the kill" in report.splitlines()[2]
    kinds = [e["kind"] for e in state["events"]]
    assert kinds.index("recovered") < kinds.index("completed")  # seen during the chaos, not after it
    assert "Find what slows" not in report  # the evidence does not call for it
