"""What the Slack side needs from outside, as ports: the paused runs (``Runs``), the Web API it
answers through (``Replies``), what ``/craterctl`` does (``Operations``) and the listener that
receives Slack's requests (``Listener``: HTTP or Socket Mode, built on slack-bolt in
``agent.adapters``). The CLI builds them (``agent.cli.slack``, ``agent.wiring``); tests pass
in-memory ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class Answer:
    """What a click decides; the run's own clock stamps the Decision."""

    verdict: Literal["approve", "reject"]
    choice: int | None  # 1-based rank when approving
    approver: str  # the Slack user id
    note: str = ""


@dataclass(frozen=True)
class Waiting:
    """Whether a run waits for an approval, and on which interrupt."""

    interrupt_id: str | None  # None: not waiting
    candidates: list[str]
    status: str  # the outcome, or "running" (e.g. "completed", "rejected")


@dataclass(frozen=True)
class Result:
    """Where a resumed run ended."""

    outcome: str
    reason: str | None = None
    report: str | None = None


class Runs(Protocol):
    """Paused runs, answered exactly once."""

    def waiting(self, run_id: str) -> Waiting:
        """Whether ``run_id`` waits; raises ApprovalError for an unknown run."""
        ...

    def resume(self, run_id: str, answer: Answer, *, interrupt_id: str) -> Result:
        """Answer ``interrupt_id`` and run on; ApprovalError (nothing changed) when it is not
        pending any more or another answer claimed it first."""
        ...


class Replies(Protocol):
    """What the endpoint says back in Slack."""

    def update(self, channel: str, ts: str, text: str, *, detail: str | None = None) -> None:
        """Replace the approval message (its buttons go away)."""
        ...

    def ephemeral(self, channel: str, user: str, text: str) -> None:
        """A reply only ``user`` sees."""
        ...


class Operations(Protocol):
    """What ``/craterctl`` does, each answered as text for Slack (mrkdwn, run data escaped)."""

    def suggest(self, count: int, *, requester: str) -> str:
        """Discover, design and post the approval message (the run pauses at approve); raises a
        ChaosAdvisorError saying why when it cannot."""
        ...

    def status(self, run_id: str) -> str:
        """Where ``run_id`` stands; ApprovalError for an unknown run."""
        ...

    def runs(self, limit: int) -> str:
        """The latest runs, newest first."""
        ...

    def requester(self, run_id: str) -> str | None:
        """The Slack user who asked for ``run_id`` (``/craterctl suggest``); None if nobody did."""
        ...

    def abort(self, run_id: str, *, who: str) -> str:
        """Stop the run's chaos (audited with ``who``, channel slack); what it did."""
        ...


class Listener(Protocol):
    """Receives Slack's requests until closed: HTTP (``/slack/events``) or Socket Mode."""

    @property
    def url(self) -> str:
        """Where Slack reaches it (the Request URL), or where it connected to (Socket Mode)."""
        ...

    def __enter__(self) -> Listener: ...

    def __exit__(self, *exc: object) -> None: ...

    def drain(self, timeout: float) -> bool:
        """Wait until no answer is in progress; False when ``timeout`` passed first."""
        ...
