"""A range read of the metrics: the run read again afterwards, at the scrape resolution."""

from __future__ import annotations

from dataclasses import dataclass

from agent.models.run import Sample


@dataclass(frozen=True)
class MetricsRange:
    """One sample per step (``tick`` 0: the caller numbers them), and how they were read."""

    samples: list[Sample]
    step_s: float  # the query's step: the scrape interval, so no finer than the data
    window: str  # the rate() window of the queries: a change shows up to this late
