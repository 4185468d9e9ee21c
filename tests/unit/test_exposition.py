"""The twin's Prometheus exposition: text format, labels per client library, and counters that
integrate the model's server-side view over virtual time and never go backwards while a process
lives. Pure: a seeded state, no server. What the series mean (test_exposition_fidelity.py)."""

from __future__ import annotations

import re

import pytest

from twin import exposition, traffic
from twin.exposition import GO_BUCKETS, JAVA_BUCKETS, bucket_shares, integrate, request_rates
from twin.model import served, signals
from twin.operator import reconcile
from twin.seed import DEFAULT_MANIFESTS, seed_state
from twin.state import State, okey

T0 = 1_800_000_000.0
NS = "sock-shop"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (\d+))?$")  # cAdvisor: + ms
LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def seeded() -> State:
    return seed_state(DEFAULT_MANIFESTS, seed=42, now=T0)


@pytest.fixture
def state(seeded: State) -> State:
    return seeded.model_copy(deep=True)


def histogram_quantile(q: float, bounds: tuple[float, ...], cumulative: list[float]) -> float:
    """Prometheus 2.42's bucketQuantile (promql/quantile.go), for one histogram."""
    rank = q * cumulative[-1]
    b = next((i for i, c in enumerate(cumulative[:-1]) if c >= rank), len(bounds))
    if b == len(bounds):
        return bounds[-1]
    start, count = (bounds[b - 1], cumulative[b] - cumulative[b - 1]) if b else (0.0, cumulative[0])
    below = cumulative[b - 1] if b else 0.0
    return start + (bounds[b] - start) * (rank - below) / count


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    """(name, labels, value) of every sample line; fails on anything that is not the format."""
    out = []
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) \w+ ", line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        assert (match.group(4) is None) == (not match.group(1).startswith("container_")), line
        labels = dict(LABEL.findall(match.group(2) or ""))
        out.append((match.group(1), labels, float(match.group(3))))
    return out


def advance(state: State, seconds: float, *, speed: float | None = None) -> None:
    reconcile(state, state.now + seconds)
    integrate(state, NS, speed=speed)


@pytest.mark.parametrize("bounds", [GO_BUCKETS, JAVA_BUCKETS])
def test_bucket_shares_make_histogram_quantile_answer_the_p95(bounds: tuple[float, ...]) -> None:
    for p95_ms in [4.75, 5, 7.3, 11, 25, 64.9, 90.5, 120, 999, 2000, 5010, 9999.9, 10000]:
        shares = bucket_shares(bounds, p95_ms / 1000)
        assert len(shares) == len(bounds) + 1 and shares[-1] == 1.0
        assert all(0 <= a <= b <= 1 for a, b in zip(shares, shares[1:], strict=False)), p95_ms
        assert histogram_quantile(0.95, bounds, shares) * 1000 == pytest.approx(p95_ms, rel=1e-9)
    # the histogram's own limits, as on a cluster: 0.95 * the first bound, and the last bound
    assert histogram_quantile(0.95, bounds, bucket_shares(bounds, 0.003)) == pytest.approx(0.00475)
    assert histogram_quantile(0.95, bounds, bucket_shares(bounds, 42.0)) == 10.0


def test_request_rates_follow_the_call_graph(state: State) -> None:
    rates = request_rates(state.topology)
    assert rates["front-end"] == traffic.ENTRY_RPS
    assert rates["catalogue"] == pytest.approx(0.22 * 20)
    assert rates["payment"] == pytest.approx(0.11 * 20)  # every order pays
    assert rates["user"] == pytest.approx((0.22 + 0.11) * 20)  # front-end, and orders' links
    assert rates["queue-master"] == 0.0  # it consumes a queue; nobody calls it over HTTP


def test_each_service_labels_requests_like_its_client_library(state: State) -> None:
    advance(state, 60)
    go = samples(exposition.service_text(state, NS, "catalogue"))
    java = samples(exposition.service_text(state, NS, "carts"))
    node = samples(exposition.service_text(state, NS, "front-end"))
    assert {frozenset(labels) - {"le"} for _, labels, _ in go} == {
        frozenset({"method", "route", "status_code", "isWS"})}
    assert {frozenset(labels) - {"le"} for _, labels, _ in java + node} == {
        frozenset({"service", "method", "route", "status_code"})}
    assert {labels["method"] for _, labels, _ in node} <= {"get", "post", "delete"}  # lower-case
    assert {labels["le"] for _, labels, _ in java if "le" in labels} >= {"1.0", "7.5", "+Inf"}
    assert {labels["le"] for _, labels, _ in go if "le" in labels} >= {"1", "10", "+Inf"}
    for quiet in ("catalogue-db", "session-db", "queue-master"):  # rabbitmq: its exporter's series
        assert exposition.service_text(state, NS, quiet) == "", quiet


def test_histograms_are_cumulative_and_count_is_the_inf_bucket(state: State) -> None:
    advance(state, 60)
    series: dict[tuple[tuple[str, str], ...], list[float]] = {}
    counts = {}
    for name, labels, value in samples(exposition.service_text(state, NS, "orders")):
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        if name.endswith("_bucket"):
            series.setdefault(key, []).append(value)
        elif name.endswith("_count"):
            counts[key] = value
    assert series and series.keys() == counts.keys()
    for key, buckets in series.items():
        assert buckets == sorted(buckets) and buckets[-1] == counts[key]


def test_all_metrics_labels_like_prometheus_and_declares_each_family_once(state: State) -> None:
    advance(state, 30)
    text = exposition.all_text(state)
    assert [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")] == [
        "request_duration_seconds", "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes"]
    parsed = samples(text)
    requests = [labels for name, labels, _ in parsed if name.startswith("request_duration")]
    assert {(labels["kubernetes_namespace"], labels["name"]) for labels in requests} == {
        (NS, s) for s in ("front-end", "catalogue", "carts", "orders", "payment", "shipping", "user")}
    cpu = [labels for name, labels, _ in parsed if name == "container_cpu_usage_seconds_total"]
    pods = {p["metadata"]["name"] for key, p in state.bucket("core/v1/pods").items() if key.startswith(NS)}
    assert {labels["pod"] for labels in cpu if labels["namespace"] == NS} == pods
    assert {labels["container"] for labels in cpu if labels["pod"].startswith("rabbitmq-")} == {
        "rabbitmq", "rabbitmq-exporter", ""}  # the kbudde/rabbitmq-exporter sidecar too


def totals(state: State, service: str) -> tuple[float, float, float]:
    """(requests, errors, CPU seconds) a service has exposed so far (its live containers' CPU)."""
    counters = state.counters[okey(NS, service)]
    requests = {status: h.buckets[-1] for status, h in counters.requests.items()}
    pods = {p["metadata"]["name"] for p in exposition._pods(state, NS, service)}
    cpu = sum(c.cpu_seconds for c in state.containers.values()
              if c.pod in pods and c.container and c.ended_at is None)
    return sum(requests.values()), requests.get("500", 0.0), cpu


def test_counters_integrate_what_each_process_served_and_never_go_backwards(state: State) -> None:
    integrate(state, NS, speed=None)
    names = ("front-end", "catalogue", "orders")
    start = {name: totals(state, name) for name in names}
    expected = {name: [0.0, 0.0, 0.0] for name in names}  # requests, errors, CPU seconds
    rates = request_rates(state.topology)
    key = next(k for k, p in state.bucket("core/v1/pods").items() if k.startswith(f"{NS}/catalogue-")
               and not k.startswith(f"{NS}/catalogue-db"))
    previous = dict(start)
    for step in range(30):
        if step == 10:  # catalogue's pod restarts: NotReady for 100 s, nobody serves its requests
            state.pods[key] = state.pods[key].model_copy(
                update={"ready_at": state.now + 100, "process_ready_at": state.now + 10})
        advance(state, 10)
        views, model = served(state, NS, state.now), signals(state, NS, state.now)
        for name in names:
            now = totals(state, name)
            assert all(a >= b for a, b in zip(now, previous[name], strict=True)), (name, step)
            previous[name] = now
            n = rates[name] * views[name].share * 10
            failed = n * views[name].error_rate_pct / 100
            java = name == "orders"  # records successes only
            expected[name][0] += n - failed if java else n
            expected[name][1] += 0.0 if java else failed
            expected[name][2] += model[name].cpu_millicores / 1000 * 10
    for name, before in start.items():
        grown = [a - b for a, b in zip(totals(state, name), before, strict=True)]
        assert grown == pytest.approx(expected[name], rel=1e-6, abs=1e-9), name
    assert expected["catalogue"][0] == pytest.approx(rates["catalogue"] * 210)  # 9 steps unserved
    assert expected["front-end"][1] > 0.2 * rates["front-end"] * 100  # its caller's errors instead


def test_speed_divides_every_counter_so_rates_are_per_real_second(state: State) -> None:
    fast = state.model_copy(deep=True)
    integrate(state, NS, speed=None)
    integrate(fast, NS, speed=60)
    before, before_fast = totals(state, "carts"), totals(fast, "carts")
    for _ in range(6):
        advance(state, 10)
        advance(fast, 10, speed=60)
    grown = [a - b for a, b in zip(totals(state, "carts"), before, strict=True)]
    grown_fast = [a - b for a, b in zip(totals(fast, "carts"), before_fast, strict=True)]
    assert grown_fast == pytest.approx([g / 60 for g in grown], rel=1e-9)


def test_counters_survive_a_reload_of_the_state_file(state: State) -> None:
    advance(state, 30)
    before = totals(state, "front-end")
    reloaded = State.model_validate_json(state.model_dump_json())
    assert totals(reloaded, "front-end") == before
    advance(reloaded, 30)
    assert all(a > b for a, b in zip(totals(reloaded, "front-end"), before, strict=True))
    after = totals(reloaded, "front-end")
    assert not integrate(reloaded, NS, speed=None)  # no time passed: nothing moves
    assert totals(reloaded, "front-end") == after
