"""What the Slack endpoint needs from outside, as ports: the paused runs (``Runs``), the Web API
it answers through (``Replies``) and the signature check (``Verifier``). The CLI builds them
(``agent.cli.slack``, ``agent.wiring``); tests pass in-memory ones.
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


class Verifier(Protocol):
    def problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str | None:
        """Why the request is not a fresh one from Slack, or None."""
        ...
