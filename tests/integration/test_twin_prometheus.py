"""--twin through a real Prometheus (agent.adapters.prometheus_local): the twin stamps its samples on
its virtual clock (twin.stamped), the private Prometheus keeps them, and the production PromQL reads
them at the run's time. No sleeps: the twin's clock moves only when the test (or the warm-up) says."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from agent.adapters.prometheus_local import installed, local_prometheus
from agent.adapters.twin import TwinClock
from agent.config import Settings
from twin import TwinServer

NS = "sock-shop"
SERVICES = ["front-end", "catalogue", "carts-db"]

pytestmark = pytest.mark.skipif(installed() is None, reason="prometheus is not on PATH; run ./scripts/system-deps.sh")


def _query(url: str, promql: str, at: float) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': promql, 'time': at})}",
                                timeout=5) as answer:  # noqa: S310 - loopback
        result: list[dict[str, object]] = json.loads(answer.read())["data"]["result"]
    return result


def _get(url: str) -> dict[str, dict[str, dict[str, float]]]:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
        found: dict[str, dict[str, dict[str, float]]] = json.loads(answer.read())
    return found


def test_signals_come_from_promql_on_the_twins_clock_and_the_process_goes_with_the_block(tmp_path: Path) -> None:
    settings = Settings()
    binary = installed()
    assert binary is not None
    with TwinServer(tmp_path / "twin.json", start_time=1_800_000_000.0) as twin:
        clock = TwinClock(twin.url, speed=None)  # moves only when slept: no real time needed
        start = clock.now()
        with local_prometheus(binary, twin.url, clock, settings.k8s.monitoring.prometheus, poll_s=2.0,
                              root=tmp_path / "prometheus") as metrics:
            read = metrics.read(NS, SERVICES)
            model = _get(f"{twin.url}/twin/v1/signals?namespace={NS}")["services"]
            pid, workdir = metrics.local.pid, metrics.local._dir
            now = clock.now()
            newest = _query(metrics.local.url, f'max(timestamp(container_memory_working_set_bytes{{namespace="{NS}"}}))',
                            now.timestamp() - metrics.local.shift_s)
            for _ in range(5):
                clock.sleep(2.0)
                metrics.read(NS, SERVICES)
            history = metrics.range(NS, SERVICES, now, clock.now())
    # the first read waited for a full rate() window of the twin's clock (five ticks, 10 s: not the
    # stack's 1m, a cluster's), scraped as it passed; the queries ask for that window
    assert (now - start).total_seconds() >= 10
    assert "[10s]" in metrics.describe(NS, "front-end", "error_rate_pct")
    front, model_front = read["front-end"], model["front-end"]  # the same moment, read two ways
    assert front.error_rate_pct is not None
    assert front.latency_p95_ms == pytest.approx(model_front["latency_p95_ms"], rel=0.15)
    assert front.cpu_millicores == pytest.approx(model_front["cpu_millicores"], rel=0.15)
    assert front.memory_mib == pytest.approx(model_front["memory_mib"], rel=0.15)
    # a data store exports no request metrics: PromQL finds none, as on a cluster; cAdvisor has it
    assert read["carts-db"].error_rate_pct is None and read["carts-db"].latency_p95_ms is None
    assert read["carts-db"].memory_mib is not None
    # samples carry the twin's time (shifted onto Prometheus's axis), not the scrape's wall time: the
    # newest is at most two monitor ticks (the read's allowed lag) behind the twin's now
    stamped = float(newest[0]["value"][1]) + metrics.local.shift_s  # type: ignore[index]
    assert now.timestamp() - 4.0 <= stamped <= now.timestamp()
    assert abs(float(newest[0]["value"][1]) - time.time()) > 3600  # type: ignore[index]
    # the range read comes back on the run's clock, at the resolution reads guarantee (2 ticks of 2 s)
    assert history.step_s == 4.0
    assert [s.at.timestamp() - now.timestamp() for s in history.samples] == [0.0, 4.0, 8.0]
    assert all(s.services["front-end"].error_rate_pct is not None for s in history.samples)
    # gone with the block: the process (reaped) and its directory
    assert pid is not None and workdir is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not workdir.exists()


def test_a_bad_stamp_parameter_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with TwinServer(tmp_path / "twin.json", start_time=1_800_000_000.0) as twin:
        before = (tmp_path / "twin.json").read_bytes()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{twin.url}/metrics/cadvisor?timestamps=virtual&shift_s=soon", timeout=5)  # noqa: S310
        assert refused.value.code == 400
        assert "shift_s='soon': expected a number of seconds" in json.loads(refused.value.read())["message"]
        assert (tmp_path / "twin.json").read_bytes() == before
        with urllib.request.urlopen(f"{twin.url}/metrics/cadvisor?timestamps=virtual&shift_s=100",  # noqa: S310
                                    timeout=5) as answer:
            lines = [line for line in answer.read().decode().splitlines() if line and not line.startswith("#")]
    assert lines and all(line.endswith(" 1799999900000") for line in lines)
