"""How much traffic each service gets, and how a p95 becomes histogram buckets.

Each service receives a fixed request rate (requests per virtual second): `ENTRY_RPS` at the
entry service, passed down the call graph by edge shares. A p95 becomes cumulative bucket shares
that Prometheus' `histogram_quantile(0.95, ...)` interpolates back to the same p95.
"""

from __future__ import annotations

from twin.state import Topology

ENTRY_RPS = 20.0  # requests per virtual second at the entry (front-end); others follow the edges
QUANTILE = 0.95
GO_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # client_golang, prom-client
JAVA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


def request_rates(topology: Topology) -> dict[str, float]:
    """Requests per virtual second each service receives: ENTRY_RPS at the entry (or at every
    service nobody calls, when the topology names none), passed down edges by their share."""
    callers: dict[str, list[tuple[str, float]]] = {}
    for edge in topology.edges:
        callers.setdefault(edge.callee, []).append((edge.caller, edge.share))
    rates: dict[str, float] = {}
    visiting: set[str] = set()

    def rate(name: str) -> float:
        if name in rates:
            return rates[name]
        if name in visiting:  # a cycle: the back edge adds nothing
            return 0.0
        visiting.add(name)
        is_root = name == topology.entry or (topology.entry is None and name not in callers)
        own = ENTRY_RPS if is_root else 0.0
        rates[name] = own + sum(rate(c) * share for c, share in callers.get(name, []))
        visiting.discard(name)
        return rates[name]

    for name in topology.services:
        rate(name)
    return rates


def bucket_shares(bounds: tuple[float, ...], p95_s: float) -> list[float]:
    """Cumulative share of requests at or below each bound (+Inf last), laid out so that
    Prometheus' `histogram_quantile(0.95, ...)` interpolates back to `p95_s`.

    The bucket holding p95 gets its lower edge share `lo` and upper edge share `hi` with
    lo + (hi - lo) * a = 0.95, a being p95's position in the bucket; lower buckets ramp up to
    `lo`. Limits of the histogram itself (as on a real cluster): below 0.95 * the first bound
    the answer is 0.95 * first bound (4.75 ms), above the last bound it is the last bound (10 s).
    """
    k = next((i for i, b in enumerate(bounds) if b >= p95_s), None)
    if k is None:
        return [0.9 * b / bounds[-1] for b in bounds] + [1.0]
    lower = bounds[k - 1] if k > 0 else 0.0
    a = max(0.0, (p95_s - lower) / (bounds[k] - lower))
    if k == 0 or a > QUANTILE:
        lo, hi = 0.0, (min(1.0, QUANTILE / a) if a > 0 else 1.0)
    else:
        lo, hi = (QUANTILE - a) / (1 - a), 1.0
    below = [lo * b / lower for b in bounds[:k]] if k > 0 else []
    return below + [hi] + [1.0] * (len(bounds) - k)


def mean_s(bounds: tuple[float, ...], shares: list[float]) -> float:
    """Mean observation of a bucket layout (midpoints; the +Inf bucket at the last bound)."""
    edges = (0.0, *bounds, bounds[-1])
    return sum((shares[i] - (shares[i - 1] if i else 0.0)) * (edges[i] + edges[i + 1]) / 2
               for i in range(len(shares)))
