"""Metrics and Clock ports over the Sock Shop twin's own endpoints (``/twin/v1/...``).

The twin's clock is virtual: :meth:`TwinClock.sleep` advances it, waiting only
``seconds / speed`` of real time, so a 60 s experiment takes about a second at speed 60.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime

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
    """Implements :class:`agent.ports.Clock` on the twin's virtual clock."""

    def __init__(self, url: str, *, speed: float | None) -> None:
        self._url = url.rstrip("/")
        self._speed = speed  # None: advance instantly (tests)

    def now(self) -> datetime:
        return self._at(_safe(lambda: _request(f"{self._url}/twin/v1/clock"), self._url))

    def sleep(self, seconds: float) -> None:
        if self._speed:
            time.sleep(seconds / self._speed)
        _safe(
            lambda: _request(f"{self._url}/twin/v1/clock/advance", {"seconds": seconds}), self._url
        )

    @staticmethod
    def _at(data: dict[str, object]) -> datetime:
        now = data.get("now")
        if not isinstance(now, (int, float)):
            raise ClusterUnreachable(f"twin clock answered {data!r}")
        return datetime.fromtimestamp(now, UTC)


def _safe(call: Callable[[], dict[str, object]], url: str) -> dict[str, object]:
    try:
        return call()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ClusterUnreachable(f"twin clock at {url}: {e}") from e
