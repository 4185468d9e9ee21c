"""The user journey as the agent measured it (pure): failover in milliseconds and failed requests.

From the injection on (the probe's earlier rounds are the baseline), per path: the requests, the
failed ones (no answer or 5xx, :attr:`~agent.models.journey.JourneyHit.failed`), and the
*failover*: from the first failed request to the first successful one after it, in milliseconds
of the run's clock. Each end of that interval is known to one probe interval (the true change lies
between two rounds), so the figure is ± one interval. The headline is the path with the longest
failover, in the seed's TL;DR form ("carts-db failover took 8500 ms ± 500 ms, caused 21.4% failed
requests on /cart").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.models.journey import JourneyHit, JourneyLog


@dataclass(frozen=True)
class PathJourney:
    """One path from the injection on."""

    path: str
    requests: int
    failed: int
    first_failure: datetime | None
    recovered_at: datetime | None  # the first success after the first failure; None: none came

    @property
    def failed_pct(self) -> float:
        return round(100.0 * self.failed / self.requests, 1) if self.requests else 0.0

    @property
    def failover_ms(self) -> float | None:
        if self.first_failure is None or self.recovered_at is None:
            return None
        return round((self.recovered_at - self.first_failure).total_seconds() * 1000)


@dataclass(frozen=True)
class JourneySummary:
    """Every path, and the one users felt longest."""

    paths: list[PathJourney]
    interval_ms: float  # the probe's interval: every instant (and the failover) is known to ± this
    requests: int  # all requests from the injection on
    failed: int
    skipped: int
    capped: bool
    refused: dict[str, int]  # path -> a 4xx it answered (any time): not a page of the edge? (journey.paths)

    @property
    def failed_pct(self) -> float:
        return round(100.0 * self.failed / self.requests, 1) if self.requests else 0.0

    @property
    def worst(self) -> PathJourney | None:
        """The path failing longest (not recovered beats any failover), None when none failed."""
        failing = [p for p in self.paths if p.first_failure is not None]
        return max(failing, key=lambda p: (p.recovered_at is None, p.failover_ms or 0.0), default=None)


def summarise(log: JourneyLog, since: datetime) -> JourneySummary:
    """The journey from ``since`` (the injection) on."""
    after = [h for h in log.hits if h.at >= since]
    paths = [_path(p, [h for h in after if h.path == p]) for p in log.paths]
    return JourneySummary(paths=paths, interval_ms=round(log.interval_s * 1000), requests=len(after),
                          failed=sum(h.failed for h in after), skipped=log.skipped, capped=log.capped,
                          refused={h.path: h.status for h in log.hits if h.status is not None and 400 <= h.status < 500})


def _path(path: str, hits: list[JourneyHit]) -> PathJourney:
    fail = next((h for h in hits if h.failed), None)
    back = next((h for h in hits if fail is not None and h.at > fail.at and not h.failed), None)
    return PathJourney(path, len(hits), sum(h.failed for h in hits), fail.at if fail else None,
                       back.at if back else None)


def tldr_part(s: JourneySummary, target: str) -> str:
    """The TL;DR's journey clause: ``; carts-db failover took 8500 ms ± 500 ms, caused ...``."""
    w = s.worst
    if not s.requests:
        return ""
    if w is None:
        return f"; users' pages never failed ({s.requests} requests)"
    share = f"caused {w.failed_pct}% failed requests on {w.path}"
    if w.failover_ms is None:
        return f"; {target} failover not seen to end ({w.path} still failing at the last request), {share}"
    return f"; {target} failover took {w.failover_ms:.0f} ms ± {s.interval_ms:.0f} ms, {share}"


def line(s: JourneySummary, log: JourneyLog, rel: str | None) -> str:
    """The report's "User journey" key finding."""
    head = (f"User journey (the agent requested {', '.join(log.paths)} at {log.url}, every "
            f"{s.interval_ms:.0f} ms of the run's clock): {s.requests} requests from the injection on, "
            f"{s.failed} failed ({s.failed_pct}%: no answer or 5xx)")
    w = s.worst
    if w is None:
        body = "; no page failed"
    elif w.failover_ms is None:
        body = f"; {w.path} failed from {rel or 'the injection'} and was still failing at the last request"
    else:
        body = (f"; failover {w.failover_ms:.0f} ms ± {s.interval_ms:.0f} ms on {w.path} (first failed "
                f"request at {rel or 'the injection'} to the first success after it), {w.failed_pct}% of its requests failed")
    others = [f"{p.path} {p.failed_pct}%" for p in s.paths if p is not w and p.failed]
    tail = f"; also failing: {', '.join(others)}" if others else ""
    if s.refused:
        tail += "; answered 4xx (not counted as failed; not pages of the edge? check journey.paths): " + ", ".join(
            f"{p} {code}" for p, code in sorted(s.refused.items()))
    bounds = (f"; {s.skipped} requests not sent (all workers waiting for answers)" if s.skipped else "") + (
        "; journey.max_requests reached: the probe stopped early" if s.capped else "")
    return head + body + tail + bounds
