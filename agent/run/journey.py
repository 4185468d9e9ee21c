"""The user-journey probe: during a run the agent requests the edge's pages itself.

``journey.rate_hz`` times a second of the run's clock (a *round*), it requests every path of
``journey.paths`` under ``journey.url`` and records each answer's status and round trip, stamped
with the run's clock when it was sent. The report turns the log into the failover time (first
failure to the first success after it) and the share of failed requests (``agent.report.journey``).

**Clock.** Rounds are scheduled on the run's clock by :class:`ProbingClock`, the clock the run
uses while a probe runs: it lets time pass in slices no longer than the time to the next round
and fires the round due after each slice. On a cluster that is the wall clock, and a round is
only handed to the worker (the monitor never waits for an answer, so a hung edge cannot slow its
abort). On the twin the run's clock is virtual and moves only when the run sleeps, so each round
is answered before the clock moves on (``wait_answers``): the twin answers every request at the
virtual instant it is stamped with, and a 2 Hz probe sees the twin at 2 Hz of virtual time,
however fast the demo runs. Round trips are always wall-clock milliseconds (on the twin, the
loopback's; its modelled latency is in the signals).

**Bounds.** One run at a time; a pool of ``max_in_flight`` worker threads, each request with
``timeout_s``; a round finding ``max_in_flight`` requests unanswered skips (and counts) what it
cannot send, so nothing queues up; after ``max_requests`` nothing more is sent. Nothing is sent
outside :meth:`JourneyProbe.start` / :meth:`JourneyProbe.stop`, nor between the run's sleeps: the
probe has no thread of its own, so it cannot outlive the run, and when Ctrl-C or an abort ends
the run it ends with it. :meth:`stop` cancels what has not started and waits at most
``timeout_s`` for what has.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from agent.config.journey import Journey
from agent.errors import ChaosAdvisorError
from agent.models.journey import JourneyHit, JourneyLog
from agent.ports import Clock, Deps

# GET one URL within a timeout: (HTTP status or None, error text or None). Never raises.
Fetch = Callable[[str, float], tuple[int | None, str | None]]


class JourneyProbe:
    """Implements :class:`agent.ports.Journey`: the probe of one process, one run at a time.

    Args:
        settings: ``journey`` (paths, rate, timeouts, bounds).
        url: The edge's base URL the paths are appended to.
        fetch: The HTTP GET (``agent.adapters.journey_http``; tests pass a loopback one).
        wait_answers: Answer each round before the clock moves on (a virtual clock: the twin).
    """

    def __init__(self, settings: Journey, url: str, fetch: Fetch, *, wait_answers: bool) -> None:
        self.url, self._settings, self._fetch, self._wait = url.rstrip("/"), settings, fetch, wait_answers
        self.interval_s = 1.0 / settings.rate_hz
        self._lock = threading.Lock()
        self._run: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._hits: list[JourneyHit] = []
        self._pending: set[Future[None]] = set()
        self._next: datetime | None = None  # the next round is due at this time of the run's clock
        self._sent = self._skipped = 0
        self.peak_in_flight = 0  # the most requests unanswered at once (tests check the bound)

    @property
    def active(self) -> bool:
        return self._run is not None

    def start(self, run_id: str) -> None:
        """Probe from the next slice of the run's clock on (again for the same run: nothing changes)."""
        if self._run == run_id:
            return
        if self._run is not None:
            self.stop(self._run)
        s = self._settings
        self._pool = ThreadPoolExecutor(s.max_in_flight, thread_name_prefix="journey")
        self._run, self._hits, self._pending, self._next = run_id, [], set(), None
        self._sent = self._skipped = self.peak_in_flight = 0

    def stop(self, run_id: str) -> JourneyLog | None:
        """Stop sending and return the log (None: this process did not probe ``run_id``)."""
        if self._run != run_id or self._pool is None:
            return None
        pool, self._run, self._pool = self._pool, None, None
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=self._settings.timeout_s + 1.0)  # answered or timed out by now
        pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            hits = sorted(self._hits, key=lambda h: (h.at, self._settings.paths.index(h.path)))
        s = self._settings
        return JourneyLog(url=self.url, paths=list(s.paths), interval_s=self.interval_s, hits=hits,
                          skipped=self._skipped, capped=self._sent >= s.max_requests)

    def wait_s(self, now: datetime) -> float:
        """Seconds of the run's clock until the next round (0: due now)."""
        return 0.0 if self._next is None else max(0.0, (self._next - now).total_seconds())

    def due(self, now: datetime) -> None:
        """Send the round due at ``now`` of the run's clock, if one is."""
        pool = self._pool
        if pool is None or (self._next is not None and now < self._next):
            return
        self._next = now + timedelta(seconds=self.interval_s)
        sent = []
        for path in self._settings.paths:
            with self._lock:
                if len(self._pending) >= self._settings.max_in_flight:
                    self._skipped += 1
                    continue
                if self._sent >= self._settings.max_requests:
                    return
                self._sent += 1
                future = pool.submit(self._one, now, path)
                self._pending.add(future)
                self.peak_in_flight = max(self.peak_in_flight, len(self._pending))
            future.add_done_callback(self._done)
            sent.append(future)
        if self._wait:
            wait(sent, timeout=self._settings.timeout_s + 1.0)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _one(self, at: datetime, path: str) -> None:
        began = time.perf_counter()
        status, error = self._fetch(self.url + path, self._settings.timeout_s)
        latency = round((time.perf_counter() - began) * 1000, 1)
        with self._lock:
            self._hits.append(JourneyHit(at=at, path=path, status=status, latency_ms=latency, error=error))


class ProbingClock:
    """Implements :class:`agent.ports.Clock` over the run's clock, firing the probe's rounds while
    time passes (see the module docstring); with no probe running it is the clock it wraps."""

    def __init__(self, inner: Clock, probe: JourneyProbe) -> None:
        self.inner, self.probe = inner, probe

    def now(self) -> datetime:
        return self.inner.now()

    def sleep(self, seconds: float) -> None:
        if not self.probe.active:
            self.inner.sleep(seconds)
            return
        left = seconds
        while True:
            if not self.probe.active:  # stopped meanwhile
                self.inner.sleep(max(0.0, left))
                return
            step = min(left, self.probe.wait_s(self.inner.now()))
            if step > 0:
                self.inner.sleep(step)
                left -= step
            self.probe.due(self.inner.now())
            if left <= 1e-9:
                return


def journey_log(deps: Deps, run_id: str) -> JourneyLog | None:
    """Stop the probe of ``run_id`` and store its log; on a replay (or in another process) the
    stored one. None: no probe ran for this run."""
    log = deps.journey.stop(run_id) if deps.journey is not None else None
    if log is not None:
        deps.store.save(run_id, "journey", log)
        return log
    try:
        return deps.store.load(run_id, "journey", JourneyLog)
    except ChaosAdvisorError:
        return None
