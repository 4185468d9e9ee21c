"""The chat's tools on their own: typed schemas the model reads, no direct write path, decisions
that answer the interrupt the user was shown, explanations with the policy's verdict.

Ports the tools do not touch here are None (the tools under test never reach them); the run
graph is an in-memory RunControl, not a mock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from agent.adapters.audit_file import MemoryAuditLog
from agent.chat.agent import MAX_RESULT_CHARS, result_text
from agent.config import Policy, Settings
from agent.design.planner import PlannerDesigner
from agent.errors import ApprovalError, ChaosAdvisorError
from agent.models import Candidate, Decision, Inventory, Proposal
from agent.ports import Deps
from agent.run.files import FileRunStore
from tests.factories import shop
from tools import build_chat_tools
from tools.runs import ChatSession, RunSummary

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
POLICY = Policy(namespaces=["shop"])
EXPECTED = ["get_inventory", "suggest_experiments", "explain_candidate", "start_run", "list_approvals",
            "approve_experiment", "reject_run", "run_status", "abort_run", "show_report"]


class FixedClock:
    def now(self) -> datetime:
        return NOW

    def sleep(self, seconds: float) -> None:
        raise AssertionError("no tool here should wait")


class CountingDesigner:
    """The planner, counting how often it is asked."""

    name = "planner"

    def __init__(self) -> None:
        self.calls = 0
        self._planner = PlannerDesigner(actions=POLICY.actions)

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        self.calls += 1
        return self._planner.propose(inventory, count)


class FakeRuns:
    """An in-memory RunControl: one paused run, and every resume it was asked for."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.runs = {"run1": RunSummary(run_id="run1", waiting_for_approval=True, candidates=["a", "b"],
                                        interrupt_id="i-1")}
        self.resumed: list[tuple[str, Decision, str | None]] = []

    def start(self, count: int) -> RunSummary:
        raise AssertionError("not started here")

    def paused(self) -> list[RunSummary]:
        return [r for r in self.runs.values() if r.waiting_for_approval]

    def get(self, run_id: str) -> RunSummary:
        if run_id not in self.runs:
            raise ApprovalError(f"no run {run_id!r}")
        return self.runs[run_id]

    def resume(self, deps: Deps, run_id: str, decision: Decision, *, interrupt_id: str | None) -> RunSummary:
        self.resumed.append((run_id, decision, interrupt_id))
        return self.runs[run_id].model_copy(update={"waiting_for_approval": False, "decision": decision})

    @contextmanager
    def on_cluster(self, run_id: str) -> Iterator[Deps]:
        self.get(run_id)
        yield self.deps

    def run_ids(self) -> list[str]:
        return sorted(self.runs)


@pytest.fixture
def deps(tmp_path: Path) -> Deps:
    settings = Settings(policy=POLICY, paths={"state_dir": str(tmp_path), "reports": str(tmp_path / "reports")})  # type: ignore[arg-type]
    return Deps(settings=settings, cluster=None, metrics=None, clock=FixedClock(), wall_now=FixedClock().now, notifier=None,  # type: ignore[arg-type]
                designer=CountingDesigner(), store=FileRunStore(tmp_path / "runs"), audit=MemoryAuditLog())


def tools_of(deps: Deps, runs: FakeRuns | None = None) -> dict[str, object]:
    built = build_chat_tools(deps, runs or FakeRuns(deps), ChatSession(approver="alice"))
    return {t.name: t for t in built}


def test_every_capability_is_a_typed_tool_the_model_can_read(deps: Deps) -> None:
    built = build_chat_tools(deps, FakeRuns(deps), ChatSession(approver="alice"))
    assert [t.name for t in built] == EXPECTED
    for t in built:
        schema = t.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
        assert len(t.description) > 40, t.name
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("description"), f"{t.name}.{name} has no description"
    approve = next(t for t in built if t.name == "approve_experiment")
    props = approve.tool_call_schema.model_json_schema()["properties"]  # type: ignore[union-attr]
    assert props["choice"]["type"] == "integer" and "1-based" in props["choice"]["description"]


def test_no_tool_applies_an_engine_and_decisions_need_a_confirmation(deps: Deps) -> None:
    built = build_chat_tools(deps, FakeRuns(deps), ChatSession(approver="alice"))
    writes = ("apply", "create", "patch", "delete", "engine", "kubectl")
    assert [t.name for t in built if any(w in t.name for w in writes)] == []
    confirm = sorted(t.name for t in built if (t.metadata or {}).get("confirm"))
    assert confirm == ["approve_experiment", "reject_run"]
    changes = sorted(t.name for t in built if (t.metadata or {}).get("changes"))
    assert changes == ["abort_run", "approve_experiment", "reject_run", "start_run"]


def test_a_decision_answers_the_interrupt_the_user_was_shown(deps: Deps) -> None:
    runs = FakeRuns(deps)
    tools = tools_of(deps, runs)
    listed = tools["list_approvals"].invoke({})  # type: ignore[attr-defined]
    assert [r.run_id for r in listed.runs] == ["run1"]
    assert "interrupt_id" not in listed.runs[0].model_dump()  # the model never sees it

    done = tools["approve_experiment"].invoke({"run_id": "run1", "choice": 2, "note": "go"})  # type: ignore[attr-defined]

    assert done.waiting_for_approval is False
    (run_id, decision, interrupt_id), = runs.resumed
    assert (run_id, interrupt_id) == ("run1", "i-1")
    assert decision.model_dump() == {"verdict": "approve", "choice": 2, "approver": "alice", "channel": "chat",
                                     "at": NOW, "note": "go"}


def test_a_decision_without_a_listing_is_pinned_to_the_request_pending_when_it_runs(deps: Deps) -> None:
    runs = FakeRuns(deps)
    tools_of(deps, runs)["reject_run"].invoke({"run_id": "run1"})  # type: ignore[attr-defined]
    (_, decision, interrupt_id), = runs.resumed
    assert interrupt_id == "i-1" and decision.verdict == "reject" and decision.choice is None


def test_a_decision_answers_the_request_the_confirmation_described_even_if_it_changed_since(deps: Deps) -> None:
    from agent.cli.chat import _decides

    runs = FakeRuns(deps)
    session = ChatSession(approver="alice")
    built = {t.name: t for t in build_chat_tools(deps, runs, session)}
    described = _decides(runs, session, "reject_run", {"run_id": "run1"})  # type: ignore[arg-type]
    assert described == "run run1: none of its 2 candidates will run"
    runs.runs["run1"] = runs.runs["run1"].model_copy(update={"interrupt_id": "i-2"})  # asked again meanwhile

    built["reject_run"].invoke({"run_id": "run1"})  # type: ignore[attr-defined]

    (_, _, interrupt_id), = runs.resumed
    assert interrupt_id == "i-1"  # the runner refuses an answer to a request that is no longer pending


def test_choice_zero_and_unknown_runs_are_refused_before_any_resume(deps: Deps) -> None:
    runs = FakeRuns(deps)
    tools = tools_of(deps, runs)
    # The bound is in the schema the model reads (ge=1), so the call is refused before the body.
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        tools["approve_experiment"].invoke({"run_id": "run1", "choice": 0})  # type: ignore[attr-defined]
    with pytest.raises(ApprovalError, match="no run 'nope'"):
        tools["approve_experiment"].invoke({"run_id": "nope", "choice": 1})  # type: ignore[attr-defined]
    with pytest.raises(ApprovalError, match="nothing to abort"):
        tools["abort_run"].invoke({"run_id": "run1"})  # type: ignore[attr-defined]
    assert runs.resumed == []


def stored_run(deps: Deps, run_id: str) -> list[Candidate]:
    candidates = PlannerDesigner(actions=POLICY.actions).propose(shop(), 3).candidates
    deps.store.save_inventory(run_id, shop())
    deps.store.save_candidates(run_id, candidates)
    return candidates


def test_explain_a_run_candidate_with_reasons_hypothesis_and_verdict(deps: Deps) -> None:
    candidates = stored_run(deps, "run1")
    explained = tools_of(deps)["explain_candidate"].invoke({"rank": 2, "run_id": "run1"})  # type: ignore[attr-defined]
    spec = candidates[1].spec
    assert (explained.title, explained.rank, explained.source) == (spec.title, 2, "run run1")
    assert explained.rationale == spec.rationale and explained.hypothesis == spec.hypothesis
    assert explained.policy_verdict == "allowed"
    assert explained.abort_when and all(" > " in c for c in explained.abort_when)

    strict = Settings(policy=Policy(namespaces=["elsewhere"]))
    other = replace(deps, settings=strict)
    refused = tools_of(other)["explain_candidate"].invoke({"rank": 2, "run_id": "run1"})  # type: ignore[attr-defined]
    assert refused.policy_verdict.startswith("refused by policy.namespaces: namespace 'shop' is not allowed")


def test_report_reads_the_latest_or_a_runs_report_and_says_when_there_is_none(deps: Deps) -> None:
    runs = FakeRuns(deps)
    tools = tools_of(deps, runs)
    with pytest.raises(ChaosAdvisorError, match="has no report yet"):
        tools["show_report"].invoke({"run_id": "run1"})  # type: ignore[attr-defined]
    with pytest.raises(ChaosAdvisorError, match="no report yet"):
        tools["show_report"].invoke({})  # type: ignore[attr-defined]
    reports = deps.settings.path(deps.settings.paths.reports)
    reports.mkdir(parents=True)
    (reports / "latest.md").write_text("# TL;DR\n" + "a line\n" * 2000, encoding="utf-8")
    latest = tools["show_report"].invoke({"run_id": None})  # type: ignore[attr-defined]
    assert latest.markdown.startswith("# TL;DR") and latest.truncated and len(latest.markdown) < 8000 + 200
    assert latest.markdown.endswith(f"a line\n\n*(cut here: the whole report is {reports / 'latest.md'})*")


def test_results_reach_the_model_as_bounded_json() -> None:
    run = RunSummary(run_id="r", waiting_for_approval=True, candidates=["a"], interrupt_id="secret")
    assert json.loads(result_text(run)) == {"run_id": "r", "waiting_for_approval": True, "candidates": ["a"]}
    assert result_text("plain") == "plain"
    long = result_text(["x" * 100] * 500)
    assert len(long) < MAX_RESULT_CHARS + 60 and long.endswith("characters in all)")
