"""The seed's abort conditions (``{metric, value, operator}`` in the units of its status output)
and the native :class:`AbortThreshold`, both ways.

The seed writes one condition; a list of them means "abort when any holds" (what a native
threshold with several limits becomes when ``suggest --format seed`` writes it). Reading, a
condition on the threshold's own service with ``>`` becomes the native shorthand
(``error_rate_pct``, ``latency_p95_ms``), any other a native condition, so writing a native
threshold and reading it back gives the same threshold.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict

from agent.models.base import Frozen
from agent.models.spec import AbortCondition, AbortThreshold, Comparison, Line, Name, SignalName

SeedMetric = Literal["error_rate", "latency_p95", "cpu_usage", "memory_usage"]
# seed metric -> native signal, and how many native units one seed unit is
UNITS: dict[SeedMetric, tuple[SignalName, float]] = {
    "error_rate": ("error_rate_pct", 100.0),  # a fraction -> percent
    "latency_p95": ("latency_p95_ms", 1000.0),  # seconds -> ms
    "cpu_usage": ("cpu_millicores", 1000.0),  # cores -> millicores
    "memory_usage": ("memory_mib", 1 / 2**20),  # bytes -> MiB
}
_METRIC: dict[SignalName, SeedMetric] = {signal: metric for metric, (signal, _) in UNITS.items()}
_SHORTHAND = ("error_rate_pct", "latency_p95_ms")


class SeedAbortThreshold(Frozen):
    """The seed's single abort condition, in the units of its status output."""

    metric: SeedMetric = Field(description=(
        "error_rate: a fraction, 0.05 = 5% → error_rate_pct; latency_p95: seconds → latency_p95_ms; "
        "cpu_usage: cores → cpu_millicores; memory_usage: bytes → memory_mib"))
    value: Annotated[float, Strict()] = Field(ge=0, allow_inf_nan=False)
    operator: Comparison = ">"
    service: Name = Field("*", description="The service watched; '*' (the default) is any service of the stack")
    reason: Line | None = Field(None, description="Why this limit (e.g. looser than the seed's 5% default) → reason")

    def condition(self) -> AbortCondition:
        """This condition in native units; ValueError for an error rate given as a percent."""
        if self.metric == "error_rate" and self.value > 1:
            raise ValueError(f"abort_threshold.value: error_rate is a fraction (0.05 = 5%), got {self.value:g}; "
                             f"did you mean {self.value / 100:g}?")
        signal, scale = UNITS[self.metric]
        return AbortCondition(signal=signal, op=self.operator, value=round(self.value * scale, 6), service=self.service)

    def to_native(self) -> AbortThreshold:
        return native_abort([self])


SEED_DEFAULT_ABORT = SeedAbortThreshold(metric="error_rate", value=0.05)  # the seed's workflow: abort past 5% errors


def native_abort(items: list[SeedAbortThreshold]) -> AbortThreshold:
    """One native threshold from the seed's conditions (abort when any holds)."""
    service = items[0].service
    short: dict[str, float] = {}
    rest: list[AbortCondition] = []
    for c in (item.condition() for item in items):
        fits = c.op == ">" and c.service == service and c.signal in _SHORTHAND and c.signal not in short
        if fits and 0 < c.value <= (100 if c.signal == "error_rate_pct" else float("inf")):
            short[c.signal] = c.value
        else:
            rest.append(c)
    return AbortThreshold(service=service, error_rate_pct=short.get("error_rate_pct"),
                          latency_p95_ms=short.get("latency_p95_ms"), conditions=rest,
                          reason="; ".join(dict.fromkeys(i.reason for i in items if i.reason)))


def seed_abort(threshold: AbortThreshold) -> SeedAbortThreshold | list[SeedAbortThreshold]:
    """A native threshold in the seed's shape: one condition, or a list when it has several.
    The threshold's reason goes with the first."""
    out = []
    for n, c in enumerate(threshold.all_conditions()):
        metric = _METRIC[c.signal]
        out.append(SeedAbortThreshold(metric=metric, value=round(c.value / UNITS[metric][1], 9), operator=c.op,
                                      service=c.service, reason=threshold.reason if n == 0 and threshold.reason else None))
    return out[0] if len(out) == 1 else out
