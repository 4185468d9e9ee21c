"""Every fault's ChaosEngine validates against the upstream CRD schema of its Litmus version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.engines.catalog import CATALOG, upstream_defaults
from agent.engines.litmus import render
from agent.models import Fault, Parameters
from tests.factories import spec
from twin.schema import validate_custom_object

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

SAMPLE: dict[str, Any] = {
    "duration_s": 60, "pods_affected_perc": 50, "chaos_interval_s": 10, "force": False,
    "network_latency_ms": 2000, "jitter_ms": 100, "packet_loss_pct": 50, "packet_corruption_pct": 50,
    "packet_duplication_pct": 50, "destination_hosts": "carts-db", "cpu_cores": 1, "cpu_load_pct": 100,
    "memory_consumption_mb": 500, "number_of_workers": 1, "fill_percentage": 80, "signal": "SIGKILL",
    "target_hostnames": ["carts-db", "user-db"], "target_node": "node-1",
}


def engine_schema(path: Path) -> dict[str, Any]:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc["spec"]["names"]["kind"] == "ChaosEngine":
            schema: dict[str, Any] = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError(f"no ChaosEngine CRD in {path}")


V3 = engine_schema(ROOT / "twin" / "data" / "litmus" / "chaos_crds.yaml")
V2 = engine_schema(DATA / "litmus-2.14" / "chaosengine_crd.yaml")


def body(fault: Fault, version: str) -> dict[str, Any]:
    params = Parameters.model_validate({p: SAMPLE[p] for p in CATALOG[fault].parameters})
    m = render(spec(action=fault, parameters=params), run_id="ab12cd34", service_account="litmus-admin",
               cleanup="retain", litmus_version=version)  # type: ignore[arg-type]
    return m.body()


LITMUS_FAULTS = [f for f in Fault if not f.entry.control and f.entry.litmus]  # a control renders no engine


@pytest.mark.parametrize("fault", LITMUS_FAULTS)
def test_engine_validates_for_litmus_3(fault: Fault) -> None:
    b = body(fault, "3.x")
    assert validate_custom_object(b, V3) == []
    env = {e["name"] for e in b["spec"]["experiments"][0]["spec"]["components"]["env"]}
    assert env <= set(upstream_defaults(fault))  # only names the upstream experiment reads


@pytest.mark.parametrize("fault", LITMUS_FAULTS)
def test_engine_validates_for_litmus_2(fault: Fault) -> None:
    b = body(fault, "2.14")
    assert b["spec"]["annotationCheck"] == "false"
    assert validate_custom_object(b, V2) == []


def test_annotation_check_is_a_2x_field_only() -> None:
    # 3.x keeps unknown spec fields (x-kubernetes-preserve-unknown-fields) but no longer declares
    # annotationCheck: it would be silently ignored there, so 3.x engines do not carry it.
    assert "annotationCheck" in V2["properties"]["spec"]["properties"]
    assert "annotationCheck" not in V3["properties"]["spec"]["properties"]
    assert "annotationCheck" not in body(Fault.POD_DELETE, "3.x")["spec"]
