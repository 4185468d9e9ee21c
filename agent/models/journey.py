"""The user-journey probe's record: every request the agent made to the edge's pages."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from agent.models.base import Frozen


class JourneyHit(Frozen):
    """One request of the probe."""

    at: datetime = Field(description="when it was sent, on the run's clock (the twin's virtual clock on the twin)")
    path: str
    status: int | None = Field(description="HTTP status; None: no answer (refused, timed out)")
    latency_ms: float = Field(description="round trip measured by the agent (wall clock)")
    error: str | None = None

    @property
    def failed(self) -> bool:
        """No answer, or a server error (5xx): what a user sees as the page failing."""
        return self.status is None or self.status >= 500


class JourneyLog(Frozen):
    """What the probe saw during one run."""

    url: str = Field(description="the edge's base URL the paths were appended to")
    paths: list[str]
    interval_s: float = Field(description="seconds of the run's clock between rounds (1 / rate_hz)")
    hits: list[JourneyHit]
    skipped: int = Field(0, description="requests not sent: max_in_flight were still waiting for answers")
    capped: bool = Field(False, description="max_requests was reached: the probe stopped sending")
