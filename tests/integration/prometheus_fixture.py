"""A real Prometheus (the binary on PATH; scripts/system-deps.sh installs Debian's) scraping the
twin, started per test module on a free loopback port with its own config and TSDB directory.

The scrape config emulates what a cluster's Prometheus sees (FACTS.md section 3): one target per
annotated Service, labelled `name` and `kubernetes_namespace` as the kubernetes-service-endpoints
job labels it, and a cAdvisor job whose series carry `namespace` and `pod` themselves. Startup is
waited for on conditions (ready, a first `up == 1`, then an `up` sample of every target: queue-master's
scrape fails, as upstream's does), never on a fixed sleep.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml

T = TypeVar("T")
POLL_S = 0.05  # how often conditions are re-checked


def poll_until(check: Callable[[], T | None], *, timeout_s: float, what: str) -> T:
    """The first truthy value of ``check()``, polled until ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(POLL_S)


def free_port() -> int:
    """A TCP port nothing listens on right now (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass(frozen=True)
class Startup:
    """Real seconds from starting the process until each milestone."""

    ready_s: float  # /-/ready answers 200
    first_up_s: float  # some target has up == 1 (its first successful scrape is stored)
    all_up_s: float  # every target has been scraped (up is 1, or 0 where the scrape fails)


@dataclass(frozen=True)
class RunningPrometheus:
    """A Prometheus serving at ``url``."""

    url: str
    targets: int
    startup: Startup

    def query(self, promql: str) -> list[dict[str, object]]:
        """An instant query's result vector."""
        url = f"{self.url}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            result: list[dict[str, object]] = json.loads(response.read())["data"]["result"]
        return result


def scrape_config(twin: str, services: list[tuple[str, str]], *, interval: str,
                  scheme: str = "manifests-monitoring", pods: dict[str, str] | None = None) -> str:
    """prometheus.yml for the twin at ``twin`` (host:port): one target per (namespace, service),
    labelled as ``scheme`` labels it: ``manifests-monitoring`` (Sock Shop's own Prometheus:
    ``name``, ``kubernetes_name``, ``kubernetes_namespace``) or ``kube-prometheus`` (a Prometheus
    Operator ServiceMonitor: ``namespace``, ``service``, ``pod`` (from ``pods``), ``endpoint``,
    ``job``; the app's own ``service`` label becomes ``exported_service``, as under honor_labels: false)."""
    def labels(ns: str, svc: str) -> dict[str, str]:
        if scheme == "kube-prometheus":
            return {"namespace": ns, "service": svc, "pod": (pods or {}).get(svc, svc), "endpoint": "http",
                    "job": svc}
        return {"name": svc, "kubernetes_name": svc, "kubernetes_namespace": ns}

    endpoints = [{"targets": [twin], "labels": {"__metrics_path__": f"/metrics/{ns}/{svc}", **labels(ns, svc)}}
                 for ns, svc in services]
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": "kubernetes-service-endpoints", "static_configs": endpoints},
            {"job_name": "kubernetes-cadvisor", "metrics_path": "/metrics/cadvisor",
             "static_configs": [{"targets": [twin]}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return bytes(response.read())
    except (urllib.error.URLError, OSError):
        return None


def _up_count(url: str, query: str = "count(up == 1)") -> int:
    body = _get(f"{url}/api/v1/query?{urllib.parse.urlencode({'query': query})}")
    result = json.loads(body)["data"]["result"] if body else []
    return int(result[0]["value"][1]) if result else 0


@contextmanager
def run_prometheus(workdir: Path, config: str, *, targets: int,
                   timeout_s: float = 30) -> Iterator[RunningPrometheus]:
    """Start ``prometheus`` with ``config``; yield once all ``targets`` have been scraped; kill it after."""
    binary = shutil.which("prometheus")
    if binary is None:
        import pytest

        pytest.skip("prometheus is not on PATH; run ./scripts/system-deps.sh")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text(config)
    url = f"http://127.0.0.1:{free_port()}"
    log = (workdir / "prometheus.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [binary, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address={url.removeprefix('http://')}", "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        def alive(value: T) -> T:
            assert process.poll() is None, (workdir / "prometheus.log").read_text()[-2000:]
            return value

        poll_until(lambda: alive(_get(f"{url}/-/ready")), timeout_s=timeout_s, what="Prometheus ready")
        ready = time.monotonic() - started
        poll_until(lambda: alive(_up_count(url) >= 1), timeout_s=timeout_s, what="a first up == 1")
        first = time.monotonic() - started
        poll_until(lambda: alive(_up_count(url, "count(up)") >= targets), timeout_s=timeout_s,
                   what=f"a first scrape of all {targets} targets")  # up == 0 for queue-master, as upstream
        yield RunningPrometheus(url, targets, Startup(ready, first, time.monotonic() - started))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
