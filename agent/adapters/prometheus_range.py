"""The run read again from Prometheus after it ended: a range query per signal and service at the
scrape resolution, so the report times recovery from every sample Prometheus kept, never finer.

The step is the scrape interval Prometheus runs with (``/api/v1/status/config``: the longest
``scrape_interval`` of its jobs, else the global one, else Prometheus's default of 1m): a finer step
would only repeat samples and claim a resolution the data lacks. Values are read as the instant
reads are (same templates, same ``window``; NaN or no series is None). Times are the run's clock,
which is the wall clock on a cluster, as Prometheus's are; with a ``timeline`` (the twin's virtual
clock) they are moved onto Prometheus's axis and back, and the step is the timeline's.

Errors are :class:`~agent.errors.MetricsUnavailable` (the report then keeps the monitor's samples).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import requests
import yaml
from prometheus_api_client import PrometheusApiClientException

from agent.adapters.prometheus import DIGITS, FIELD, PrometheusMetrics
from agent.errors import MetricsUnavailable
from agent.models import Sample, Signals
from agent.models.history import MetricsRange

DEFAULT_SCRAPE = "1m"  # Prometheus's own default scrape_interval
MAX_POINTS = 11_000  # Prometheus refuses a range of more than 11,000 points per series
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800, "y": 31_536_000}


def seconds(duration: str) -> float:
    """A Prometheus duration (``500ms``, ``15s``, ``1m30s``) in seconds; ValueError when it is none."""
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration.strip():
        raise ValueError(f"{duration!r} is not a Prometheus duration (e.g. 15s, 1m, 1m30s)")
    return sum(int(n) * _UNITS[u] for n, u in parts)


def scrape_interval_s(metrics: PrometheusMetrics) -> float:
    """The longest scrape interval Prometheus runs with, in seconds."""
    where = f"Prometheus at {metrics.url}, /api/v1/status/config"
    try:
        answer = metrics._client._session.get(f"{metrics.url}/api/v1/status/config",
                                              timeout=metrics._settings.timeout_s)
        answer.raise_for_status()
        config = yaml.safe_load(answer.json()["data"]["yaml"]) or {}
        default = (config.get("global") or {}).get("scrape_interval") or DEFAULT_SCRAPE
        jobs = [j.get("scrape_interval") or default for j in config.get("scrape_configs") or [] if isinstance(j, dict)]
        return max(seconds(str(d)) for d in [default, *jobs])
    except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as e:
        raise MetricsUnavailable(f"{where}: {type(e).__name__}: {e}") from e


def read_range(metrics: PrometheusMetrics, namespace: str, services: list[str], start: datetime,
               end: datetime) -> MetricsRange:
    """Every signal of ``services`` from ``start`` to ``end`` at the scrape interval."""
    line = metrics.timeline
    step = line.step_s if line is not None and line.step_s else scrape_interval_s(metrics)
    shift = line.shift_s if line is not None else 0.0
    if (end - start).total_seconds() / step > MAX_POINTS:
        raise MetricsUnavailable(f"Prometheus at {metrics.url}: the run spans more than {MAX_POINTS} scrapes; "
                                 "recovery is timed from the monitor's samples")
    values: dict[float, dict[str, dict[str, float | None]]] = {}
    for service in services:
        for name in metrics._templates:
            for at, value in _series(metrics, name, namespace, service, start - timedelta(seconds=shift),
                                     end - timedelta(seconds=shift), step):
                values.setdefault(at + shift, {}).setdefault(service, {})[name] = value
    samples = [Sample(tick=0, at=datetime.fromtimestamp(at, UTC),
                      services={s: Signals(**row.get(s, {})) for s in services})
               for at, row in sorted(values.items())]
    return MetricsRange(samples=samples, step_s=step, window=metrics._settings.window)


def _series(metrics: PrometheusMetrics, name: str, namespace: str, service: str, start: datetime, end: datetime,
            step: float) -> list[tuple[float, float | None]]:
    query = metrics._fill(metrics._templates[name], namespace, service)
    where = f"Prometheus at {metrics.url}, {FIELD}.{name} for {namespace}/{service} (range)"
    try:
        result = metrics._client.custom_query_range(query, start_time=start, end_time=end, step=f"{step:g}")  # seconds
    except (PrometheusApiClientException, requests.RequestException, ValueError, KeyError, TypeError) as e:
        raise MetricsUnavailable(f"{where}: {type(e).__name__}: {e}") from e
    if not isinstance(result, list) or len(result) > 1:
        raise MetricsUnavailable(f"{where}: expected one series, got {str(result)[:200]}")
    points = result[0].get("values", []) if result and isinstance(result[0], dict) else []
    out = []
    for point in points:
        try:
            at, value = float(point[0]), float(point[1])
        except (TypeError, IndexError, ValueError) as e:
            raise MetricsUnavailable(f"{where}: not a range-query point: {point!r}") from e
        out.append((at, round(value, DIGITS.get(name, 3)) if math.isfinite(value) else None))
    return out
