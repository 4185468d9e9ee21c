"""Custom templates through the wiring and the wire: ``build_designer`` reads the templates folder,
the LLM request offers the valid ones (schema enum and prompt), and an answer naming one comes
back held to it. A loopback OpenAI-compatible server; real ChatOpenAI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from agent.adapters.llm_schema import LLMParameters
from agent.config import LLM, Policy, Settings
from agent.config.templates import DesignSettings
from agent.design.propose import design
from agent.models import Fault
from agent.wiring import build_designer
from tests.factories import shop
from tests.integration.openai_server import OpenAIServer
from tests.unit.test_templates import API_LATENCY, with_

POLICY = Policy(namespaces=["shop"], actions=[f for f in Fault if not f.entry.high_risk], max_duration_s=90)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as s:
        yield s


def settings(base_url: str, templates: Path) -> Settings:
    assert base_url.startswith("http://127.0.0.1:"), "tests talk to loopback servers only"
    return Settings(llm=LLM(enabled=True, model="test-model", base_url=base_url, api_key=SecretStr("test")),
                    policy=POLICY, design=DesignSettings(templates_dir=str(templates)))


def answer(template: str | None, **parameters: Any) -> dict[str, Any]:
    params: dict[str, Any] = {name: None for name in LLMParameters.model_fields}
    params.update({"duration_s": 60, "network_latency_ms": 800, **parameters})
    return {
        "title": "Api latency", "description": "slow api", "action": "pod-network-latency", "target_service": "api",
        "parameters": params, "abort_threshold": {"service": "web", "error_rate_pct": 5, "latency_p95_ms": None},
        "risk_level": "medium", "expected_impact": "web waits", "rationale": "api is on every path",
        "hypothesis": {"statement": "web slows", "affected_services": ["api", "web"], "expected": [], "recovery_s": 60},
        "template": template,
    }


def test_the_llm_is_offered_the_valid_templates_and_its_pick_is_held_to_one(server: OpenAIServer, tmp_path: Path) -> None:
    (tmp_path / "api-latency.yaml").write_text(yaml.safe_dump(API_LATENCY), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(yaml.safe_dump(with_({"name": "broken", "fault": "pod-explode"})),
                                          encoding="utf-8")
    server.answer({"experiments": [answer("api-latency")]})

    outcome = design(shop(), build_designer(settings(server.base_url, tmp_path)), POLICY, count=3)

    body = server.requests[0]
    item = body["response_format"]["json_schema"]["schema"]["$defs"]["LLMExperiment"]
    assert item["properties"]["template"]["anyOf"][0]["enum"] == ["api-latency"]  # the broken one is not offered
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    assert "- api-latency: pod-network-latency" in user and "duration_s 30..90 (default 60)" in user  # policy cap
    [c] = outcome.candidates
    assert c.spec.rationale.startswith("from template api-latency; api is on every path")
    assert c.spec.hypothesis is not None and "users wait at web" in c.spec.hypothesis.statement


def test_a_pick_outside_its_template_is_retried_with_the_reason(server: OpenAIServer, tmp_path: Path) -> None:
    (tmp_path / "api-latency.yaml").write_text(yaml.safe_dump(API_LATENCY), encoding="utf-8")
    server.answer({"experiments": [answer("api-latency", network_latency_ms=1600)]})
    server.answer({"experiments": [answer("api-latency", network_latency_ms=1500)]})

    proposal = build_designer(settings(server.base_url, tmp_path)).propose(shop(), 3)

    assert server.count == 2 and proposal.designer == "llm"
    retry = server.requests[1]["messages"][-1]["content"]
    assert "experiments[0].template: parameters.network_latency_ms: 1600 is outside template api-latency's bounds" in retry
    assert proposal.candidates[0].spec.parameters.network_latency_ms == 1500
