"""What the twin's exposition means: only what real Sock Shop would export (issue 19, evidence
rows #3, #4, #7, #9, #11, #12, #13). Parsed with prometheus_client's text parser; pure, no server.

- carts, orders, shipping record successes only, with their real codes and routes;
- a service no listening process serves records nothing; its callers record the errors;
- network faults on a service show at its callers, not in its own histogram;
- kubelet probes and scrapes are requests too (Go: route="health"/"metrics"; front-end: "/");
- queue-master's /metrics is actuator JSON, rabbitmq's is its exporter sidecar's;
- cAdvisor samples carry timestamps, gone containers linger for the lookback, restarts churn.
"""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.test_exposition import histogram_quantile
from twin import exposition
from twin.cadvisor import LOOKBACK_S
from twin.exposition import GO_BUCKETS, JAVA_BUCKETS, integrate, request_rates
from twin.operator import reconcile
from twin.pods import replace_pod, restart_container
from twin.seed import DEFAULT_MANIFESTS, seed_state
from twin.state import POD_KEY, FaultRun, KObj, State, Target, okey

T0 = 1_800_000_000.0
NS = "sock-shop"
WALL = 1_765_000_000.0  # the scrape's wall clock (epoch s), as the server passes it

Series = dict[tuple[str, frozenset[tuple[str, str]]], tuple[float, float | None]]


@pytest.fixture(scope="module")
def seeded() -> State:
    return seed_state(DEFAULT_MANIFESTS, seed=42, now=T0)


@pytest.fixture
def state(seeded: State) -> State:
    fresh = seeded.model_copy(deep=True)
    integrate(fresh, NS, speed=None, wall_s=WALL)
    return fresh


def parse(text: str) -> Series:
    """(sample name, labels) -> (value, timestamp s or None), through prometheus_client's parser."""
    return {(s.name, frozenset(s.labels.items())): (s.value, s.timestamp)
            for family in text_string_to_metric_families(text) for s in family.samples}


def advance(state: State, seconds: float, *, wall_s: float = WALL) -> None:
    reconcile(state, state.now + seconds)
    integrate(state, NS, speed=None, wall_s=wall_s)


def pod(state: State, service: str) -> KObj:
    [found] = exposition._pods(state, NS, service)
    return found


def counts(state: State, service: str) -> dict[tuple[str, str], float]:
    """(route, status_code) -> requests the service has exposed."""
    out: dict[tuple[str, str], float] = {}
    for (name, labels), (value, _) in parse(exposition.service_text(state, NS, service)).items():
        if name == "request_duration_seconds_count":
            found = dict(labels)
            out[(found["route"], found["status_code"])] = value
    return out


def p95_ms(before: State, after: State, service: str, *, routes: set[str]) -> float:
    """histogram_quantile(0.95) of what the service recorded between two states, on `routes`."""
    bounds = JAVA_BUCKETS if service in ("carts", "orders", "shipping") else GO_BUCKETS
    les = [*(repr(b) if bounds is JAVA_BUCKETS else format(b, "g") for b in bounds), "+Inf"]

    def cumulative(state: State) -> list[float]:
        sums = dict.fromkeys(les, 0.0)
        for (name, labels), (value, _) in parse(exposition.service_text(state, NS, service)).items():
            found = dict(labels)
            if name == "request_duration_seconds_bucket" and found["route"] in routes:
                sums[found["le"]] += value
        return [sums[le] for le in les]

    delta = [b - a for a, b in zip(cumulative(before), cumulative(after), strict=True)]
    return 1000 * histogram_quantile(0.95, bounds, delta)


def network_fault(state: State, service: str, **params: str) -> None:
    fault = "pod-network-latency" if "NETWORK_LATENCY" in params else "pod-network-loss"
    target = pod(state, service)["metadata"]["name"]
    state.runs.append(FaultRun(
        engine_uid="u1", namespace=NS, engine="e1", experiment=fault, fault=fault, result="e1-r",
        started_at=state.now, inject_at=state.now, end_at=state.now + 600, params=params,
        targets=[Target(namespace=NS, pod=target, workload=service, kind="deployment")]))


def test_java_services_record_successes_only_with_their_real_routes_and_codes(state: State) -> None:
    advance(state, 60)
    assert set(counts(state, "carts")) == {("/carts/{customerId:.*}/items", "200"),
                                           ("/carts/{customerId:.*}/items", "201"), ("/carts/{customerId}", "202")}
    assert set(counts(state, "orders")) == {("/orders", "201")}
    assert set(counts(state, "shipping")) == {("/shipping", "201")}
    orders_before, edge_before = counts(state, "orders"), counts(state, "front-end")
    key = okey(NS, pod(state, "payment")["metadata"]["name"])  # payment stops serving: every order fails
    state.pods[key] = state.pods[key].model_copy(update={"ready_at": state.now + 1000})
    advance(state, 60)
    orders = counts(state, "orders")
    assert set(orders) == {("/orders", "201")}, orders  # never a 5xx child: failures are not observed
    grown = orders[("/orders", "201")] - orders_before[("/orders", "201")]
    assert grown < 0.01 * request_rates(state.topology)["orders"] * 60  # not one success to count
    edge = counts(state, "front-end")
    assert edge[("/orders", "500")] - edge_before.get(("/orders", "500"), 0.0) > 0  # front-end sees them


def test_a_service_no_process_serves_records_nothing_and_its_caller_records_the_errors(state: State) -> None:
    advance(state, 60)
    served_before = counts(state, "catalogue")[("catalogue", "200")]
    edge_before = sum(counts(state, "front-end").values())
    edge_errors_before = sum(n for (_, code), n in counts(state, "front-end").items() if code == "500")
    replace_pod(state, pod(state, "catalogue"), state.now, start_s=2)  # NotReady for 182 s
    advance(state, 100)
    assert counts(state, "catalogue") == {}  # a new process, no request yet: no series at all
    edge = counts(state, "front-end")
    errors = sum(n for (_, code), n in edge.items() if code == "500") - edge_errors_before
    assert 100 * errors / (sum(edge.values()) - edge_before) == pytest.approx(22, abs=1.5)  # /catalogue + cart
    advance(state, 100)  # Ready at 182 s: served again, counters from 0 (a new process)
    assert 0 < counts(state, "catalogue")[("catalogue", "200")] < served_before / 100


@pytest.mark.parametrize("params", [{"NETWORK_LATENCY": "2000"}, {"NETWORK_PACKET_LOSS_PERCENTAGE": "40"},
                                    {"NETWORK_PACKET_LOSS_PERCENTAGE": "100"}])
def test_network_faults_on_a_service_show_at_its_callers_not_in_its_own_histogram(
        state: State, params: dict[str, str]) -> None:
    advance(state, 60)
    before = state.model_copy(deep=True)
    network_fault(state, "payment", **params)
    advance(state, 60)
    assert ("paymentauth", "500") not in counts(state, "payment")  # the leaf's own handler neither fails
    assert p95_ms(before, state, "payment", routes={"paymentauth"}) == pytest.approx(4.75)  # nor slows
    edge, old = counts(state, "front-end"), counts(before, "front-end")
    new_errors = sum(n for (_, code), n in edge.items() if code == "500") - sum(
        n for (_, code), n in old.items() if code == "500")  # the twin spreads them over its routes
    orders_p95 = p95_ms(before, state, "orders", routes={"/orders"})
    calm = 0.01 * request_rates(state.topology)["front-end"] * 60  # its baseline is 0.33 %
    if "NETWORK_LATENCY" in params:  # orders waits for each payment call
        assert orders_p95 > 2000 and new_errors < calm
    elif params["NETWORK_PACKET_LOSS_PERCENTAGE"] == "40":  # TCP retransmits: slow, rarely failing
        assert orders_p95 > 200 and new_errors < calm
    else:  # nothing gets through: orders fails (and records nothing), front-end records the 5xx
        assert new_errors > 0.9 * request_rates(state.topology)["orders"] * 60


def test_go_services_count_kubelet_probes_and_scrapes_and_front_end_its_root_probes(state: State) -> None:
    advance(state, 60)
    before = counts(state, "catalogue")
    advance(state, 60)
    # readiness + liveness on /health every 3 s (complete-demo.yaml): 40 requests a minute
    assert counts(state, "catalogue")[("health", "200")] - before[("health", "200")] == pytest.approx(40)
    assert ("/", "200") in counts(state, "front-end")  # its probes land on its own "/" route
    lines = [line.rsplit(" ", 1)[0] for line in exposition.all_text(state).splitlines() if not line.startswith("#")]
    assert len(lines) == len(set(lines))  # one child per label set: the "/" probes joined the load test's
    scrapes = [exposition.scrape(state, [NS, "catalogue"], speed=None, wall_s=WALL) for _ in range(3)]
    assert all(s is not None and s.content_type == exposition.CONTENT_TYPE for s in scrapes)
    assert counts(state, "catalogue")[("metrics", "200")] == 3  # each one recorded after it answered
    assert not any(route in ("health", "metrics") for route, _ in counts(state, "carts"))  # no probes there


def test_queue_master_serves_actuator_json_that_a_prometheus_parser_rejects(state: State) -> None:
    scraped = exposition.scrape(state, [NS, "queue-master"], speed=None, wall_s=WALL)
    assert scraped is not None and scraped.content_type.startswith("application/vnd.spring-boot.actuator")
    with pytest.raises(ValueError, match="Invalid"):
        parse(scraped.body)


def test_rabbitmq_exports_its_exporter_sidecars_series_and_the_queue_depth(state: State) -> None:
    series = parse(exposition.service_text(state, NS, "rabbitmq"))
    queue = frozenset({("queue", "shipping-task"), ("vhost", "/")})
    assert series[("rabbitmq_up", frozenset())][0] == 1 and series[("rabbitmq_queue_consumers", queue)][0] == 1
    assert not any(name.startswith("request_") for name, _ in series)
    key = okey(NS, pod(state, "queue-master")["metadata"]["name"])
    state.pods[key] = state.pods[key].model_copy(update={"process_ready_at": state.now + 100})
    advance(state, 60)  # nobody consumes: shipping's messages pile up
    series = parse(exposition.service_text(state, NS, "rabbitmq"))
    assert series[("rabbitmq_queue_consumers", queue)][0] == 0
    assert series[("rabbitmq_queue_messages", queue)][0] == round(request_rates(state.topology)["shipping"] * 60)
    advance(state, 60)  # queue-master back: the queue drains
    assert parse(exposition.service_text(state, NS, "rabbitmq"))[("rabbitmq_queue_messages", queue)][0] == 0
    state.pods[key] = state.pods[key].model_copy(update={"process_ready_at": state.now + 100})
    key = okey(NS, pod(state, "rabbitmq")["metadata"]["name"])
    state.pods[key] = state.pods[key].model_copy(update={"process_ready_at": state.now + 100})
    assert parse(exposition.service_text(state, NS, "rabbitmq")) == {("rabbitmq_up", frozenset()): (0.0, None)}


def memory_series(state: State, service: str, wall_s: float) -> dict[str, tuple[float, float | None]]:
    """container id -> (working set bytes, timestamp s) of the service's containers (not the pod cgroup)."""
    text = exposition.cadvisor_text(state, wall_s=wall_s)
    return {dict(labels)["id"]: value for (name, labels), value in parse(text).items()
            if name == "container_memory_working_set_bytes" and dict(labels)["container"] == service}


def test_cadvisor_samples_carry_timestamps_and_a_killed_containers_series_linger(state: State) -> None:
    advance(state, 30, wall_s=WALL + 30)
    [(old, (memory, stamp))] = memory_series(state, "carts", WALL + 30).items()
    assert stamp == WALL + 30  # kubelet's explicit timestamp (ms in the text)
    restart_container(state, pod(state, "carts"), state.now, start_s=40, reason="Error", exit_code=137)
    advance(state, 60, wall_s=WALL + 90)
    series = memory_series(state, "carts", WALL + 95)
    assert series.pop(old) == (memory, WALL + 90)  # still exposed, with its last timestamp
    [(new, (memory_new, stamp_new))] = series.items()
    assert new != old and stamp_new == WALL + 95
    total = sum(v for v, _ in memory_series(state, "carts", WALL + 95).values())
    assert total / memory == pytest.approx(2, rel=0.1)  # sum() counts both, as upstream (row 7)
    cpu = {dict(labels)["id"]: v for (name, labels), (v, _) in parse(exposition.cadvisor_text(state)).items()
           if name == "container_cpu_usage_seconds_total" and dict(labels)["container"] == "carts"}
    assert cpu[new] < cpu[old] / 100  # a new cgroup: its counter started from 0
    advance(state, LOOKBACK_S, wall_s=WALL + 400)
    assert list(memory_series(state, "carts", WALL + 400)) == [new]  # gone after the lookback


def test_a_replaced_pod_lingers_under_its_old_name_and_its_process_counts_from_zero(state: State) -> None:
    advance(state, 60)
    carts = counts(state, "carts")
    old = pod(state, "carts")["metadata"]["name"]
    new = replace_pod(state, pod(state, "carts"), state.now, start_s=40)["metadata"]["name"]
    advance(state, 60)
    pods = {dict(labels)["pod"] for (name, labels) in parse(exposition.cadvisor_text(state))
            if name == "container_memory_working_set_bytes" and dict(labels)["pod"].startswith("carts-")
            and not dict(labels)["pod"].startswith("carts-db")}
    assert pods == {old, new}
    after = counts(state, "carts")  # carts has no readiness probe: Ready at once, serving after 40 s
    assert 0 < sum(after.values()) < 0.1 * sum(carts.values())  # series churn: from 0, not onwards
    assert old not in {p["metadata"]["name"] for p in state.bucket(POD_KEY).values()}
