"""Prometheus exposition of the twin: what Sock Shop's processes would export, and nothing more.

What is served (routed by `api`), in the text format 0.0.4:

    /metrics/<ns>/<service>  the service's own /metrics: `request_duration_seconds`, labelled
                             as that service labels it (FACTS.md section 3): Go (catalogue,
                             payment, user) `method, route, status_code, isWS`; Java (carts,
                             orders, shipping) and Node (front-end) `service, method, route,
                             status_code`. Data stores export nothing; queue-master answers its
                             actuator JSON (the scrape fails) and rabbitmq its exporter sidecar's
                             `rabbitmq_*` series (`exporters`).
    /metrics/cadvisor        cAdvisor's container series, with timestamps (`cadvisor`).
    /metrics                 all of it; application series carry `kubernetes_namespace` and
                             `name`, as the kubernetes-service-endpoints scrape job adds them.

What a process records is what it served (`model.served`), as a server-side histogram can:
- a request that reaches no listening process (no Ready pod, a process not yet started) is
  recorded by nobody; the caller records its error (front-end's 5xx when catalogue is gone);
- network faults on a service's own pods (latency, loss, corruption) show at its callers only;
- carts, orders and shipping (simpleclient's HTTPMonitoringInterceptor, observed in
  `postHandle`, which Spring skips when the handler throws) record successes only, with their
  real codes (201 for POST, 202 for carts' DELETE): never a 5xx, and failures are not timed;
- the Go services also record kubelet's `/health` probes (`route="health"`) and each scrape of
  their /metrics (`route="metrics"`); front-end records its `/` probes;
- counters start from 0 whenever a process (re)starts, as in-memory counters do (`rate()` sees
  a reset; with several replicas any one restart resets the service's series, since the twin
  serves one target per Service where a cluster has one per pod).

How the counters follow the model. Each service receives a fixed request rate (requests per
virtual second: `ENTRY_RPS` at the entry service, passed down the call graph by edge shares).
Whenever series are read, every service of the namespace is integrated from its last
integration time to the virtual now with the model's values *at now* (a step function
sampled on read): requests served += rate * share * dt, of which error_rate_pct are
`status_code="500"`; each request lands in buckets laid out by `bucket_shares` so that
`histogram_quantile(0.95)` interpolates back to the served p95; CPU seconds and memory go to
`cadvisor`. The counters live in the state file (`State.counters`), so they survive restarts
of the twin.

Virtual and real time. Prometheus scrapes and computes `rate()` in real seconds while the twin's
clock runs `speed` times faster, so dt above is *virtual seconds / speed*: `rate()` per real
second then equals the model's per-second values (CPU cores, requests per second), and the
ratios (error %, p95) are exact whatever the speed. A twin without `speed` (clock moved only by
POST /twin/v1/clock/advance) counts virtual seconds as they are. The scaling assumes the
server's own speed thread drives the clock; when a client paces it instead, ratios stay right
and absolute rates are off by that client's pace. cAdvisor's timestamps are the wall clock of
the scrape (`wall_s`), so Prometheus stores them as it stores its own scrape times.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin import cadvisor, exporters
from twin.cadvisor import PodUsage
from twin.model import Served, served, signals
from twin.owners import top_owner
from twin.state import POD_KEY, Histogram, KObj, ServiceCounters, State, okey
from twin.traffic import GO_BUCKETS, JAVA_BUCKETS, bucket_shares, mean_s, request_rates

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REQUESTS = ("request_duration_seconds", "histogram", "Time (in seconds) spent serving HTTP requests.")
QUICK_S = 0.001  # a probe or a scrape: answered in about a millisecond (the first bucket)


@dataclass(frozen=True)
class Style:
    """How one client library labels and records `request_duration_seconds`."""

    bounds: tuple[float, ...]
    service_label: bool  # Java and front-end set `service`; weaveworks/common (Go) does not
    is_ws: bool  # weaveworks/common adds isWS="false"
    java_le: bool  # simpleclient writes le="1.0" where Go writes le="1"
    default_route: str
    failures: bool  # records failed requests (Go, Node); Java's postHandle records successes only
    go_routes: bool  # probe paths become weaveworks/common labels ("/health" -> "health")
    scrapes: bool  # its own /metrics is instrumented (weaveworks/common; front-end skips it)


STYLES = {
    "go": Style(GO_BUCKETS, service_label=False, is_ws=True, java_le=False, default_route="root",
                failures=True, go_routes=True, scrapes=True),
    "java": Style(JAVA_BUCKETS, service_label=True, is_ws=False, java_le=True, default_route="/",
                  failures=False, go_routes=False, scrapes=False),
    "node": Style(GO_BUCKETS, service_label=True, is_ws=False, java_le=False, default_route="/",
                  failures=True, go_routes=False, scrapes=False),
}

# (method, route, share of the service's requests, success status_code) as Sock Shop's services
# label them; the front-end mix is the upstream load test's nine requests (topology.yaml
# `traffic`). carts@0.4.8: ItemsController `/carts/{customerId:.*}/items` (GET 200, POST 201),
# CartsController DELETE `/carts/{customerId}` 202; orders and shipping POST 201.
ROUTES: dict[str, tuple[tuple[str, str, float, str], ...]] = {
    "front-end": tuple((m, r, 1 / 9, "200") for m, r in (
        ("get", "/catalogue"), ("get", "/"), ("get", "/login"), ("get", "/category.html"),
        ("get", "/detail.html"), ("delete", "/cart"), ("post", "/cart"), ("get", "/basket.html"),
        ("post", "/orders"))),
    "catalogue": (("GET", "catalogue", 0.5, "200"), ("GET", "catalogue_id", 0.5, "200")),
    "carts": (("GET", "/carts/{customerId:.*}/items", 0.4, "200"),
              ("POST", "/carts/{customerId:.*}/items", 0.3, "201"),
              ("DELETE", "/carts/{customerId}", 0.3, "202")),
    "orders": (("POST", "/orders", 1.0, "201"),),
    "payment": (("POST", "paymentauth", 1.0, "200"),),
    "shipping": (("POST", "/shipping", 1.0, "201"),),
    "user": (("GET", "login", 0.4, "200"), ("GET", "customers", 0.2, "200"),
             ("GET", "addresses", 0.2, "200"), ("GET", "cards", 0.2, "200")),
}


def _pods(state: State, namespace: str, service: str) -> list[KObj]:
    """The running pods (those with a runtime) of a service's Deployment or StatefulSet."""
    return sorted((p for key, p in state.bucket(POD_KEY).items()
                   if p["metadata"]["namespace"] == namespace and key in state.pods
                   and (top_owner(state, p) or ("", ""))[1] == service),
                  key=lambda p: p["metadata"]["name"])


def _listening(state: State, namespace: str, service: str) -> int:
    """How many of the service's pods have a started process (listening, Ready or not)."""
    return sum(state.now >= state.pods[okey(namespace, p["metadata"]["name"])].process_ready_at
               for p in _pods(state, namespace, service))


def _style(state: State, service: str) -> Style | None:
    return STYLES.get(state.topology.service(service).language)


def _observe(counters: ServiceCounters, style: Style, requests: float, view: Served) -> None:
    shares = bucket_shares(style.bounds, view.latency_p95_ms / 1000)
    mean = mean_s(style.bounds, shares)
    failed = requests * view.error_rate_pct / 100
    for status, n in (("200", requests - failed), ("500", failed if style.failures else 0.0)):
        if n <= 0:
            continue  # a client library creates a labelled child on its first observation
        hist = counters.requests.setdefault(status, Histogram(buckets=[0.0] * len(shares)))
        hist.buckets = [c + n * f for c, f in zip(hist.buckets, shares, strict=True)]
        hist.sum += n * mean


def _counters(state: State, namespace: str, name: str, pods: list[KObj]) -> ServiceCounters:
    """The service's counters, started from 0 when its processes changed (a restart, a new pod)."""
    now, counters = state.now, state.counters.get(okey(namespace, name))
    starts = [state.pods[okey(namespace, p["metadata"]["name"])].started_at for p in pods]
    processes = [f"{p['metadata']['name']}@{t}" for p, t in zip(pods, starts, strict=True)]
    if counters is None or counters.process != processes:
        since = min(starts, default=now) if counters is None else max([counters.t, *starts])
        counters = state.counters[okey(namespace, name)] = ServiceCounters(t=min(since, now), process=processes)
    return counters


def integrate(state: State, namespace: str, *, speed: float | None, wall_s: float | None = None) -> bool:
    """Bring the counters of every service in `namespace` to the virtual now; True if changed.
    ``wall_s``: the wall clock of the read, stamped on cAdvisor's series (None: the virtual now)."""
    now, scale = state.now, speed or 1.0
    found, views = signals(state, namespace, now), served(state, namespace, now)
    rates = request_rates(state.topology)
    gone = [key for key in state.counters
            if key.split("/", 1)[0] == namespace and key.split("/", 1)[1] not in found]
    for key in gone:  # a deleted workload's series end with it
        del state.counters[key]
    changed, usage = bool(gone), []
    for name, s in found.items():
        pods = _pods(state, namespace, name)
        before = state.counters.get(okey(namespace, name))
        counters = _counters(state, namespace, name, pods)
        changed |= counters is not before
        dt = max(0.0, now - counters.t) / scale
        usage += [PodUsage(p, s.cpu_millicores / 1000 * dt / len(pods), s.memory_mib * 1048576 / len(pods))
                  for p in pods]
        if now <= counters.t:
            continue
        style = _style(state, name)
        if name in exporters.EXPORTER_APPS:  # the broker's queue: shipping publishes, queue-master drains
            sent = rates.get(exporters.PUBLISHER, 0.0) * views[exporters.PUBLISHER].share \
                if exporters.PUBLISHER in views and _listening(state, namespace, name) else 0.0
            counters.queued = exporters.queued(counters.queued, dt_s=now - counters.t, published_per_s=sent,
                                               consumers=_listening(state, namespace, exporters.CONSUMER))
        if style is not None and rates.get(name, 0.0) * views[name].share > 0:
            _observe(counters, style, rates[name] * views[name].share * dt, views[name])
        if style is not None:
            for path, n in exporters.probe_counts(state, pods, counters.t, now).items():
                if n > 0:  # a child exists from its first observation
                    counters.probes[path] = counters.probes.get(path, 0.0) + n / scale
        counters.t, changed = now, True
    wall_ms = int(1000 * (now if wall_s is None else wall_s))
    return cadvisor.advance(state, namespace, usage, wall_ms=wall_ms) or changed


def _labels(pairs: dict[str, str]) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in pairs.items()) + "}"


def _le(bound: float, style: Style) -> str:
    return repr(bound) if style.java_le else format(bound, "g")


def _family(meta: tuple[str, str, str], lines: list[str]) -> str:
    name, kind, text = meta
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n" + "".join(line + "\n" for line in lines)


def _histogram(style: Style, labels: dict[str, str], buckets: list[float], total_s: float) -> list[str]:
    les = [_le(b, style) for b in style.bounds] + ["+Inf"]
    return [*(f"{REQUESTS[0]}_bucket{_labels(labels | {'le': le})} {c!r}"
              for le, c in zip(les, buckets, strict=True)),
            f"{REQUESTS[0]}_sum{_labels(labels)} {total_s!r}",
            f"{REQUESTS[0]}_count{_labels(labels)} {buckets[-1]!r}"]


def _request_lines(state: State, namespace: str, service: str, extra: dict[str, str]) -> list[str]:
    counters = state.counters.get(okey(namespace, service))
    style = _style(state, service)
    if counters is None or style is None:
        return []

    def labels(method: str, route: str, status: str) -> dict[str, str]:
        own = ({"service": service} if style.service_label else {}) | {
            "method": method, "route": route, "status_code": status}
        return own | ({"isWS": "false"} if style.is_ws else {}) | extra

    children: dict[tuple[str, str, str], tuple[list[float], float]] = {}  # one child per label set

    def add(key: tuple[str, str, str], buckets: list[float], total_s: float) -> None:
        old, old_s = children.get(key, ([0.0] * len(buckets), 0.0))
        children[key] = [a + b for a, b in zip(old, buckets, strict=True)], old_s + total_s

    routes = ROUTES.get(service, (("GET", style.default_route, 1.0, "200"),))
    for status, hist in sorted(counters.requests.items()):
        for method, route, share, ok in routes:
            add((method, route, ok if status == "200" else status),
                [c * share for c in hist.buckets], hist.sum * share)
    quick = [(exporters.go_route(path) if style.go_routes else path, n) for path, n in counters.probes.items()]
    if style.scrapes and counters.scrapes:
        quick.append(("metrics", counters.scrapes))
    for route, n in quick:  # front-end's probes land on its "/" route, with the load test's
        add(("get" if style is STYLES["node"] else "GET", route, "200"), [n] * (len(style.bounds) + 1), n * QUICK_S)
    return [line for key, (buckets, total_s) in sorted(children.items(), key=lambda item: (item[0][2], item[0]))
            for line in _histogram(style, labels(*key), buckets, total_s)]


def _namespaces(state: State) -> list[str]:
    return sorted(key.split("/", 1)[1] for key in state.bucket("core/v1/namespaces"))


def service_text(state: State, namespace: str, service: str) -> str:
    """What `service`'s own /metrics serves (empty for one exporting nothing)."""
    if service in exporters.EXPORTER_APPS:  # the sidecar reaches its broker over localhost
        counters = state.counters.get(okey(namespace, service))
        return exporters.rabbitmq_text(up=_listening(state, namespace, service) > 0, messages=counters.queued,
                                       consumers=_listening(state, namespace, exporters.CONSUMER)) \
            if counters and _pods(state, namespace, service) else ""
    lines = _request_lines(state, namespace, service, {})
    return _family(REQUESTS, lines) if lines else ""


def cadvisor_text(state: State, *, wall_s: float | None = None) -> str:
    """cAdvisor's container series for every pod of every namespace."""
    return cadvisor.text(state, _namespaces(state), wall_ms=int(1000 * (state.now if wall_s is None else wall_s)))


def all_text(state: State, *, wall_s: float | None = None) -> str:
    """Everything, application series labelled as Prometheus' service-endpoints job labels them."""
    lines = [line for key in sorted(state.counters) for namespace, service in [key.split("/", 1)]
             for line in _request_lines(state, namespace, service,
                                        {"kubernetes_namespace": namespace, "name": service})]
    return (_family(REQUESTS, lines) if lines else "") + cadvisor_text(state, wall_s=wall_s)


@dataclass(frozen=True)
class Scraped:
    """One exposition: its body and content type, and whether reading it changed the state."""

    body: str
    content_type: str
    changed: bool


def scrape(state: State, rest: list[str], *, speed: float | None, wall_s: float | None = None) -> Scraped | None:
    """The exposition for `/metrics/<rest>` after integrating the counters up to now; None when
    the path names nothing. A served scrape of a Go service's /metrics is itself counted."""
    namespaces = _namespaces(state)
    if len(rest) == 2 and rest[0] in namespaces:
        namespace, service = rest
        changed = integrate(state, namespace, speed=speed, wall_s=wall_s)
        counters = state.counters.get(okey(namespace, service))
        if counters is None:  # not a workload of the namespace
            return None
        if service in exporters.ACTUATOR_APPS:
            return Scraped(exporters.actuator_json(state, namespace, service), exporters.ACTUATOR_JSON, changed)
        text = service_text(state, namespace, service)
        if (style := _style(state, service)) is not None and style.scrapes and _listening(state, namespace, service):
            counters.scrapes, changed = counters.scrapes + 1, True  # recorded once it has answered
        return Scraped(text, CONTENT_TYPE, changed)
    if rest not in ([], ["cadvisor"]):
        return None
    changed = any([integrate(state, namespace, speed=speed, wall_s=wall_s) for namespace in namespaces])
    text = all_text(state, wall_s=wall_s) if not rest else cadvisor_text(state, wall_s=wall_s)
    return Scraped(text, CONTENT_TYPE, changed)
