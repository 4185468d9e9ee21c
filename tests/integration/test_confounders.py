"""A pod of another service deleted during a run (through the real kubernetes client, while the
run's clock advances) is named by the report as a confounder; a quiet run names none."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from kubernetes import client

from agent.models.verify import ConfounderResult
from agent.ports import Clock, Deps
from agent.report import junit
from agent.report.result import RunResult
from tests.integration.test_agent_on_twin import run_to_end

NS = "sock-shop"


@dataclass
class DeleteOnceChaosRuns:
    """The run's clock; after a sleep during which the run's ChaosEngine exists, deletes the carts pod once."""

    inner: Clock
    server: str
    deleted: str = ""

    def now(self) -> datetime:
        return self.inner.now()

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
        if self.deleted:
            return
        api = client.ApiClient(client.Configuration(host=self.server))
        engines = client.CustomObjectsApi(api).list_namespaced_custom_object(
            "litmuschaos.io", "v1alpha1", NS, "chaosengines")["items"]
        if engines:
            pod = client.CoreV1Api(api).list_namespaced_pod(NS, label_selector="name=carts").items[0]
            client.CoreV1Api(api).delete_namespaced_pod(pod.metadata.name, NS)
            self.deleted = pod.metadata.uid


def test_a_pod_of_another_service_deleted_during_the_run_is_named_as_a_confounder(deps: Deps) -> None:
    clock = DeleteOnceChaosRuns(deps.clock, deps.cluster.server)  # type: ignore[attr-defined]
    view = run_to_end(replace(deps, clock=clock), "c0000001")
    assert clock.deleted  # the pod was deleted while the chaos ran
    found = deps.store.load("c0000001", "confounders", ConfounderResult)
    replaced = [c for c in found.found if c.kind == "pod-replaced"]
    assert len(replaced) == 1 and replaced[0].detail.startswith("carts: ") and clock.deleted[:8] in replaced[0].detail
    assert "front-end" in replaced[0].services  # carts' callers may show it
    text = Path(str(view.state["report_path"])).read_text(encoding="utf-8")
    row = next(x for x in text.splitlines() if x.startswith("| Confounders |"))
    assert "1 change not made by this run" in row and "carts" in row and clock.deleted[:8] in row
    marked = [x for x in text.splitlines() if "(may be confounded: carts: pod " in x]
    assert any(x.startswith("  - carts error rate: off from") for x in marked)  # the finding on carts itself
    assert any(x.startswith("- recovery, from the kill") for x in marked)  # and the recovery of the radius
    assert not any(x.startswith("- carts-db error rate:") for x in marked)  # carts-db does not call carts
    # and a pipeline reads it: the result JSON beside the report, and the JUnit properties
    result = RunResult.model_validate_json(Path(str(view.state["report_path"])).with_suffix(".result.json").read_text())
    assert result.confounders is not None and [c.kind for c in result.confounders.found] == ["pod-replaced"]
    assert clock.deleted[:8] in result.confounders.found[0].detail and "front-end" in result.confounders.found[0].services
    props = {p.get("name"): p.get("value") for p in ET.fromstring(junit.render(result)).iter("property")}
    assert props["confounders"] == "1" and props["confounder.1"].startswith("pod-replaced: carts: ")


def test_a_quiet_run_reports_no_confounder(deps: Deps) -> None:
    view = run_to_end(deps, "c0000002")
    found = deps.store.load("c0000002", "confounders", ConfounderResult)
    assert found.found == [], found
    text = Path(str(view.state["report_path"])).read_text(encoding="utf-8")
    assert "| Confounders | none: no other ChaosEngine, rollout or pod change outside the target" in text
    result = RunResult.model_validate_json(Path(str(view.state["report_path"])).with_suffix(".result.json").read_text())
    assert result.confounders is not None and result.confounders.found == []
