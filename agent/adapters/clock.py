"""The wall clock, for real clusters."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SystemClock:
    """Implements :class:`agent.ports.Clock` with real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
