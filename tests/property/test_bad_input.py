"""Random and hostile input at every edge: stack.yaml, spec files, Slack callbacks, model output.

Each property states what the product promises for *any* input: a result, or the one expected
ChaosAdvisorError subclass whose message names where the problem is; never a traceback or a
third-party exception. Deterministic (``derandomize``), offline, a few seconds in all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from agent.adapters import llm_designer
from agent.adapters.audit_file import MemoryAuditLog
from agent.adapters.llm_designer import LLMDesigner, _Answer, _specs
from agent.adapters.slack_signature import SlackSignature
from agent.config import HIGH_RISK_FAULTS, LLM, Policy, Settings, load_settings
from agent.design.measurable import unmeasurable
from agent.design.planner import PlannerDesigner
from agent.design.policy import check as policy_check
from agent.design.propose import load_spec
from agent.errors import ApprovalError, ConfigError, LLMOutputInvalid, SpecInvalid, SpecRejected
from agent.models import (
    AbortCondition,
    AbortThreshold,
    ExperimentSpec,
    Fault,
    LLMUsage,
    Parameters,
    Proposal,
    TargetSelector,
)
from agent.models.spec import MAX_DURATION_S
from agent.report.number_check import Evidence, check, numbers_in, unsupported
from agent.slack.clicks import parse_click
from agent.slack.commands import Commands
from agent.slack.decisions import Decisions
from agent.slack.ports import Answer, Result, Waiting
from agent.slack.workers import Workers
from tests import factories
from tests.integration.openai_server import OpenAIServer
from tests.property.strategies import JSON, mutated

ROOT = Path(__file__).resolve().parents[2]
STACK = yaml.safe_load((ROOT / "stack.yaml").read_text(encoding="utf-8"))
SPEC = factories.spec().model_dump(mode="json")
PROPS = settings(
    derandomize=True, max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="chaos-advisor-prop-") as d:
        yield Path(d)


@pytest.fixture(autouse=True)
def _no_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("CHAOS_ADVISOR_", "OPENAI_")):
            monkeypatch.delenv(name)


# --- 1. stack.yaml ----------------------------------------------------------------------------------


def _load(path: Path, text: str) -> Settings | None:
    path.write_text(text, encoding="utf-8")
    try:
        return load_settings(path)
    except ConfigError as e:
        assert str(path) in str(e), f"the message does not name the file: {e}"
        return None


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def test_the_real_stack_yaml_loads(workdir: Path) -> None:
    assert isinstance(_load(workdir / "stack.yaml", _dump(STACK)), Settings)


@PROPS
@given(doc=mutated(STACK))
@example(doc={1: "x"})
@example(doc={None: {"a": 1}})
@example(doc={"base_dir": "/etc"})
@example(doc={**STACK, "policy": {**STACK["policy"], "max_duration_s": 10**40}})
@example(doc={**STACK, "k8s": {**STACK["k8s"], "target_services": [{"name": 1}]}})
@example(doc={**STACK, "k8s": {**STACK["k8s"], "target_services": [{"name": "a", "bad": 1, 2: 3}]}})
@example(doc=[STACK])
def test_stack_yaml_mutations_load_or_raise_a_config_error(workdir: Path, doc: Any) -> None:
    _load(workdir / "stack.yaml", _dump(doc))


@PROPS
@given(text=st.text(max_size=200))
@example(text="!!python/object/apply:os.system ['echo hi']")
@example(text="a: &a [*a]")
@example(text="[" * 5000)
@example(text="version: 1\nversion: 2\n")
@example(text="\ufeffversion: 1\n")
@example(text="k8s: {target_services: [{name: a, namespace: b, type: c, tier: edge}]}\n? [1, 2]\n: 3")
def test_random_yaml_text_loads_or_raises_a_config_error(workdir: Path, text: str) -> None:
    _load(workdir / "stack.yaml", text)


@pytest.mark.parametrize("text", ["- just\n- a list\n", "policy: {max_duration_s: [1]}\n1: 2\n"])
def test_the_cli_turns_a_bad_stack_yaml_into_one_line_and_exit_2(workdir: Path, text: str) -> None:
    path = workdir / "cli-stack.yaml"
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAOS_ADVISOR_", "OPENAI_"))}
    proc = subprocess.run([sys.executable, "-m", "agent", "inventory", "--config", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert str(path) in proc.stdout + proc.stderr


# --- 2. spec files and the policy ---------------------------------------------------------------------


def _load_spec(path: Path, text: str) -> ExperimentSpec | None:
    path.write_text(text, encoding="utf-8")
    try:
        return load_spec(path)
    except SpecInvalid as e:
        assert str(path) in str(e), f"the message does not name the file: {e}"
        return None


def test_a_saved_spec_loads(workdir: Path) -> None:
    assert _load_spec(workdir / "spec.json", json.dumps(SPEC)) == factories.spec()


@PROPS
@given(doc=mutated(SPEC))
@example(doc={**SPEC, "action": "pod-kill"})
@example(doc={**SPEC, "parameters": {"duration_s": 10**40}})
@example(doc={**SPEC, "action": ["pod-delete"]})
@example(doc={**SPEC, "target_selector": {**SPEC["target_selector"], "labels": {}}})
def test_spec_mutations_load_or_raise_spec_invalid(workdir: Path, doc: Any) -> None:
    _load_spec(workdir / "spec.json", json.dumps(doc))


@PROPS
@given(text=st.one_of(st.text(max_size=200), JSON.map(json.dumps)))
@example(text="")
@example(text="[" * 5000)
@example(text='{"title": "\\ud800"}')
@example(text="NaN")
def test_random_spec_text_loads_or_raises_spec_invalid(workdir: Path, text: str) -> None:
    _load_spec(workdir / "spec.json", text)


def test_unreadable_spec_bytes_are_spec_invalid(workdir: Path) -> None:
    path = workdir / "binary.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecInvalid, match=str(path)):
        load_spec(path)


SHOP = factories.shop()
NAMESPACES = st.sampled_from(["shop", "kube-system", "default", "", "Shop", "shop "])
SERVICES = st.sampled_from([t.name for t in SHOP.targets] + ["ghost", "*", ""])


@st.composite
def hostile_specs(draw: st.DrawFn) -> ExperimentSpec:
    """Specs that validate as models but aim anywhere: any namespace, action, size and watch."""
    service = draw(SERVICES)
    params: dict[str, Any] = {"duration_s": draw(st.integers(1, MAX_DURATION_S)),
                              "pods_affected_perc": draw(st.integers(0, 100))}
    if draw(st.booleans()):
        params["chaos_interval_s"] = draw(st.integers(1, 600))
    if draw(st.booleans()):
        params["network_latency_ms"] = draw(st.integers(1, 60_000))
    if draw(st.booleans()):
        params["force"] = draw(st.booleans())
    abort = draw(st.one_of(st.none(), st.builds(
        AbortThreshold, service=SERVICES, error_rate_pct=st.floats(0.01, 100))))
    labels = draw(st.one_of(st.just({"name": service if service not in ("", "*") else "x"}),
                            st.dictionaries(st.sampled_from(["name", "app", "app.kubernetes.io/part-of"]),
                                            st.from_regex(r"\A([a-z0-9]([-a-z0-9._]{0,6}[a-z0-9])?)?\Z"),
                                            min_size=1, max_size=2)))
    return ExperimentSpec(
        title="hostile", description="d", action=draw(st.sampled_from(list(Fault))),
        target_selector=TargetSelector(service=service, namespace=draw(NAMESPACES), labels=labels),
        parameters=Parameters(**params), abort_threshold=abort, expected_impact="e",
        risk_level=draw(st.sampled_from(["low", "medium", "high"])),
    )


POLICIES = st.builds(
    Policy,
    namespaces=st.lists(NAMESPACES, max_size=3),
    actions=st.lists(st.sampled_from(list(Fault)), max_size=6),
    max_duration_s=st.integers(1, MAX_DURATION_S),
    max_pods_affected_perc=st.integers(0, 100),
    max_pods_affected=st.integers(1, 3),
    allow_high_risk=st.booleans(),
)


@settings(PROPS, max_examples=400)
@given(spec=hostile_specs(), policy=POLICIES)
def test_the_policy_passes_a_spec_only_when_every_rule_holds(spec: ExperimentSpec, policy: Policy) -> None:
    sel, p = spec.target_selector, spec.parameters
    try:
        policy_check(spec, SHOP, policy)
    except SpecRejected as e:
        broken = {
            "policy.namespaces": sel.namespace not in policy.namespaces,
            "policy.allow_high_risk": spec.action in HIGH_RISK_FAULTS and not policy.allow_high_risk,
            "policy.actions": spec.action not in policy.actions,
            "policy.max_duration_s": p.duration_s > policy.max_duration_s,
            "policy.max_pods_affected_perc": p.pods_affected_perc > policy.max_pods_affected_perc,
            "abort_threshold": spec.abort_threshold is None or any(cannot_stop(c, policy) for c in spec.abort_threshold.all_conditions()),
        }
        assert broken.get(e.rule, True), f"{e.rule} named but it holds: {e}"
        return
    target = SHOP.target(sel.service)
    matched = [x for x in SHOP.pods if x.namespace == sel.namespace
               and all(x.labels.get(k) == v for k, v in sel.labels.items())]
    assert sel.namespace in policy.namespaces
    assert spec.action in policy.actions
    assert spec.action not in HIGH_RISK_FAULTS or policy.allow_high_risk
    assert p.duration_s <= policy.max_duration_s
    assert p.pods_affected_perc <= policy.max_pods_affected_perc
    assert spec.abort_threshold is not None
    assert target is not None and target.namespace == sel.namespace
    assert matched and max(1, len(matched) * p.pods_affected_perc // 100) <= policy.max_pods_affected
    assert spec.abort_threshold.service == "*" or SHOP.target(spec.abort_threshold.service) is not None
    assert not any(cannot_stop(c, policy) for c in spec.abort_threshold.all_conditions())


def cannot_stop(c: AbortCondition, policy: Policy) -> bool:
    """The oracle: a condition that never fires (past a signal's ceiling, 100 %, the 10 s top
    latency bucket, 256 cores or 4 TiB, or below 0) or is looser than the policy's cap does not count as an abort."""
    if c.op in ("<", "<="):
        return c.value <= 0 if c.op == "<" else c.value < 0
    ceiling = {"error_rate_pct": 100.0, "latency_p95_ms": 10_000.0, "cpu_millicores": 256_000.0,
               "memory_mib": 4 * 1024 * 1024.0}.get(c.signal)
    cap = {"error_rate_pct": policy.max_abort_error_rate_pct, "latency_p95_ms": policy.max_abort_latency_ms}.get(c.signal)
    past = ceiling is not None and (c.value >= ceiling if c.op == ">" else c.value > ceiling)
    return past or (cap is not None and c.value > cap)


# --- 3. Slack callbacks ----------------------------------------------------------------------------------

SECRET = "s3cret"
NOW = 1_790_000_000.0
APPROVER = "UAPPROVER"


class _Runs:
    """A paused run that records every resume."""

    def __init__(self) -> None:
        self.resumed: list[tuple[str, Answer]] = []
        self._lock = threading.Lock()

    def waiting(self, run_id: str) -> Waiting:
        if run_id != "run-1":
            raise ApprovalError(f"no run {run_id!r}")
        return Waiting(interrupt_id="i-1", candidates=["a", "b"], status="running")

    def resume(self, run_id: str, answer: Answer, *, interrupt_id: str) -> Result:
        with self._lock:
            self.resumed.append((run_id, answer))
        return Result(outcome="completed")


class _Replies:
    def update(self, channel: str, ts: str, text: str, *, detail: str | None = None) -> None:
        pass

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        pass


class _Endpoint:
    """The slack-bolt app as the HTTP listener calls it (``SlackApp.handle``), without the socket."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def handle(self, body: bytes, headers: dict[str, str]) -> Any:
        return self._app.handle(body, headers)

    def drain(self, timeout: float) -> bool:
        return bool(self._app.workers.drain(timeout))

    def close(self) -> None:
        self._app.workers.shutdown(wait=True)


def _endpoint() -> tuple[_Endpoint, _Runs]:
    from agent.adapters.slack_app import SlackApp
    from agent.adapters.slack_web import SlackWeb

    runs = _Runs()
    policy = Policy(approvers=[f"slack:{APPROVER}"])
    audit = MemoryAuditLog()
    decisions = Decisions(replies=_Replies(), runs=runs, policy=lambda: policy, audit=audit)
    commands = Commands(ops=None, replies=_Replies(), policy=lambda: policy, audit=audit)  # type: ignore[arg-type]
    web = SlackWeb("xoxb-test", base_url="http://127.0.0.1:9/api/", timeout_s=1, retries=0)  # never called here
    app = SlackApp(web=web, decisions=decisions, commands=commands, signature=SlackSignature(SECRET, now=lambda: NOW),
                   workers=Workers(2))
    return _Endpoint(app), runs


def _as_bolt_parses(body: bytes) -> object:
    """The payload slack-bolt hands on (the HTTP listener refuses what it cannot parse with a 400)."""
    from slack_bolt import BoltRequest

    try:
        return BoltRequest(body=body.decode("utf-8")).body
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None


def _signed(body: bytes, stamp: str) -> dict[str, str]:
    base = b"v0:" + stamp.encode() + b":" + body
    return {"X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()}


CLICK = {
    "type": "block_actions", "user": {"id": APPROVER}, "channel": {"id": "C1"},
    "container": {"message_ts": "1.2", "channel_id": "C1"},
    "actions": [{"action_id": "run_1", "value": json.dumps({"run": "run-1", "choice": 1})}],
}
HEADER_NAMES = st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num",
                                "x-slack-signature", "Content-Type"])
HEADER_VALUES = st.one_of(st.text(max_size=40), st.just(str(int(NOW))), st.just("v0=" + "0" * 64),
                          st.just(" " + str(int(NOW))), st.just("1e9"))


def test_a_signed_valid_click_resumes_once() -> None:
    endpoint, runs = _endpoint()
    body = urlencode({"payload": json.dumps(CLICK)}).encode()
    try:
        assert endpoint.handle(body, _signed(body, str(int(NOW)))).status == 200
        assert endpoint.drain(5)
    finally:
        endpoint.close()
    assert [r for r, _ in runs.resumed] == ["run-1"]


@PROPS
@given(body=st.one_of(st.binary(max_size=300), mutated(CLICK).map(lambda d: urlencode(
    {"payload": json.dumps(d)}).encode())), headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4))
@example(body=urlencode({"payload": json.dumps(CLICK)}).encode(), headers={})
@example(body=urlencode({"payload": json.dumps(CLICK)}).encode(),
         headers={"X-Slack-Request-Timestamp": "x" * 1000, "X-Slack-Signature": "v0=00"})
@example(body=b"", headers={"X-Slack-Request-Timestamp": str(int(NOW)), "X-Slack-Signature": "\x80"})
@example(body=b"\x80", headers={"X-Slack-Request-Timestamp": str(int(NOW)), "X-Slack-Signature": "v0=00"})
def test_an_unsigned_request_is_a_401_and_resumes_nothing(body: bytes, headers: dict[str, str]) -> None:
    endpoint, runs = _endpoint()
    try:
        reply = endpoint.handle(body, headers)
        assert endpoint.drain(5)
    finally:
        endpoint.close()
    assert reply.status == 401 and "nothing changed" in reply.text
    assert runs.resumed == []


@PROPS
@given(payload=st.one_of(mutated(CLICK).map(json.dumps), JSON.map(json.dumps), st.text(max_size=60)),
       stamp=st.sampled_from([str(int(NOW)), str(int(NOW) - 299), "１７９０００００００"]),
       raw=st.booleans())
@example(payload=json.dumps({**CLICK, "actions": [{"action_id": "run_3", "value": '{"run": "run-1", "choice": 3}'}]}),
         stamp=str(int(NOW)), raw=False)
@example(payload=json.dumps({**CLICK, "actions": [{"action_id": "run_1", "value": '{"run": "../x", "choice": 1}'}]}),
         stamp=str(int(NOW)), raw=False)
def test_a_signed_malformed_click_is_a_400_and_resumes_nothing(payload: str, stamp: str, raw: bool) -> None:
    body = payload.encode() if raw else urlencode({"payload": payload}).encode()
    try:
        click = parse_click(_as_bolt_parses(body), sent_at=datetime.fromtimestamp(int(stamp), UTC), retry=False)
    except ApprovalError:
        click = None
        parsed = False
    else:
        parsed = True
    endpoint, runs = _endpoint()
    try:
        reply = endpoint.handle(body, _signed(body, stamp))
        assert endpoint.drain(5)
    finally:
        endpoint.close()
    if not parsed:
        assert reply.status == 400 and reply.text.startswith("malformed") and "nothing changed" in reply.text
    else:
        assert reply.status == 200
    # A resume happens only for a well-formed click by an approver on the waiting run, once.
    if runs.resumed:
        assert click is not None and click.user == APPROVER and click.run_id == "run-1"
        assert click.answer.choice in (None, 1, 2)
        assert len(runs.resumed) == 1
    else:
        assert click is None or click.user != APPROVER or click.run_id != "run-1" or (click.answer.choice or 0) > 2


@PROPS
@given(body=st.binary(max_size=400))
@example(body=b"payload=%ff%fe")
@example(body=b"payload=" + b"%5B" * 3000)
@example(body=b"payload=&payload=x")
@example(body=b"payload=" + json.dumps({**CLICK, "actions": [
    {"action_id": "run_1", "value": "[" * 5000}]}).encode().replace(b"%", b"%25").replace(b"&", b"%26"))
def test_parse_click_on_random_bytes_is_a_click_none_or_approval_error(body: bytes) -> None:
    try:
        parse_click(_as_bolt_parses(body), sent_at=datetime.fromtimestamp(NOW, UTC), retry=False)
    except ApprovalError as e:
        assert str(e).startswith("malformed")
    endpoint, runs = _endpoint()  # and the app itself: a 200 or a 400 saying what is malformed, never a crash
    try:
        reply = endpoint.handle(body, _signed(body, str(int(NOW))))
        assert endpoint.drain(5)
    finally:
        endpoint.close()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # slack-sdk's verifier signs text only; Slack never sends anything else
        assert reply.status == 401, reply
        return
    assert reply.status in (200, 400), reply
    assert reply.status != 400 or reply.text.startswith("malformed"), reply
    assert runs.resumed == []


# --- 4. model output --------------------------------------------------------------------------------------

LLM_ITEM: dict[str, Any] = {
    "title": "Api pod delete", "description": "Delete an api pod.", "action": "pod-delete",
    "target_service": "api",
    "parameters": {**{name: None for name in (
        "pods_affected_perc", "chaos_interval_s", "force", "network_latency_ms", "jitter_ms", "packet_loss_pct",
        "packet_corruption_pct", "packet_duplication_pct", "destination_hosts", "cpu_cores", "cpu_load_pct",
        "memory_consumption_mb", "number_of_workers", "fill_percentage", "signal", "target_hostnames",
        "target_node", "io_latency_ms", "io_percent", "volume_path")}, "duration_s": 30},
    "abort_threshold": {"service": "web", "error_rate_pct": 50.0, "latency_p95_ms": None},
    "risk_level": "low", "expected_impact": "api degraded", "rationale": "r",
    "hypothesis": {"statement": "s", "affected_services": ["web"],
                   "expected": [{"service": "web", "signal": "error_rate_pct", "peak": 10.0}], "recovery_s": 30.0},
}
LLM_DESIGN = {"experiments": [LLM_ITEM]}


def _answer(parsed: object) -> _Answer:
    return _Answer(text=json.dumps(parsed, default=str), parsed=parsed, parse_error=None, usage=LLMUsage(calls=1))


def test_a_valid_model_answer_becomes_a_spec() -> None:
    [spec] = _specs(_answer(LLM_DESIGN), SHOP)
    assert spec.target_selector.namespace == "shop" and spec.action == Fault.POD_DELETE


@settings(PROPS, max_examples=300)
@given(parsed=st.one_of(mutated(LLM_DESIGN), JSON))
@example(parsed={"experiments": []})
@example(parsed={"experiments": [{**LLM_ITEM, "target_service": "kube-system/etcd"}]})
@example(parsed={"experiments": [{**LLM_ITEM, "title": "\x00\x01"}]})
@example(parsed={"experiments": [{**LLM_ITEM, "abort_threshold": {
    "service": "web", "error_rate_pct": None, "latency_p95_ms": None}}]})
@example(parsed={"experiments": [{**LLM_ITEM, "parameters": {**LLM_ITEM["parameters"], "duration_s": -5}}]})
@example(parsed={"experiments": [{**LLM_ITEM, "hypothesis": {**LLM_ITEM["hypothesis"], "recovery_s": float("nan")}}]})
def test_model_output_becomes_specs_or_llm_output_invalid(parsed: object) -> None:
    try:
        specs = _specs(_answer(parsed), SHOP)
    except LLMOutputInvalid as e:
        assert str(e).strip()
        return
    assert specs and all(isinstance(s, ExperimentSpec) for s in specs)
    for s in specs:  # namespace and labels come from the inventory, never the model
        target = SHOP.target(s.target_selector.service)
        assert s.target_selector.namespace == "shop"
        assert target is None or s.target_selector.labels == target.selector


@settings(PROPS, max_examples=60)
@given(parsed=st.one_of(mutated(LLM_DESIGN), JSON), error=st.sampled_from([None, "boom"]))
def test_propose_never_raises_and_falls_back_on_bad_output(parsed: object, error: str | None) -> None:
    # over the wire: a loopback OpenAI-compatible server answers the same thing to the first ask and the retry
    with OpenAIServer() as server:
        for _ in range(2):
            server.answer_text("{not json") if error else server.answer(parsed)
        designer = LLMDesigner(LLM(enabled=True, api_key=SecretStr("k"), base_url=server.base_url, model="m",
                                   timeout_s=5), fallback=PlannerDesigner(), policy=Policy(namespaces=["shop"]))
        proposal = designer.propose(SHOP, 3)
    assert isinstance(proposal, Proposal)
    answer = _Answer(text="{}", parsed=None if error else parsed, parse_error=error, usage=LLMUsage(calls=1))
    try:
        specs = _specs(answer, SHOP)
    except LLMOutputInvalid:
        assert proposal.designer == "planner" and proposal.notice and "output invalid twice" in proposal.notice
        assert proposal.usage.calls == 2
    else:
        blind = any(unmeasurable(s, SHOP) for s in specs)  # sent back once, then kept without them
        assert proposal.designer == "llm" and 1 <= len(proposal.candidates) <= 3
        assert proposal.usage.calls == (2 if blind else 1)
        assert not any(w.startswith("hypothesis") for c in proposal.candidates for w in unmeasurable(c.spec, SHOP))


def test_to_spec_maps_only_validation_errors() -> None:
    # The one place _specs catches: a ValidationError from to_spec. Anything else would leak.
    item = llm_designer.LLMExperiment.model_validate({**LLM_ITEM, "abort_threshold": {
        "service": "web", "error_rate_pct": None, "latency_p95_ms": None}})
    with pytest.raises(ValidationError):
        llm_designer.to_spec(item, SHOP)


# --- evidence: model prose checked against numbers ---------------------------------------------------------


@PROPS
@given(text=st.text(max_size=200), values=st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=5))
@example(text="p95 rose to 1,2,3,4 ms at T+10s then 12:00:00 and ninety-nine % 1e309", values=[])
@example(text="٣٤٥ ms and ３ s", values=[345.0])
def test_evidence_check_never_raises_and_keeps_only_supported_numbers(text: str, values: list[float]) -> None:
    evidence = Evidence(text="", tokens=0, values=tuple(values), stamps=frozenset())
    numbers_in(text)
    checked = check(text, evidence)
    assert all(unsupported(s, evidence) for s in checked.dropped)
