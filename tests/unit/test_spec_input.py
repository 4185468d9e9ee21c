"""Spec files as untrusted input: bounded reads (FIFOs, devices, huge files) and a strict model
(bounded text and integers, no booleans or strings for numbers), with enums still read from JSON."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import ormsgpack
import pytest
from pydantic import ValidationError

from agent.design.planner import PlannerDesigner
from agent.design.propose import load_spec
from agent.errors import SpecInvalid
from agent.models import ExperimentSpec, Parameters, TargetSelector
from tests import factories

SPEC = factories.spec().model_dump(mode="json")


def with_(path: str, value: object) -> dict[str, Any]:
    """SPEC with one field (``parameters.duration_s``) set to ``value``."""
    doc = json.loads(json.dumps(SPEC))
    *parents, last = path.split(".")
    node = doc
    for part in parents:
        node = node[part]
    node[last] = value
    return doc


def field_error(doc: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ValidationError) as e:
        ExperimentSpec.model_validate_json(json.dumps(doc))
    first = e.value.errors()[0]
    return ".".join(str(p) for p in first["loc"]), first["msg"]


# --- reading: nothing blocks, nothing unbounded -----------------------------------------------------------


def _refused_fast(path: Path, match: str) -> None:
    start = time.monotonic()
    with pytest.raises(SpecInvalid, match=match) as e:
        load_spec(path)
    assert time.monotonic() - start < 1.0
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_a_fifo_without_a_writer_is_refused_unopened(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.json"
    os.mkfifo(fifo)
    _refused_fast(fifo, "a FIFO")


def test_dev_zero_is_refused_unread() -> None:
    _refused_fast(Path("/dev/zero"), "a character device, not a regular file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    _refused_fast(tmp_path, "a directory, not a regular file")


def test_a_50_mb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    _refused_fast(huge, r"52,428,800 bytes, over the limit of 1,048,576 \(paths.max_spec_bytes\)")


def test_the_limit_is_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(with_("description", "x" * 1500)))
    assert load_spec(path).description == "x" * 1500
    with pytest.raises(SpecInvalid, match=r"over the limit of 1,024 \(paths.max_spec_bytes\)"):
        load_spec(path, max_bytes=1024)


def test_the_error_names_the_field_with_its_index(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    doc = with_("hypothesis", {"statement": "s", "affected_services": ["web"], "recovery_s": 1,
                               "expected": [{"service": "web", "signal": "error_rate_pct", "peak": True}]})
    path.write_text(json.dumps(doc))
    with pytest.raises(SpecInvalid, match=r"spec.json hypothesis.expected\[0\].peak: Input should be a valid number \(got True\)"):
        load_spec(path)


# --- the model: strict and bounded -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, "30", 30.0, 10**30, 2**63, 0, -1, 7 * 86_400 + 1])
def test_duration_is_a_bounded_integer_only(value: object) -> None:
    assert field_error(with_("parameters.duration_s", value))[0] == "parameters.duration_s"


@pytest.mark.parametrize("path", ["parameters.pods_affected_perc", "parameters.chaos_interval_s",
                                  "parameters.network_latency_ms", "parameters.cpu_cores"])
def test_other_integers_refuse_booleans_and_strings(path: str) -> None:
    assert field_error(with_(path, True))[0] == path
    assert field_error(with_(path, "5"))[0] == path


def test_force_is_a_boolean_only() -> None:
    assert field_error(with_("parameters.force", 1)) == ("parameters.force", "Input should be a valid boolean")


@pytest.mark.parametrize("value", [True, "50", float("nan"), float("inf")])
def test_abort_numbers_are_finite_numbers(value: object) -> None:
    text = json.dumps(with_("abort_threshold.error_rate_pct", value))  # NaN and Infinity as json writes them
    with pytest.raises(ValidationError, match="abort_threshold.error_rate_pct"):
        ExperimentSpec.model_validate_json(text)


def test_json_still_reads_enums_literals_aliases_and_ints_as_floats() -> None:
    doc = with_("action", "pod-kill")  # the seed's alias
    doc["risk_level"] = "high"
    doc["target_selector"]["kind"] = "statefulset"
    doc["abort_threshold"] = {"service": "web", "error_rate_pct": 50,  # an int where a float goes
                              "conditions": [{"signal": "latency_p95_ms", "op": ">=", "value": 900}]}
    doc["parameters"]["signal"] = "SIGKILL"
    spec = ExperimentSpec.model_validate_json(json.dumps(doc))
    assert (spec.action.value, spec.risk_level, spec.target_selector.kind) == ("pod-delete", "high", "statefulset")
    assert spec.abort_threshold and spec.abort_threshold.conditions[0].op == ">="


@pytest.mark.parametrize(("path", "cap"), [("description", 4000), ("rationale", 4000), ("expected_impact", 2000),
                                           ("title", 120)])
def test_text_is_capped(path: str, cap: int) -> None:
    ExperimentSpec.model_validate_json(json.dumps(with_(path, "x" * cap)))
    assert field_error(with_(path, "x" * (cap + 1)))[0] == path


@pytest.mark.parametrize("labels", [{"app.kubernetes.io/part-of": "sock-shop"}, {"name": "x" * 63},
                                    {f"{'a' * 253}/{'b' * 63}": ""}])
def test_kubernetes_labels_pass(labels: dict[str, str]) -> None:
    TargetSelector(service="api", namespace="shop", labels=labels)


@pytest.mark.parametrize("labels", [{"name": "x" * 64}, {"name": "carts-db,name!=zzz"}, {"name in (a,b)": ""},
                                    {f"{'a' * 254}/b": "v"}, {"b" * 64: "v"}, {"": "v"}, {"Sock.Shop/x": "v"}])
def test_anything_else_is_not_a_label(labels: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="not a Kubernetes label"):
        TargetSelector(service="api", namespace="shop", labels=labels)


def _integers(schema: dict[str, Any], defs: dict[str, Any], where: str = "") -> list[tuple[str, object]]:
    """Every integer of a JSON Schema with its upper bound (None when it has none)."""
    out: list[tuple[str, object]] = []
    if schema.get("type") == "integer":
        out.append((where, schema.get("maximum", schema.get("exclusiveMaximum"))))
    for key, sub in (schema.get("properties") or {}).items():
        out += _integers(sub, defs, f"{where}.{key}")
    for sub in schema.get("anyOf", []) + ([schema["items"]] if isinstance(schema.get("items"), dict) else []):
        out += _integers(sub, defs, where)
    if "$ref" in schema:
        out += _integers(defs[schema["$ref"].rsplit("/", 1)[1]], defs, where)
    return out


def test_every_integer_of_a_spec_is_bounded_within_64_bits() -> None:
    schema = ExperimentSpec.model_json_schema()
    found = _integers(schema, schema["$defs"])
    assert ".parameters.duration_s" in {w for w, _ in found}
    assert [(w, m) for w, m in found if not isinstance(m, int) or m >= 2**63] == []


def test_a_spec_at_every_bound_fits_the_checkpointer() -> None:
    biggest = Parameters(duration_s=7 * 86_400, chaos_interval_s=7 * 86_400, pods_affected_perc=100,
                         network_latency_ms=60_000, memory_consumption_mb=65_536)
    ormsgpack.packb(factories.spec(parameters=biggest).model_dump(mode="json"))


def test_every_planned_spec_reads_back_from_its_saved_json() -> None:
    proposal = PlannerDesigner().propose(factories.shop(), 20)
    assert proposal.candidates
    for c in proposal.candidates:
        assert ExperimentSpec.model_validate_json(json.dumps(c.spec.model_dump(mode="json"))) == c.spec
