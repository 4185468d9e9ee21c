"""Why a PromQL template returns nothing for a service: the doctor's explanation, per label preset.

The filled query's first selector (``metric{matchers}``) is narrowed one matcher at a time, each
step asked as ``count(...)``; the first matcher after which nothing is left is the cause. So the
answer says which of "Prometheus has no such metric", "none in this namespace under that label",
"none for this service" and "series exist but no traffic in the window" holds, and which labels
the metric really carries (so a person sees which preset fits).

Each distinct ``count`` is asked once per :class:`Diagnosis` (services share their prefixes).
"""

from __future__ import annotations

import re

import requests
from prometheus_api_client import PrometheusApiClientException

from agent.adapters.prometheus import PrometheusMetrics, _value
from agent.config.presets import PRESETS, LabelPreset
from agent.errors import MetricsUnavailable
from agent.models import Signals

SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{((?:[^{}\"]|\"(?:[^\"\\]|\\.)*\")*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(\"(?:[^\"\\]|\\.)*\")")


class Diagnosis:
    """Reads and explains one preset's queries against one Prometheus.

    Args:
        metrics: the adapter built with that preset's labels (same url, window and timeout).
        preset: the preset, for the hint on what must be scraped.
    """

    def __init__(self, metrics: PrometheusMetrics, preset: LabelPreset) -> None:
        self.metrics, self.preset = metrics, preset
        self._counts: dict[str, float | None] = {}

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        """Every signal of ``services``; an all-empty read is {} values, not an error, here."""
        try:
            return self.metrics.read(namespace, services)
        except MetricsUnavailable as e:
            if "matched no series" not in str(e):
                raise
            return {s: Signals() for s in services}

    def why_empty(self, namespace: str, service: str, signal: str) -> str:
        """Why ``signal`` of ``service`` has no value, in one line."""
        query = self.metrics.describe(namespace, service, signal)
        found = SELECTOR.search(query)
        if found is None:
            return f"{query} returned nothing"
        metric, matchers = found.group(1), MATCHER.findall(found.group(2))
        if not self._count(metric):
            return f"Prometheus has no {metric} series at all: {self.preset.scrapes}"
        kept: list[str] = []
        for label, op, value in matchers:
            kept.append(f"{label}{op}{value}")
            if not self._count(f"{metric}{{{','.join(kept)}}}"):
                return f"no {metric} series with {', '.join(kept)}{self._carried(metric, label)}"
        return f"{metric} series exist for it, but no traffic in the last {self.metrics._settings.window} (0/0)"

    def _carried(self, metric: str, label: str) -> str:
        """What the metric's series are labelled with, when the missing matcher's label is absent."""
        names = self._labels(metric)
        if label in names:
            return ""
        fits = [p.name for p in PRESETS.values() if {p.namespace_label, p.service_label} <= names]
        hint = f"; preset {' or '.join(fits)} fits" if fits else ""
        return f" (its series carry no {label!r} label; one is labelled {', '.join(sorted(names))}{hint})"

    def _count(self, selector: str) -> float | None:
        query = f"count({selector})"
        if query not in self._counts:
            self._counts[query] = _value(self._ask(query), query)
        return self._counts[query]

    def _labels(self, metric: str) -> set[str]:
        result = self._ask(f"topk(1, {metric})")
        series = result[0].get("metric", {}) if isinstance(result, list) and result else {}
        return {k for k in series if k != "__name__"} if isinstance(series, dict) else set()


    def _ask(self, query: str) -> object:
        try:
            line = self.metrics.timeline  # a private Prometheus on the twin's clock: ask at the run's time
            at = None if line is None else {"time": f"{line.at(line.clock.now()):.3f}"}
            return self.metrics._client.custom_query(query, params=at)
        except (PrometheusApiClientException, requests.RequestException, ValueError, KeyError, TypeError) as e:
            raise MetricsUnavailable(f"Prometheus at {self.metrics.url}, {query}: {type(e).__name__}: {e}") from e

