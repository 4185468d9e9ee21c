"""Prometheus exposition of the twin: Sock Shop's own series, consistent with `model.signals`.

What is served (routed by `api`), in the text format 0.0.4, without sample timestamps
(Prometheus stamps each sample with its scrape time):

    /metrics/<ns>/<service>  the service's own /metrics: `request_duration_seconds`, labelled
                             as that service labels it (FACTS.md section 3): Go (catalogue,
                             payment, user) `method, route, status_code, isWS`; Java (carts,
                             orders, shipping) and Node (front-end) `service, method, route,
                             status_code`. Databases, rabbitmq and queue-master export none.
    /metrics/cadvisor        `container_cpu_usage_seconds_total` (counter) and
                             `container_memory_working_set_bytes` (gauge) per pod, labelled
                             `namespace, pod, container` (plus the pod cgroup, `container=""`).
    /metrics                 all of it; application series carry `kubernetes_namespace` and
                             `name`, as the kubernetes-service-endpoints scrape job adds them.

How the counters follow the model. Each service receives a fixed request rate (requests per
virtual second: `ENTRY_RPS` at the entry service, passed down the call graph by edge shares).
Whenever series are read, every service of the namespace is integrated from its last
integration time to the virtual now with the model's values *at now* (a step function
sampled on read): requests += rate * dt, of which error_rate_pct are `status_code="500"`;
each request lands in buckets laid out by `bucket_shares` so that `histogram_quantile(0.95)`
interpolates back to the model's p95; CPU seconds += cpu_millicores / 1000 * dt, split evenly
over the service's pods. Memory is a gauge read at now. The counters live in the state file
(`State.counters`), so they survive restarts and never go backwards.

Virtual and real time. Prometheus scrapes and computes `rate()` in real seconds while the twin's
clock runs `speed` times faster, so dt above is *virtual seconds / speed*: `rate()` per real
second then equals the model's per-second values (CPU cores, requests per second), and the
ratios (error %, p95) are exact whatever the speed. A twin without `speed` (clock moved only by
POST /twin/v1/clock/advance) counts virtual seconds as they are. The scaling assumes the
server's own speed thread drives the clock; when a client paces it instead, ratios stay right
and absolute rates are off by that client's pace.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.model import ServiceSignals, signals
from twin.owners import top_owner
from twin.state import POD_KEY, Histogram, KObj, ServiceCounters, State, Topology, okey

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ENTRY_RPS = 20.0  # requests per virtual second at the entry (front-end); others follow the edges
QUANTILE = 0.95
GO_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # client_golang, prom-client
JAVA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
REQUESTS = ("request_duration_seconds", "histogram", "Time (in seconds) spent serving HTTP requests.")
CPU = ("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.")
MEMORY = ("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")


@dataclass(frozen=True)
class Style:
    """How one client library labels `request_duration_seconds`."""

    bounds: tuple[float, ...]
    service_label: bool  # Java and front-end set `service`; weaveworks/common (Go) does not
    is_ws: bool  # weaveworks/common adds isWS="false"
    java_le: bool  # simpleclient writes le="1.0" where Go writes le="1"
    default_route: str


STYLES = {
    "go": Style(GO_BUCKETS, service_label=False, is_ws=True, java_le=False, default_route="root"),
    "java": Style(JAVA_BUCKETS, service_label=True, is_ws=False, java_le=True, default_route="/"),
    "node": Style(GO_BUCKETS, service_label=True, is_ws=False, java_le=False, default_route="/"),
}

# (method, route, share of the service's requests) as Sock Shop's services label them; the
# front-end mix is the upstream load test's nine requests (topology.yaml `traffic`).
ROUTES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "front-end": tuple((m, r, 1 / 9) for m, r in (
        ("get", "/catalogue"), ("get", "/"), ("get", "/login"), ("get", "/category.html"),
        ("get", "/detail.html"), ("delete", "/cart"), ("post", "/cart"), ("get", "/basket.html"),
        ("post", "/orders"))),
    "catalogue": (("GET", "catalogue", 0.5), ("GET", "catalogue_id", 0.5)),
    "carts": (("GET", "/carts/{customerId}/items", 0.4), ("POST", "/carts/{customerId}/items", 0.3),
              ("DELETE", "/carts/{customerId}", 0.3)),
    "orders": (("POST", "/orders", 1.0),),
    "payment": (("POST", "paymentauth", 1.0),),
    "shipping": (("POST", "/shipping", 1.0),),
    "user": (("GET", "login", 0.4), ("GET", "customers", 0.2), ("GET", "addresses", 0.2),
             ("GET", "cards", 0.2)),
}


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


def _mean_s(bounds: tuple[float, ...], shares: list[float]) -> float:
    """Mean observation of a bucket layout (midpoints; the +Inf bucket at the last bound)."""
    edges = (0.0, *bounds, bounds[-1])
    return sum((shares[i] - (shares[i - 1] if i else 0.0)) * (edges[i] + edges[i + 1]) / 2
               for i in range(len(shares)))


def _pods(state: State, namespace: str, service: str) -> list[KObj]:
    """The running pods (those with a runtime) of a service's Deployment or StatefulSet."""
    return sorted((p for key, p in state.bucket(POD_KEY).items()
                   if p["metadata"]["namespace"] == namespace and key in state.pods
                   and (top_owner(state, p) or ("", ""))[1] == service),
                  key=lambda p: p["metadata"]["name"])


def _observe(counters: ServiceCounters, style: Style, requests: float, s: ServiceSignals) -> None:
    shares = bucket_shares(style.bounds, s.latency_p95_ms / 1000)
    mean = _mean_s(style.bounds, shares)
    for status, n in (("200", requests * (1 - s.error_rate_pct / 100)),
                      ("500", requests * s.error_rate_pct / 100)):
        if n <= 0:
            continue  # a client library creates a labelled child on its first observation
        hist = counters.requests.setdefault(status, Histogram(buckets=[0.0] * len(shares)))
        hist.buckets = [c + n * f for c, f in zip(hist.buckets, shares, strict=True)]
        hist.sum += n * mean


def integrate(state: State, namespace: str, *, speed: float | None) -> bool:
    """Bring the counters of every service in `namespace` to the virtual now; True if changed."""
    now, scale = state.now, speed or 1.0
    found = signals(state, namespace, now)
    rates = request_rates(state.topology)
    gone = [key for key in state.counters
            if key.split("/", 1)[0] == namespace and key.split("/", 1)[1] not in found]
    for key in gone:  # a deleted workload's series end with it
        del state.counters[key]
    changed = bool(gone)
    for name, s in found.items():
        pods = [p["metadata"]["name"] for p in _pods(state, namespace, name)]
        counters = state.counters.get(okey(namespace, name))
        if counters is None:  # count from the oldest pod's start, as a long-running exporter has
            t0 = min((state.pods[okey(namespace, p)].started_at for p in pods), default=now)
            counters = state.counters[okey(namespace, name)] = ServiceCounters(t=min(t0, now))
            changed = True
        if now <= counters.t:
            continue
        dt = (now - counters.t) / scale
        style = STYLES.get(state.topology.service(name).language)
        if style is not None and rates.get(name, 0.0) > 0:
            _observe(counters, style, rates[name] * dt, s)
        cpu = s.cpu_millicores / 1000 * dt / max(1, len(pods))
        counters.cpu_seconds = {p: counters.cpu_seconds.get(p, 0.0) + cpu for p in pods}
        counters.t, changed = now, True
    return changed


def _labels(pairs: dict[str, str]) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in pairs.items()) + "}"


def _le(bound: float, style: Style) -> str:
    return repr(bound) if style.java_le else format(bound, "g")


def _family(meta: tuple[str, str, str], lines: list[str]) -> str:
    name, kind, text = meta
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n" + "".join(line + "\n" for line in lines)


def _request_lines(state: State, namespace: str, service: str, extra: dict[str, str]) -> list[str]:
    counters = state.counters.get(okey(namespace, service))
    style = STYLES.get(state.topology.service(service).language)
    if counters is None or style is None:
        return []
    lines = []
    routes = ROUTES.get(service, (("GET", style.default_route, 1.0),))
    les = [_le(b, style) for b in style.bounds] + ["+Inf"]
    for status, hist in sorted(counters.requests.items()):
        for method, route, share in routes:
            labels = ({"service": service} if style.service_label else {}) | {
                "method": method, "route": route, "status_code": status}
            labels |= ({"isWS": "false"} if style.is_ws else {}) | extra
            lines += [f"{REQUESTS[0]}_bucket{_labels(labels | {'le': le})} {c * share!r}"
                      for le, c in zip(les, hist.buckets, strict=True)]
            lines.append(f"{REQUESTS[0]}_sum{_labels(labels)} {hist.sum * share!r}")
            lines.append(f"{REQUESTS[0]}_count{_labels(labels)} {hist.buckets[-1] * share!r}")
    return lines


def _container_lines(state: State, namespace: str) -> tuple[list[str], list[str]]:
    cpu_lines: list[str] = []
    memory_lines: list[str] = []
    found = signals(state, namespace, state.now)
    for service, s in sorted(found.items()):
        pods = _pods(state, namespace, service)
        counters = state.counters.get(okey(namespace, service))
        for pod in pods:
            name = pod["metadata"]["name"]
            container = ((pod["spec"].get("containers") or [{}])[0]).get("name", "")
            memory = s.memory_mib * 1048576 / len(pods)
            cpu = counters.cpu_seconds.get(name, 0.0) if counters else 0.0
            for c in (container, ""):  # the container, then the pod's cgroup (container="")
                labels = _labels({"container": c, "namespace": namespace, "pod": name})
                cpu_lines.append(f"{CPU[0]}{labels} {cpu!r}")
                memory_lines.append(f"{MEMORY[0]}{labels} {memory!r}")
    return cpu_lines, memory_lines


def _namespaces(state: State) -> list[str]:
    return sorted(key.split("/", 1)[1] for key in state.bucket("core/v1/namespaces"))


def service_text(state: State, namespace: str, service: str) -> str:
    """What `service`'s own /metrics serves (empty for one exporting nothing)."""
    lines = _request_lines(state, namespace, service, {})
    return _family(REQUESTS, lines) if lines else ""


def cadvisor_text(state: State) -> str:
    """cAdvisor's container series for every pod of every namespace."""
    cpu: list[str] = []
    memory: list[str] = []
    for namespace in _namespaces(state):
        c, m = _container_lines(state, namespace)
        cpu, memory = cpu + c, memory + m
    return _family(CPU, cpu) + _family(MEMORY, memory)


def all_text(state: State) -> str:
    """Everything, application series labelled as Prometheus' service-endpoints job labels them."""
    lines = [line for key in sorted(state.counters) for namespace, service in [key.split("/", 1)]
             for line in _request_lines(state, namespace, service,
                                        {"kubernetes_namespace": namespace, "name": service})]
    return (_family(REQUESTS, lines) if lines else "") + cadvisor_text(state)


def scrape(state: State, rest: list[str], *, speed: float | None) -> tuple[str, bool] | None:
    """The exposition for `/metrics/<rest>` after integrating the counters up to now, and
    whether the state changed; None when the path names nothing."""
    namespaces = _namespaces(state)
    if len(rest) == 2 and rest[0] in namespaces:
        namespace, service = rest
        changed = integrate(state, namespace, speed=speed)
        if okey(namespace, service) not in state.counters:  # not a workload of the namespace
            return None
        return service_text(state, namespace, service), changed
    if rest not in ([], ["cadvisor"]):
        return None
    changed = any([integrate(state, namespace, speed=speed) for namespace in namespaces])
    return (all_text(state) if not rest else cadvisor_text(state)), changed
