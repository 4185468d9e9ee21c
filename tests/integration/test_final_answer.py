"""An answer given up front (``run-graph --approve N`` in a script) cannot be asked again: a
proposal that does not exist ends the run as refused, audited. Anywhere else (``resume``, Slack,
chat) the same answer changes nothing, and an approver the policy does not list never ends a run."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.errors import ApprovalError
from agent.models import Decision
from agent.ports import Deps
from graphs import runner
from graphs.builder import build


def answer(deps: Deps, choice: int, *, approver: str = "alice", channel: str = "cli") -> Decision:
    return Decision(verdict="approve", choice=choice, approver=approver, channel=channel,  # type: ignore[arg-type]
                    at=deps.wall_now())


def test_a_missing_proposal_given_up_front_ends_the_run_as_refused(deps: Deps) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="fin00001", count=2, cluster={"twin": True})
    done = runner.resume(graph, deps, "fin00001", answer(deps, 9), final=True)
    assert done.waiting is None and done.next == ()
    assert done.state["outcome"] == "refused"
    assert done.state["reason"] == "approval refused: no proposal 9; there are 2"
    assert "decision" not in done.state  # it names no candidate
    [entry] = [e for e in deps.audit.entries("fin00001") if e.action.startswith("decision")]
    assert (entry.action, entry.who, entry.result) == ("decision_refused", "alice", "refused: no proposal 9; there are 2")
    assert deps.cluster.list_engines("sock-shop") == []
    assert done.state["report_path"]


@pytest.mark.parametrize(("final", "approver", "channel", "why"), [
    (False, "alice", "cli", "no proposal 9; there are 2: choose 1..2"),  # resume, Slack, chat: ask again
    (True, "mallory", "slack", "slack:mallory may not approve runs"),  # not an approver: changes nothing
])
def test_otherwise_the_same_answer_changes_nothing(deps: Deps, final: bool, approver: str, channel: str,
                                                   why: str) -> None:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id="fin00002", count=2, cluster={"twin": True})
    with pytest.raises(ApprovalError, match=why):
        runner.resume(graph, deps, "fin00002", answer(deps, 9, approver=approver, channel=channel), final=final)
    still = runner.view(graph, "fin00002")
    assert still.waiting is not None and "outcome" not in still.state
    assert [e.action for e in deps.audit.entries("fin00002") if e.action.startswith("decision")] == ["decision_refused"]
    done = runner.resume(graph, deps, "fin00002", answer(deps, 1))  # the claim was not taken: it can be answered
    assert done.waiting is None and done.state.get("decision")
