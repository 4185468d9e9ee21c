"""Metrics port over Prometheus' HTTP API (prometheus-api-client), for real clusters and the twin.

Each signal is one PromQL template of ``k8s.monitoring.prometheus.queries`` with ``{namespace}``,
``{service}``, ``{label}`` (``service_label``), ``{namespace_label}`` (both from the ``preset`` unless
written) and ``{window}`` filled in, asked as an instant
query. A read asks its queries concurrently (``MAX_CONCURRENT`` at a time, one client per worker)
under one deadline of ``timeout_s``: 14 services x 4 signals take one timeout, not 56 in a row,
so a slow Prometheus cannot stretch a monitor tick far past its poll interval. Prometheus answers values as strings; an empty result (no series matched) or NaN (e.g.
``histogram_quantile`` without traffic in the window) means "not measured" (None), never 0.
``ready_replicas`` and ``replicas`` come from kube-state-metrics when configured
(:mod:`agent.adapters.prometheus_ready`), else stay None for the Kubernetes API to fill in.

Errors, all :class:`~agent.errors.MetricsUnavailable` with the cause (nothing from requests or
prometheus_api_client leaks)::

    connection refused, timeout_s exceeded,      the first one fails the whole read at once:
    HTTP error, an answer that is not the API's  the other queries would wait for it too
    Prometheus rejects a template (4xx)          names the template to fix in stack.yaml
    a template matches several series            names it: it must aggregate to one value
    every query came back empty                  no signal at all: check the labels
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from agent.adapters.prometheus_ready import FIELDS, as_count, ready_templates
from agent.config import Prometheus
from agent.errors import ConfigError, MetricsUnavailable
from agent.models import Signals
from agent.models.history import MetricsRange
from agent.ports import Clock

FIELD = "k8s.monitoring.prometheus.queries"
DIGITS = {"error_rate_pct": 3, "latency_p95_ms": 2, "cpu_millicores": 1, "memory_mib": 1}
MAX_CONCURRENT = 16  # queries in flight at once: enough for a namespace, gentle on Prometheus


@dataclass(frozen=True)
class Timeline:
    """The run's clock on Prometheus's time axis, for a Prometheus that stores another clock's
    samples (the twin's, stamped by ``twin.stamped``): queries ask at ``clock.now() - shift_s``."""

    clock: Clock
    shift_s: float = 0.0  # Prometheus time = the run's time - shift_s
    step_s: float | None = None  # range step in the run's seconds (its sample spacing); None: the scrape interval

    def at(self, when: datetime) -> float:
        """``when`` (the run's clock) in Prometheus's epoch seconds."""
        return when.timestamp() - self.shift_s


class PrometheusMetrics:
    """Implements :class:`agent.ports.Metrics` with one instant query per signal and service.

    Args:
        settings: ``k8s.monitoring.prometheus``; the templates are checked here, so a typo in a
            placeholder is a ConfigError at start, not a blind monitor later.
        timeline: Ask at the run's time rather than Prometheus's now (None: a cluster, where they agree).
    """

    def __init__(self, settings: Prometheus, *, timeline: Timeline | None = None) -> None:
        self.url = settings.url.rstrip("/")
        self.timeline = timeline
        self._settings = settings
        self._templates: dict[str, str] = settings.queries.model_dump() | ready_templates(settings)
        for name, template in self._templates.items():
            try:
                self._fill(template, "ns", "svc")
            except (KeyError, IndexError, ValueError) as e:
                raise ConfigError(
                    f"{FIELD}.{name}: {template!r} has a bad placeholder ({e}); use only "
                    "{namespace} {service} {label} {namespace_label} {window}, and double literal braces {{ }}"
                ) from None
        self._local = threading.local()  # a client per worker thread: requests' Session is not shared
        self._pool: ThreadPoolExecutor | None = None

    @property
    def _client(self) -> PrometheusConnect:
        client: PrometheusConnect | None = getattr(self._local, "client", None)
        if client is None:
            # No retries: a failed query fails the read now, and the monitor's grace period decides.
            client = PrometheusConnect(
                self.url, disable_ssl=True, retry=Retry(total=0), timeout=self._settings.timeout_s  # type: ignore[arg-type]
            )
            self._local.client = client
        return client

    def _fill(self, template: str, namespace: str, service: str) -> str:
        s = self._settings
        return template.format(namespace=namespace, service=service, label=s.service_label,
                               namespace_label=s.namespace_label, window=s.window)

    def describe(self, namespace: str, service: str, signal: str) -> str:
        template = self._templates.get(signal)
        return self._fill(template, namespace, service) if template else f"{signal}: no query"

    def range(self, namespace: str, services: list[str], start: datetime, end: datetime) -> MetricsRange:
        """The run read again at the scrape resolution (:mod:`agent.adapters.prometheus_range`)."""
        from agent.adapters.prometheus_range import read_range

        return read_range(self, namespace, services, start, end)

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(MAX_CONCURRENT, thread_name_prefix="prometheus")
        at = None if self.timeline is None else {"time": f"{self.timeline.at(self.timeline.clock.now()):.3f}"}
        asked: dict[tuple[str, str], Future[float | None]] = {
            (service, name): self._pool.submit(self._query, name, namespace, service, at)
            for service in services for name in self._templates
        }
        deadline = time.monotonic() + self._settings.timeout_s + 1.0  # each query's own timeout, plus connecting
        values: dict[tuple[str, str], float | None] = {}
        try:
            for key, future in asked.items():
                try:
                    values[key] = future.result(timeout=max(0.0, deadline - time.monotonic()))
                except FutureTimeout:
                    raise MetricsUnavailable(
                        f"Prometheus at {self.url}: no answer within {self._settings.timeout_s:g} s "
                        f"({FIELD}.{key[1]} for {namespace}/{key[0]})"
                    ) from None
        finally:
            for future in asked.values():
                future.cancel()  # the first failure fails the read: do not start the rest
        out = {service: Signals(**{name: as_count(name, values[(service, name)]) for name in self._templates})
               for service in services}
        if not any(v is not None for s in out.values() for v in s.model_dump(exclude=set(FIELDS)).values()):
            raise MetricsUnavailable(
                f"Prometheus at {self.url} matched no series for {', '.join(services)} in {namespace}; "
                f"check that it scrapes them and that k8s.monitoring.prometheus.preset "
                f"({self._settings.preset!r}: service_label {self._settings.service_label!r}, namespace_label "
                f"{self._settings.namespace_label!r}) is how it labels them (python -m agent doctor compares the presets)"
            )
        return out

    def _query(self, name: str, namespace: str, service: str, at: dict[str, str] | None = None) -> float | None:
        query = self._fill(self._templates[name], namespace, service)
        where = f"Prometheus at {self.url}, {FIELD}.{name} for {namespace}/{service}"
        try:
            result = self._client.custom_query(query, params=at)
        except PrometheusApiClientException as e:
            fix = "; fix the template in stack.yaml" if "Status Code 4" in str(e) else ""
            raise MetricsUnavailable(f"{where}: {e}{fix}") from e
        except requests.RequestException as e:
            reason = _reason(e)
            if isinstance(e, requests.Timeout) or isinstance(reason, ReadTimeoutError):
                raise MetricsUnavailable(f"{where}: no answer within {self._settings.timeout_s:g} s") from e
            raise MetricsUnavailable(f"{where}: {type(reason).__name__}: {reason}") from e
        except (ValueError, KeyError, TypeError) as e:
            # ValueError/KeyError/TypeError: the body is not the API's JSON ({"data": {"result"}})
            raise MetricsUnavailable(f"{where}: {type(e).__name__}: {e}") from e
        value = _value(result, where)
        return None if value is None else round(value, DIGITS.get(name, 3))


def _reason(e: requests.RequestException) -> BaseException:
    """The root cause, without the URL-encoded query that requests repeats in its message."""
    inner = e.args[0] if e.args and isinstance(e.args[0], BaseException) else None
    reason = getattr(inner, "reason", None)
    return reason if isinstance(reason, BaseException) else inner or e


def _value(result: object, where: str) -> float | None:
    """The one number of an instant query's result; None for no series or NaN/Inf."""
    if isinstance(result, list) and len(result) == 2 and not isinstance(result[0], dict):
        sample = result  # a scalar: [time, "value"]
    elif isinstance(result, list) and all(isinstance(r, dict) for r in result):
        if not result:
            return None
        if len(result) > 1:
            raise MetricsUnavailable(
                f"{where}: {len(result)} series matched; the template must aggregate to one "
                "value (wrap it in sum(...) or max(...))"
            )
        sample = result[0].get("value")
    else:
        raise MetricsUnavailable(f"{where}: not an instant-query result: {str(result)[:200]}")
    try:
        value = float(sample[1])  # type: ignore[index]
    except (TypeError, IndexError, ValueError) as e:
        raise MetricsUnavailable(f"{where}: not an instant-query sample: {sample!r}") from e
    return value if math.isfinite(value) else None


class PrometheusCalls:
    """Implements :class:`agent.ports.CallSource` with ``calls_query``: each series with a caller
    and a callee label is a call (a service mesh's request metric sees what manifests hide)."""

    def __init__(self, metrics: PrometheusMetrics) -> None:
        self._metrics = metrics
        self._settings = metrics._settings

    def observed_calls(self, namespace: str) -> list[tuple[str, str, str]]:
        s = self._settings
        assert s.calls_query is not None, "wiring builds this only with calls_query set"
        query = self._metrics._fill(s.calls_query, namespace, "")
        where = f"Prometheus at {self._metrics.url}, k8s.monitoring.prometheus.calls_query for {namespace}"
        try:
            result = self._metrics._client.custom_query(query)
        except (PrometheusApiClientException, requests.RequestException, ValueError, KeyError, TypeError) as e:
            raise MetricsUnavailable(f"{where}: {type(e).__name__}: {e}") from e
        calls = []
        for series in result if isinstance(result, list) else []:
            labels = series.get("metric", {}) if isinstance(series, dict) else {}
            caller, callee = labels.get(s.caller_label), labels.get(s.callee_label)
            if isinstance(caller, str) and isinstance(callee, str) and caller and callee and caller != callee:
                calls.append((caller, callee, f"prometheus {s.caller_label}={caller} {s.callee_label}={callee}"))
        return sorted(set(calls))
