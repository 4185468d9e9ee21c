"""Spec shape, decisions, and the rendered ChaosEngine."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from agent.config import Policy
from agent.engines.litmus import engine_name, render, result_name
from agent.errors import ApprovalError
from agent.models import ApprovalRequest, Decision, ExperimentSpec, Fault, Parameters
from agent.run.approval import validate
from tests.factories import T0, spec


def test_spec_round_trips_in_the_seed_shape() -> None:
    s = spec()
    data = json.loads(json.dumps(s.model_dump(mode="json")))
    for key in ("title", "description", "env", "action", "target_selector", "parameters",
                "abort_threshold", "expected_impact", "risk_level", "chaos_engine"):
        assert key in data
    assert ExperimentSpec.model_validate(data) == s
    assert s.slug == "api-pod-delete"


def test_spec_rejects_unknown_fields_and_bad_actions() -> None:
    data = spec().model_dump(mode="json")
    with pytest.raises(ValidationError):
        ExperimentSpec.model_validate(data | {"shell": "rm -rf /"})
    with pytest.raises(ValidationError):
        ExperimentSpec.model_validate(data | {"action": "drop-database"})


def test_decision_needs_a_choice_to_approve() -> None:
    with pytest.raises(ValidationError, match="must name the experiment"):
        Decision(verdict="approve", approver="ann", channel="cli", at=T0)
    Decision(verdict="reject", approver="ann", channel="cli", at=T0)


def test_approval_validation() -> None:
    req = ApprovalRequest(run_id="r1", candidates=["a", "b"])
    ok = Decision(verdict="approve", choice=2, approver="ann", channel="cli", at=T0)
    validate(ok, req, Policy(approvers=["cli:*"]))
    with pytest.raises(ApprovalError, match="no proposal 3; there are 2: choose 1..2"):
        validate(ok.model_copy(update={"choice": 3}), req, Policy(approvers=["cli:*"]))
    with pytest.raises(ApprovalError, match="may not approve"):
        validate(ok, req, Policy(approvers=["cli:bob", "slack:*"]))
    validate(ok, req, Policy(approvers=["cli:ann"]))


def test_engine_uses_upstream_names_and_run_derived_name() -> None:
    s = spec(
        action=Fault.POD_NETWORK_LATENCY,
        parameters=Parameters(duration_s=60, network_latency_ms=2000, jitter_ms=0),
    )
    m = render(s, run_id="ab12cd34", service_account="litmus-admin", cleanup="retain")
    body = m.body()
    assert body["metadata"]["name"] == engine_name("ab12cd34") == "ca-ab12cd34"  # type: ignore[index]
    spec_ = body["spec"]
    assert spec_["engineState"] == "active"  # type: ignore[index]
    assert spec_["appinfo"] == {"appns": "shop", "applabel": "name=api", "appkind": "deployment"}  # type: ignore[index]
    env = spec_["experiments"][0]["spec"]["components"]["env"]  # type: ignore[index]
    assert {e["name"]: e["value"] for e in env} == {
        "TOTAL_CHAOS_DURATION": "60", "PODS_AFFECTED_PERC": "0", "NETWORK_LATENCY": "2000", "JITTER": "0",
    }
    assert spec_["experiments"][0]["name"] == "pod-network-latency"  # type: ignore[index]
    assert "annotationCheck" not in spec_  # type: ignore[operator]
    assert result_name("ca-ab12cd34", "pod-network-latency") == "ca-ab12cd34-pod-network-latency"


def test_annotation_check_only_for_litmus_2() -> None:
    m = render(spec(), run_id="x1", service_account="sa", cleanup="delete", litmus_version="2.14")
    assert m.body()["spec"]["annotationCheck"] == "false"  # type: ignore[index]
    env = {e.name: e.value for e in m.env}
    assert env["FORCE"] == "false" and env["CHAOS_INTERVAL"] == "30"
