"""The gate before the apply and the approval's expiry, on the twin through the real client."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from agent.config import Policy, Settings
from agent.models import Decision
from agent.ports import AuditLog, Deps
from agent.wiring import open_checkpointer
from graphs import runner
from graphs.builder import build


class FrozenAfterDryRun:
    """A PolicySource frozen as soon as the run's server-side dry-run is on record: someone
    pressed the kill switch between the approval (and the dry-run) and the apply."""

    def __init__(self, policy: Policy, audit: AuditLog, run_id: str) -> None:
        self.policy, self.audit, self.run_id, self.frozen_reads = policy, audit, run_id, 0

    def current(self) -> Policy:
        frozen = any(e.action == "engine_dry_run" for e in self.audit.entries(self.run_id))
        self.frozen_reads += frozen
        return self.policy.model_copy(update={"frozen": frozen})


def engines(deps: Deps) -> list[str]:
    return [e.name for e in deps.cluster.list_engines("sock-shop")]


def approve(deps: Deps, choice: int = 1) -> Decision:
    return Decision(verdict="approve", choice=choice, approver="alice", channel="cli", at=deps.wall_now())


def test_the_policy_is_read_again_immediately_before_the_apply(settings: Settings, deps: Deps) -> None:
    source = FrozenAfterDryRun(settings.policy, deps.audit, "gate0001")
    deps = replace(deps, policy_source=source)
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        runner.start(graph, deps, run_id="gate0001", count=2, cluster={"twin": True})
        done = runner.resume(graph, deps, "gate0001", approve(deps))
    assert source.frozen_reads == 1  # the approval passed; only the last gate saw the switch
    assert done.state["outcome"] == "refused" and "policy.frozen" in str(done.state["reason"])
    assert engines(deps) == []
    refused = [e for e in deps.audit.entries("gate0001") if e.action == "apply_refused"]
    assert len(refused) == 1 and "policy.frozen" in refused[0].result
    assert [e["kind"] for e in done.state["events"]].count("dry_run") == 1  # the dry-run ran, the apply did not


def test_an_approval_older_than_its_ttl_is_refused_as_stale(settings: Settings, deps: Deps) -> None:
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        paused = runner.start(graph, deps, run_id="ttl00001", count=2, cluster={"twin": True})
        asked = paused.state["asked_at"]
        assert asked is not None
        later = replace(deps, wall_now=lambda: deps.wall_now() + timedelta(seconds=settings.policy.approval_ttl_s + 60))
        done = runner.resume(graph, later, "ttl00001", approve(later))
    assert done.state["outcome"] == "refused"
    assert "policy.approval_ttl_s" in str(done.state["reason"]) and "stale" in str(done.state["reason"])
    assert engines(deps) == []
    audited = [e for e in deps.audit.entries("ttl00001") if e.action == "decision_refused"]
    assert len(audited) == 1 and "stale" in audited[0].result


def test_an_approval_within_its_ttl_runs(settings: Settings, deps: Deps) -> None:
    with open_checkpointer(settings) as saver:
        graph = build(saver)
        runner.start(graph, deps, run_id="ttl00002", count=2, cluster={"twin": True})
        soon = replace(deps, wall_now=lambda: deps.wall_now() + timedelta(seconds=settings.policy.approval_ttl_s - 60))
        done = runner.resume(graph, soon, "ttl00002", approve(soon))
    assert done.state["outcome"] in ("completed", "aborted")
    assert engines(deps) == ["ca-ttl00002"]


def test_an_answer_the_graph_cannot_take_ends_the_run_refused_and_is_not_replayed(settings: Settings, deps: Deps) -> None:
    # A direct Command(resume=...) (Studio) skips the runner's checks: the approve step itself
    # refuses, and the run ends instead of raising after interrupt() (which would wedge it).
    from langgraph.types import Command

    outsider = Decision(verdict="approve", choice=1, approver="mallory", channel="slack", at=deps.wall_now())
    garbage = {"verdict": "approve", "choice": "one"}
    cases = (("bad00001", outsider.model_dump(mode="json"), "slack:mallory may not approve runs"),
             ("bad00002", garbage, "not a decision: choice"))
    for run_id, answer, why in cases:
        with open_checkpointer(settings) as saver:
            graph = build(saver)
            runner.start(graph, deps, run_id=run_id, count=2, cluster={"twin": True})
            graph.invoke(Command(resume=answer), runner.config(run_id, deps), context=deps, durability="sync")  # type: ignore[call-overload]
            done = runner.view(graph, run_id)
        assert done.waiting is None and done.next == ()
        assert done.state["outcome"] == "refused" and "the answer was refused" in str(done.state["reason"])
        assert why in str(done.state["reason"])
    assert engines(deps) == []
