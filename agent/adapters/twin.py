"""Metrics and Clock ports over the Sock Shop twin's own endpoints (``/twin/v1/...``).

:class:`TwinMetrics` reads the twin's model (``/twin/v1/signals``), but returns only what a real
install can measure (``agent.models.measure``): error rate and p95 for the services that export
request metrics, as their histograms would show them (nothing while no pod of the service is
Ready; the Java services' success-only recording); CPU and memory (cAdvisor) for every service;
never replica readiness, which comes from the Kubernetes API as on a cluster
(``agent.run.watch.with_readiness``).

The twin's clock is virtual: :meth:`TwinClock.sleep` advances it, waiting only
``seconds / speed`` of real time, so a 60 s experiment takes about a second at speed 60.
When the twin stops answering, the run's clock goes on without it (see :class:`TwinClock`).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from agent.config import Settings
from agent.errors import ClusterUnreachable, MetricsUnavailable
from agent.models import Signals
from agent.models.measure import RequestMetrics, request_metrics

TIMEOUT_S = 10


def _request(url: str, body: dict[str, float] | None = None) -> dict[str, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:  # noqa: S310 - loopback twin
        parsed = json.loads(resp.read())
    if not isinstance(parsed, dict):
        raise ValueError(f"{url} answered {type(parsed).__name__}, not an object")
    return parsed


def stack_exports(settings: Settings) -> dict[str, RequestMetrics]:
    """What each service of stack.yaml exports (``k8s.target_services`` and ``k8s.dependencies``):
    the twin serves the stack those describe."""
    k8s = settings.k8s
    called = {d.target for d in k8s.dependencies if d.sync}
    return {t.name: request_metrics(runtime=t.type, store=t.store, served=t.tier == "edge" or t.name in called)
            for t in k8s.target_services}


class TwinMetrics:
    """Implements :class:`agent.ports.Metrics` from ``GET /twin/v1/signals``, measured as a real
    install would (``exports``: each service's request metrics; a service not listed has none)."""

    def __init__(self, url: str, *, exports: Mapping[str, RequestMetrics]) -> None:
        self._url = url.rstrip("/")
        self._exports = dict(exports)

    def describe(self, namespace: str, service: str, signal: str) -> str:
        field = f"twin model GET /twin/v1/signals?namespace={namespace} -> services.{service}.{signal}"
        if signal in ("cpu_millicores", "memory_mib"):
            return f"{field} (cAdvisor on a cluster)"
        if signal in ("ready_replicas", "replicas"):
            return f"the Kubernetes API: {service}'s workload status (not the metrics)"
        kind = self._exports.get(service, "none")
        if kind == "none":
            return (f"not exported by Sock Shop: {service} has no request metrics (a store, a queue or a service "
                    f"no request reaches); judge it by its readiness and its callers")
        recorded = ("successes only (0% while any request succeeds, none when none does)" if kind == "successes"
                    else "every answered request")
        return f"{field}, as its request_duration_seconds would show it: {recorded}; none while no pod is Ready"

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        try:
            data = _request(f"{self._url}/twin/v1/signals?namespace={namespace}")
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise MetricsUnavailable(f"twin signals at {self._url}: {e}") from e
        found = data.get("services")
        if not isinstance(found, dict):
            raise MetricsUnavailable(f"twin signals at {self._url}: no 'services' in the answer")
        out = {name: _measured(found[name], self._exports.get(name, "none")) for name in services if name in found}
        if not out:
            raise MetricsUnavailable(f"twin has no signals for {', '.join(services)} in {namespace}")
        return out


def _number(raw: dict[object, object], key: str) -> float | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise MetricsUnavailable(f"twin signal {key} is not a number: {value!r}")
    return None if value is None else float(value)


def _measured(raw: object, kind: RequestMetrics) -> Signals:
    """One service's model values as its metrics would show them (see the module docstring)."""
    if not isinstance(raw, dict):
        raise MetricsUnavailable(f"twin signal is not an object: {raw!r}")
    error, p95 = _number(raw, "error_rate_pct"), _number(raw, "latency_p95_ms")
    serving = _number(raw, "ready_replicas") != 0  # no Ready pod: no request reaches it, nothing records
    if kind == "none" or not serving:
        error = p95 = None
    elif kind == "successes" and error is not None:  # failures never recorded: 0 % while any succeeds
        error, p95 = (None, None) if error >= 100 else (0.0, p95)  # none succeeds: 0/0
    return Signals(error_rate_pct=error, latency_p95_ms=p95, cpu_millicores=_number(raw, "cpu_millicores"),
                   memory_mib=_number(raw, "memory_mib"))


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
