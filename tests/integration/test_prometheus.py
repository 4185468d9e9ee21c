"""The Prometheus adapter against a real Prometheus scraping the twin, and against broken ones.

One twin runs its own clock at SPEED x real time (Prometheus scrapes in real time, so virtual
time must move between scrapes) and one Prometheus scrapes it every 500 ms for the whole module;
the adapter reads with a 5 s window. Each test waits on conditions with deadlines, and the chaos
tests first wait until the stack is healthy again, so their order does not matter.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from kubernetes import client

from agent.adapters.prometheus import PrometheusMetrics
from agent.adapters.twin import TwinClock
from agent.config import Prometheus, Settings, load_settings
from agent.engines.litmus import render
from agent.errors import ConfigError, MetricsUnavailable
from agent.models import (
    AbortThreshold,
    ExperimentSpec,
    Fault,
    Parameters,
    Signals,
    TargetSelector,
)
from agent.ports import Deps
from tests.factories import catalogue_delete
from tests.integration.prometheus_fixture import (
    RunningPrometheus,
    free_port,
    poll_until,
    run_prometheus,
    scrape_config,
)
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
NS = "sock-shop"
LITMUS = ("litmuschaos.io", "v1alpha1")
TWIN_START = 1_800_000_000.0
SPEED = 30.0  # virtual seconds per real second: catalogue's 182 s outage lasts ~6 s
WINDOW_S = 5  # the adapter's rate() window, real seconds (10 scrapes)
SERVICES = ["front-end", "catalogue", "carts", "orders", "payment", "shipping", "user", "queue-master",
            "catalogue-db", "session-db"]
APP = ["front-end", "catalogue", "carts", "orders", "payment", "shipping", "user"]  # export requests
JAVA = {"carts", "orders", "shipping"}  # simpleclient's HTTPMonitoringInterceptor
GO = {"catalogue", "payment", "user"}  # weaveworks/common's middleware.Instrument


@dataclass
class Stack:
    """The twin at speed, the Prometheus scraping it, and the adapter reading it."""

    twin_url: str
    prometheus: RunningPrometheus
    settings: Prometheus
    metrics: PrometheusMetrics
    custom: client.CustomObjectsApi

    def read(self) -> dict[str, Signals]:
        return self.metrics.read(NS, SERVICES)

    def signals(self) -> dict[str, dict[str, Any]]:
        with urllib.request.urlopen(f"{self.twin_url}/twin/v1/signals?namespace={NS}", timeout=5) as r:
            services: dict[str, dict[str, Any]] = json.loads(r.read())["services"]
        return services

    def window_full(self) -> bool:
        """Every target has been scraped for longer than the window (a younger series reads low:
        rate() extrapolates only half an interval past its first sample)."""
        found = self.prometheus.query(f"min(count_over_time(up[{WINDOW_S + 1}s]))")
        return bool(found) and float(found[0]["value"][1]) >= 2 * WINDOW_S + 1  # type: ignore[index]

    def wait_healthy(self) -> None:
        """Until the window holds no outage: no chaos left injecting by an earlier test (each runs
        120 s of twin time; a payment latency now times out orders at front-end, intermittently),
        the twin serves and Prometheus has forgotten errors."""
        found: Any = self.custom.list_namespaced_custom_object(*LITMUS, NS, "chaosengines")
        for engine in found["items"]:
            if engine["spec"].get("engineState") != "stop":
                self.custom.patch_namespaced_custom_object(*LITMUS, NS, "chaosengines", engine["metadata"]["name"],
                                                           {"spec": {"engineState": "stop"}})

        def healthy() -> bool:
            if not self.window_full() or any(s["ready_replicas"] < s["replicas"] for s in self.signals().values()):
                return False
            read = self.read()
            return all((read[n].error_rate_pct or 0) < 1 for n in ("front-end", "catalogue"))

        poll_until(healthy, timeout_s=30, what="a healthy Sock Shop in Prometheus' window")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("prometheus")
    with TwinServer(root / "twin.json", start_time=TWIN_START, speed=SPEED) as twin:
        api = client.ApiClient(client.Configuration(host=twin.url))
        services = client.CoreV1Api(api).list_namespaced_service(NS).items
        annotated = [(NS, str(s.metadata.name)) for s in services
                     if s.metadata and (s.metadata.annotations or {}).get("prometheus.io/scrape") == "true"]
        config = scrape_config(twin.url.removeprefix("http://"), annotated, interval="500ms")
        with run_prometheus(root / "prometheus", config, targets=len(annotated) + 1) as prom:
            settings = Prometheus(url=prom.url, window=f"{WINDOW_S}s", timeout_s=2)
            yield Stack(twin.url, prom, settings, PrometheusMetrics(settings), client.CustomObjectsApi(api))


# --- the real thing: Prometheus scraping the twin -----------------------------------------------


def test_prometheus_sees_every_target_up(stack: Stack) -> None:
    startup = stack.prometheus.startup
    print(f"\nPrometheus: ready {startup.ready_s:.2f} s, first up==1 {startup.first_up_s:.2f} s, "
          f"all {stack.prometheus.targets} up {startup.all_up_s:.2f} s after start")
    up = {str(s["metric"].get("name", s["metric"]["job"])): s["value"][1]  # type: ignore[union-attr,index]
          for s in stack.prometheus.query("up")}
    assert len(up) == stack.prometheus.targets
    # queue-master's /metrics is Spring Boot's actuator JSON: Prometheus cannot parse it, as upstream
    assert up.pop("queue-master") == "0" and set(up.values()) == {"1"}, up
    assert set(APP) | {"rabbitmq"} <= set(up)
    assert {str(s["metric"]["kubernetes_namespace"]) for s in  # type: ignore[index]
            stack.prometheus.query('up{job="kubernetes-service-endpoints"}')} == {NS}
    # the rabbitmq target is the kbudde/rabbitmq-exporter sidecar: rabbitmq_* series, no requests
    assert [s["value"][1] for s in stack.prometheus.query('rabbitmq_up{name="rabbitmq"}')] == ["1"]  # type: ignore[index]
    assert not stack.prometheus.query('request_duration_seconds_count{name=~"rabbitmq|queue-master|.*-db"}')


def test_adapter_reads_the_twins_signals_within_tolerance(stack: Stack) -> None:
    poll_until(stack.window_full, timeout_s=20, what=f"a full {WINDOW_S} s window")
    read, model = stack.read(), stack.signals()
    for name in SERVICES:
        got, want = read[name], model[name]
        assert got.memory_mib == pytest.approx(want["memory_mib"], rel=0.08), name  # noise 3 % each
        assert got.cpu_millicores == pytest.approx(want["cpu_millicores"], rel=0.12), name
        assert got.ready_replicas is None and got.replicas is None  # the Kubernetes API's business
        if name not in APP:  # no request_duration_seconds: not measured, not 0
            assert got.error_rate_pct is None and got.latency_p95_ms is None, name
            continue
        if name in JAVA:  # postHandle records successes only: a silent 0 %, whatever fails
            assert got.error_rate_pct == 0.0 < want["error_rate_pct"], name
        else:
            assert got.error_rate_pct == pytest.approx(want["error_rate_pct"], abs=0.15), name
        # default buckets cannot say less than 0.95 * 5 ms (payment's p95 is ~3 ms)
        expected = max(want["latency_p95_ms"], 4.75)
        if name in GO:  # kubelet's /health probes (~0.67/s, ~1 ms) are in the adapter's p95, as upstream
            assert got.latency_p95_ms is not None and 0.7 * expected < got.latency_p95_ms <= expected * 1.08, name
            [served] = stack.prometheus.query(
                "1000 * histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket"
                f'{{name="{name}",route!~"health|metrics"}}[{WINDOW_S}s])))')
            assert float(served["value"][1]) == pytest.approx(expected, rel=0.08), name  # type: ignore[index]
        else:
            assert got.latency_p95_ms == pytest.approx(expected, rel=0.08), name


def test_pod_delete_shows_at_the_caller_and_the_deleted_service_records_nothing(stack: Stack) -> None:
    stack.wait_healthy()
    manifest = render(catalogue_delete(duration_s=60), run_id="prom0001", service_account="litmus-admin",
                      cleanup="retain")
    stack.custom.create_namespaced_custom_object(*LITMUS, NS, "chaosengines", manifest.body())
    before = stack.read()["front-end"].error_rate_pct or 0.0
    # a 2 s window: the deleted pod's last samples leave it long before the 6 s (182 virtual s) outage ends
    short = PrometheusMetrics(stack.settings.model_copy(update={"window": "2s"}))

    def outage() -> dict[str, Signals] | None:
        read = short.read(NS, ["front-end", "catalogue"])
        edge, own = read["front-end"].error_rate_pct, read["catalogue"]
        return read if edge is not None and edge > 10 and own.error_rate_pct is None else None

    # the caller records the failures; no process served catalogue's requests, so its own series
    # stop (not measured), where the twin used to count 100 % server-side errors on a deleted pod
    read = poll_until(outage, timeout_s=15, what="front-end's error rate past 10 % with catalogue's own gone")
    assert before < 1 and read["catalogue"].latency_p95_ms is None
    print(f"\ncatalogue pod-delete: front-end error {read['front-end'].error_rate_pct} %, catalogue {read['catalogue']}")
    assert not stack.prometheus.query('request_duration_seconds_count{name="catalogue",route=~"catalogue.*"}')
    assert stack.signals()["catalogue"]["ready_replicas"] == 0  # the model agrees why


def start_fault(stack: Stack, run_id: str, title: str, action: Fault, service: str, **parameters: int) -> None:
    spec = ExperimentSpec(
        title=title, description=title, action=action,
        target_selector=TargetSelector(service=service, namespace=NS, labels={"name": service}),
        parameters=Parameters(duration_s=120, chaos_interval_s=120, force=False, **parameters),
        abort_threshold=AbortThreshold(service="front-end", error_rate_pct=50), expected_impact="-",
        risk_level="low")
    manifest = render(spec, run_id=run_id, service_account="litmus-admin", cleanup="retain")
    stack.custom.create_namespaced_custom_object(*LITMUS, NS, "chaosengines", manifest.body())


def test_network_latency_on_payment_shows_at_its_caller_not_in_its_own_p95(stack: Stack) -> None:
    stack.wait_healthy()
    start_fault(stack, "prom0003", "Payment latency", Fault.POD_NETWORK_LATENCY, "payment",
                network_latency_ms=2000)

    def slowed() -> dict[str, Signals] | None:
        read = stack.read()
        return read if (read["orders"].latency_p95_ms or 0) > 2000 else None

    read = poll_until(slowed, timeout_s=20, what="orders' p95 past 2 s")
    print(f"\npayment latency 2000 ms: orders p95 {read['orders'].latency_p95_ms} ms, "
          f"payment p95 {read['payment'].latency_p95_ms} ms")
    assert read["payment"].latency_p95_ms is not None and read["payment"].latency_p95_ms < 10  # the leaf's handler


def test_a_killed_containers_memory_series_lingers_and_is_not_counted_twice(stack: Stack) -> None:
    """cAdvisor stamps its samples, so the killed container's series lingers beside the new one
    (two series, one pod and container); the memory query takes the max per container, not a sum."""
    stack.wait_healthy()
    single = stack.read()["carts"].memory_mib
    assert single is not None
    start_fault(stack, "prom0004", "Carts container kill", Fault.CONTAINER_KILL, "carts")

    def two_series() -> set[str] | None:
        ids = {str(s["metric"]["id"]) for s in stack.prometheus.query(  # type: ignore[index]
            'container_memory_working_set_bytes{container="carts"}')}
        return ids if len(ids) == 2 else None  # the killed cgroup (its last timestamp) and the new one

    poll_until(two_series, timeout_s=20, what="the killed container's series beside the new one")
    plain = stack.prometheus.query('sum(container_memory_working_set_bytes{container="carts"}) / 1048576')
    memory = stack.read()["carts"].memory_mib
    print(f"\ncarts container-kill: memory_mib {single} -> {memory}; a plain sum: {plain[0]['value'][1]}")  # type: ignore[index]
    assert memory is not None and memory < 1.3 * single < float(plain[0]["value"][1])  # type: ignore[index]


class FollowClock:
    """The run's clock on a twin that moves its own clock (TwinServer speed): sleeping waits
    until the twin's virtual clock has moved on, so the agent and Prometheus share one pace."""

    def __init__(self, url: str) -> None:
        self._twin = TwinClock(url, speed=None)

    def now(self) -> datetime:
        return self._twin.now()

    def sleep(self, seconds: float) -> None:
        until = self.now() + timedelta(seconds=seconds)
        poll_until(lambda: self.now() >= until, timeout_s=10 + seconds / SPEED, what="the twin's clock")


def run_settings(tmp_path: Path, prometheus: Prometheus) -> Settings:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings = load_settings(tmp_path / "stack.yaml")
    monitoring = settings.k8s.monitoring.model_copy(update={"prometheus": prometheus})
    return settings.model_copy(update={"k8s": settings.k8s.model_copy(update={"monitoring": monitoring})})


# --- broken Prometheus: every failure is MetricsUnavailable with its cause -----------------------


Answer = Callable[[dict[str, str]], tuple[int, str]]


@pytest.fixture
def fake_prometheus() -> Iterator[Callable[[Answer], str]]:
    """Serve ``answer(query params) -> (status, body)`` on a loopback port; returns its URL."""
    servers: list[ThreadingHTTPServer] = []
    release = threading.Event()

    def serve(answer: Answer) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                params = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
                code, body = answer(params | {"_path": urlsplit(self.path).path})
                if code == 0:  # hold the answer until the test ends
                    release.wait(30)
                    code, body = 200, "{}"
                payload = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()


def vector(*values: str) -> str:
    result = [{"metric": {"i": str(i)}, "value": [1.8e9, v]} for i, v in enumerate(values)]
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})


def adapter(url: str, **kwargs: Any) -> PrometheusMetrics:
    return PrometheusMetrics(Prometheus(url=url, **kwargs))


def test_prometheus_down_is_metrics_unavailable_with_the_cause() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    with pytest.raises(MetricsUnavailable, match="Connection refused|Failed to establish") as err:
        adapter(url).read(NS, ["catalogue", "carts"])
    assert url in str(err.value) and err.value.__cause__ is not None
    assert time.monotonic() - started < 2  # no retries, and one failure ends the read


@pytest.mark.parametrize(("code", "body", "cause"), [
    (200, "<html>not Prometheus</html>", "JSONDecodeError"),
    (200, '{"status": "success"}', "KeyError"),
    (502, "bad gateway", "HTTP Status Code 502"),
])
def test_garbage_is_metrics_unavailable_with_the_cause(fake_prometheus: Callable[[Answer], str], code: int,
                                                       body: str, cause: str) -> None:
    url = fake_prometheus(lambda q: (code, body))
    with pytest.raises(MetricsUnavailable, match=cause) as err:
        adapter(url).read(NS, ["catalogue"])
    assert "k8s.monitoring.prometheus.queries.error_rate_pct for sock-shop/catalogue" in str(err.value)
    assert not isinstance(err.value.__cause__, MetricsUnavailable)


def test_slow_prometheus_is_metrics_unavailable_after_timeout_s(fake_prometheus: Callable[[Answer], str]) -> None:
    url = fake_prometheus(lambda q: (0, ""))
    started = time.monotonic()
    with pytest.raises(MetricsUnavailable, match="no answer within 0.3 s"):
        adapter(url, timeout_s=0.3).read(NS, ["catalogue", "carts", "orders"])
    assert time.monotonic() - started < 2  # the first timeout ends the read



def test_a_read_asks_its_queries_concurrently_under_one_deadline(fake_prometheus: Callable[[Answer], str]) -> None:
    # Real time on purpose (the bound is the promise): 14 services x 4 signals each answered after
    # 0.4 s would take over 22 s one after another; together they fit in one 2 s timeout.
    def slow(q: dict[str, str]) -> tuple[int, str]:
        time.sleep(0.4)  # the server is slow, not the test waiting for something
        return 200, vector("1")

    services = ["front-end", "catalogue", "catalogue-db", "carts", "carts-db", "orders", "orders-db", "payment",
                "shipping", "queue-master", "rabbitmq", "session-db", "user", "user-db"]
    started = time.monotonic()
    read = adapter(fake_prometheus(slow), timeout_s=2.0).read(NS, services)
    took = time.monotonic() - started
    assert set(read) == set(services) and all(s.error_rate_pct == 1.0 for s in read.values())
    assert took < 3.0, took  # within the one deadline (timeout_s + connecting)

def test_empty_and_nan_are_not_measured_and_nothing_at_all_is_unavailable(
        fake_prometheus: Callable[[Answer], str]) -> None:
    def answer(q: dict[str, str]) -> tuple[int, str]:
        query = q["query"]
        if "histogram_quantile" in query:
            return 200, vector("NaN")  # no traffic in the window
        if "container_memory" in query and 'carts-' in query:
            return 200, vector("330.5")
        if "container_cpu" in query:
            return 200, json.dumps({"status": "success", "data": {"resultType": "scalar",
                                                                  "result": [1.8e9, "12.25"]}})
        return 200, vector()  # no series matched

    read = adapter(fake_prometheus(answer)).read(NS, ["carts", "payment"])
    assert read["carts"] == Signals(cpu_millicores=12.2, memory_mib=330.5)  # round(12.25, 1)
    assert read["payment"] == Signals(cpu_millicores=12.2)
    with pytest.raises(MetricsUnavailable, match="matched no series for carts in sock-shop; .*prometheus.preset \\('manifests-monitoring': service_label 'name'"):
        adapter(fake_prometheus(lambda q: (200, vector()))).read(NS, ["carts"])


def test_template_errors_name_the_template(fake_prometheus: Callable[[Answer], str]) -> None:
    rejected = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error"})
    with pytest.raises(MetricsUnavailable, match="queries.error_rate_pct .* 400 .* fix the template"):
        adapter(fake_prometheus(lambda q: (400, rejected))).read(NS, ["carts"])
    with pytest.raises(MetricsUnavailable, match="2 series matched; the template must aggregate"):
        adapter(fake_prometheus(lambda q: (200, vector("1", "2")))).read(NS, ["carts"])
    broken = Prometheus().queries.model_copy(update={"memory_mib": "sum(x{{pod='{pod}'}})"})
    with pytest.raises(ConfigError, match="queries.memory_mib: .* bad placeholder"):
        PrometheusMetrics(Prometheus(queries=broken))


def test_twin_serves_the_exposition_routes(stack: Stack) -> None:
    def get(path: str) -> tuple[int, str, str]:
        try:
            with urllib.request.urlopen(stack.twin_url + path, timeout=5) as r:
                return r.status, r.headers["Content-Type"], r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, "", ""

    stack.wait_healthy()
    code, kind, text = get(f"/metrics/{NS}/catalogue")
    assert (code, kind) == (200, "text/plain; version=0.0.4; charset=utf-8")
    assert 'request_duration_seconds_count{method="GET",route="catalogue",status_code="200",isWS="false"}' in text
    assert get(f"/metrics/{NS}/catalogue-db")[::2] == (200, "")  # a database exports nothing
    code, kind, text = get(f"/metrics/{NS}/queue-master")  # Spring Boot's actuator, not Prometheus
    assert (code, kind) == (200, "application/vnd.spring-boot.actuator.v1+json;charset=UTF-8")
    assert json.loads(text)["uptime"] > 0
    assert get(f"/metrics/{NS}/nothing")[0] == 404 and get("/metrics/nowhere/catalogue")[0] == 404
    assert "container_cpu_usage_seconds_total{" in get("/metrics/cadvisor")[2]
    assert f'kubernetes_namespace="{NS}",name="front-end"' in get("/metrics")[2]


def test_calls_seen_in_a_request_metric_with_a_caller_label_join_the_inventory(
        fake_prometheus: Callable[[Answer], str], deps: Deps) -> None:
    # A mesh's request metric (Istio's shape) shows a call no manifest names: queue-master -> catalogue.
    from dataclasses import replace

    from agent.adapters.prometheus import PrometheusCalls
    from agent.inventory.discovery import discover

    def mesh(q: dict[str, str]) -> tuple[int, str]:
        assert 'destination_workload_namespace="sock-shop"' in q["query"]
        series = [{"metric": {"source_workload": "queue-master", "destination_workload": "catalogue"}, "value": [1.8e9, "2"]},
                  {"metric": {"source_workload": "front-end", "destination_workload": "front-end"}, "value": [1.8e9, "1"]},
                  {"metric": {"source_workload": "ghost", "destination_workload": "catalogue"}, "value": [1.8e9, "1"]}]
        return 200, json.dumps({"status": "success", "data": {"resultType": "vector", "result": series}})

    query = ('sum by (source_workload, destination_workload) (rate(istio_requests_total'
             '{{destination_workload_namespace="{namespace}"}}[{window}]))')
    calls = PrometheusCalls(adapter(fake_prometheus(mesh), calls_query=query))
    assert calls.observed_calls("sock-shop") == [
        ("ghost", "catalogue", "prometheus source_workload=ghost destination_workload=catalogue"),
        ("queue-master", "catalogue", "prometheus source_workload=queue-master destination_workload=catalogue"),
    ]
    inv = discover(replace(deps, call_source=calls))
    [seen] = [d for d in inv.dependencies if (d.source, d.target) == ("queue-master", "catalogue")]
    assert seen.sync and seen.evidence.startswith("prometheus source_workload=queue-master")
    assert not any(d.source == "ghost" for d in inv.dependencies)  # not a workload of the stack
