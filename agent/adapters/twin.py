"""Metrics and Clock ports over the Sock Shop twin's own endpoints (``/twin/v1/...``).

The twin's clock is virtual: :meth:`TwinClock.sleep` advances it, waiting only
``seconds / speed`` of real time, so a 60 s experiment takes about a second at speed 60.
When the twin stops answering, the run's clock goes on without it (see :class:`TwinClock`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

from agent.errors import ClusterUnreachable, MetricsUnavailable
from agent.models import Signals

TIMEOUT_S = 10


def _request(url: str, body: dict[str, float] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - loopback twin
        parsed = json.loads(resp.read())
    if not isinstance(parsed, dict):
        raise ValueError(f"{url} answered {type(parsed).__name__}, not an object")
    return parsed


class TwinMetrics:
    """Implements :class:`agent.ports.Metrics` from ``GET /twin/v1/signals``."""

    def __init__(self, url: str) -> None:
        self._url = url.rstrip("/")

    def describe(self, namespace: str, service: str, signal: str) -> str:
        return f"twin GET /twin/v1/signals?namespace={namespace} -> services.{service}.{signal}"

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        try:
            data = _request(f"{self._url}/twin/v1/signals?namespace={namespace}")
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise MetricsUnavailable(f"twin signals at {self._url}: {e}") from e
        found = data.get("services")
        if not isinstance(found, dict):
            raise MetricsUnavailable(f"twin signals at {self._url}: no 'services' in the answer")
        out = {name: _signals(found[name]) for name in services if name in found}
        if not out:
            raise MetricsUnavailable(f"twin has no signals for {', '.join(services)} in {namespace}")
        return out


def _signals(raw: object) -> Signals:
    if not isinstance(raw, dict):
        raise MetricsUnavailable(f"twin signal is not an object: {raw!r}")
    return Signals(
        error_rate_pct=raw.get("error_rate_pct"),
        latency_p95_ms=raw.get("latency_p95_ms"),
        cpu_millicores=raw.get("cpu_millicores"),
        memory_mib=raw.get("memory_mib"),
        ready_replicas=raw.get("ready_replicas"),
        replicas=raw.get("replicas"),
    )


class TwinClock:
    """Implements :class:`agent.ports.Clock` on the twin's virtual clock.

    The clock is served by the twin itself, so when the twin stops answering (its server
    stopped or killed: the cluster is unreachable) the run's time must go on without it, or the
    monitor could never count out ``monitor.cluster_grace_s`` nor retry the stop until the
    planned end of chaos. It goes on from the last virtual time the twin gave, advanced by the
    seconds slept since. Why the slept seconds: sleeping is what moves this clock while the twin
    answers too (the agent's ``POST /clock/advance``; ``realtime`` only paces the real wait, and
    time spent on slow or retried requests moves nothing), so the run's time keeps the same
    meaning through the outage. Wall (monotonic) elapsed × speed was rejected: without pacing
    (tests, ``realtime=False``) almost no wall time passes, so that clock would stand still and
    no grace period would ever end; with pacing it would count request retries the twin never
    counts. When the twin answers again behind that estimate (its clock stopped while it was
    away), it is advanced to it, so the run's time never goes backwards. While the twin is away
    only :meth:`sleep` asks it again (once a monitor tick), so a twin that hangs rather than
    refuses costs one request timeout a tick, not one for every reading of the time. Only a
    clock that never reached its twin raises ClusterUnreachable.
    """

    def __init__(self, url: str, *, speed: float | None) -> None:
        self._url = url.rstrip("/")
        self._speed = speed  # None: advance instantly (tests)
        self._last: datetime | None = None  # the last virtual time read, or estimated while away
        self._away = False  # the twin did not answer the last call: _last is an estimate

    def now(self) -> datetime:
        if self._away and self._last is not None:
            return self._last  # only sleep asks again: a hanging twin costs one timeout a tick
        return self._track(self._call("/twin/v1/clock"), slept=0.0)

    def sleep(self, seconds: float) -> None:
        if self._speed:
            time.sleep(seconds / self._speed)
        self._track(self._call("/twin/v1/clock/advance", {"seconds": seconds}), slept=seconds)

    def _call(self, path: str, body: dict[str, float] | None = None) -> datetime | ClusterUnreachable:
        try:
            data = _request(f"{self._url}{path}", body)
        except (urllib.error.URLError, OSError, ValueError) as e:
            failed = ClusterUnreachable(f"twin clock at {self._url}: {e}")
            failed.__cause__ = e
            return failed
        now = data.get("now")
        if not isinstance(now, (int, float)):
            return ClusterUnreachable(f"twin clock at {self._url} answered {data!r}")
        return datetime.fromtimestamp(now, UTC)

    def _track(self, answer: datetime | ClusterUnreachable, *, slept: float) -> datetime:
        """The run's time after a call to the twin that let ``slept`` seconds pass."""
        if isinstance(answer, ClusterUnreachable):
            if self._last is None:
                raise answer
            self._last += timedelta(seconds=slept)
            self._away = True
            return self._last
        due = None if not self._away or self._last is None else self._last + timedelta(seconds=slept)
        if due is not None and answer < due:  # back, its clock stopped while it was away
            caught_up = self._call("/twin/v1/clock/advance", {"seconds": (due - answer).total_seconds()})
            if not isinstance(caught_up, datetime):
                self._last = due
                return due  # gone again: stay on the estimate
            answer = max(caught_up, due)
        self._last, self._away = answer, False
        return answer
