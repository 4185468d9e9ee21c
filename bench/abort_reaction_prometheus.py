"""Abort reaction with a real Prometheus at a 1 s scrape: fault injected -> breach visible -> stop.

    python bench/abort_reaction_prometheus.py [--runs 3] [--window 10s]

Each run starts fresh: the Sock Shop twin in real time (TwinServer speed 1.0), a Prometheus (the
binary on PATH, Debian's package) scraping it every second, and the real graph as on a real
cluster (kubernetes client, Prometheus adapter, SQLite checkpointer, wall clock) with a 1 s poll
interval, on a catalogue pod-delete whose threshold (front-end errors > 5 %) the outage breaches.
Prometheus is waited for on conditions (every target up, then one full rate() window of samples)
before the run starts, so the baseline reads a settled window. Wall-clock marks per run:

    t0  the ChaosEngine create returned: the twin deletes the pod in that request (RAMP_TIME is
        empty in pod-delete's ChaosExperiment)
    t1  the breach became visible: a side thread asks Prometheus the adapter's own front-end
        error-rate query every 100 ms; t1 is the last probe that did NOT see it, so t1 is at most
        one probe early and "visible -> stop" is an upper bound
    t2  the stop patch (engineState: stop) returned from the twin

Target (issue 8): visible -> stop within one poll interval + 0.5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.adapters.audit_file import MemoryAuditLog  # noqa: E402
from agent.adapters.clock import SystemClock  # noqa: E402
from agent.adapters.kube import connect  # noqa: E402
from agent.adapters.prometheus import PrometheusMetrics  # noqa: E402
from agent.adapters.terminal import TerminalNotifier  # noqa: E402
from agent.config import Prometheus, Settings, load_settings  # noqa: E402
from agent.engines.litmus import ChaosEngineManifest  # noqa: E402
from agent.models import (  # noqa: E402
    Decision,
    EngineRef,
    Signals,
)
from agent.ports import Cluster, Deps, Metrics  # noqa: E402
from agent.run.audited import AuditedCluster  # noqa: E402
from agent.run.files import FileRunStore  # noqa: E402
from agent.wiring import open_checkpointer  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402
from tests.factories import OneSpec, catalogue_delete  # noqa: E402
from tests.integration.prometheus_fixture import poll_until, run_prometheus, scrape_config  # noqa: E402
from twin import TwinServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NS = "sock-shop"
POLL_S = 1.0  # the monitor's poll interval under test
SCRAPE = "1s"
PROBE_S = 0.1  # how often the side thread asks Prometheus
THRESHOLD_PCT = 5.0

SPEC = catalogue_delete(THRESHOLD_PCT, duration_s=120)  # front-end errors > 5 % abort it


# --- a Prometheus of our own (tests/integration/prometheus_fixture.py, as the tests run it) -------


def get_json(url: str, timeout: float = 2) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            data: dict[str, object] = json.loads(response.read())
            return data
    except (urllib.error.URLError, OSError, ValueError):
        return None


def query(prom: str, promql: str) -> float | None:
    """An instant query's single value; None when nothing (or NaN) came back."""
    body = get_json(f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
    result = body["data"]["result"] if body else []  # type: ignore[index]
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if value != value else value  # NaN: no traffic in the window


@contextmanager
def prometheus(workdir: Path, config: str, *, targets: int, window_s: int) -> Iterator[str]:
    """Start ``prometheus``; yield its URL once every target is up and one window is full."""
    if shutil.which("prometheus") is None:
        raise SystemExit("prometheus is not on PATH; run ./scripts/system-deps.sh")
    with run_prometheus(workdir, config, targets=targets) as running:
        full = f"min(count_over_time(up[{window_s}s]))"
        poll_until(lambda: (query(running.url, full) or 0) >= window_s, timeout_s=window_s + 30, what="a full window")
        yield running.url


# --- the run, with wall-clock marks -----------------------------------------------------------


@dataclass
class Marks:
    """Wall-clock marks (time.perf_counter()) of one run."""

    applied: float | None = None  # t0
    visible: float | None = None  # t1 (the last probe that did not see the breach)
    stopped: float | None = None  # t2
    agent_read: float | None = None  # the agent's breaching read returned
    read_s: list[float] = field(default_factory=list)  # how long each of the agent's reads took
    probes: list[tuple[float, float | None]] = field(default_factory=list)


class TimedMetrics:
    """The Prometheus adapter, stamping when the first read showing the breach returned."""

    def __init__(self, inner: Metrics, marks: Marks) -> None:
        self._inner, self._marks = inner, marks

    def describe(self, namespace: str, service: str, signal: str) -> str:
        return self._inner.describe(namespace, service, signal)

    def read(self, namespace: str, services: list[str]) -> dict[str, Signals]:
        started = time.perf_counter()
        out = self._inner.read(namespace, services)
        self._marks.read_s.append(time.perf_counter() - started)
        fe = out.get("front-end")
        if self._marks.agent_read is None and fe and (fe.error_rate_pct or 0) > THRESHOLD_PCT:
            self._marks.agent_read = time.perf_counter()
        return out


class TimedCluster(AuditedCluster):
    """The audited cluster port, stamping when the engine create and the stop patch returned."""

    def __init__(self, inner: Cluster, marks: Marks, audit: MemoryAuditLog, clock: SystemClock) -> None:
        super().__init__(inner, audit, clock)
        self._marks = marks

    def apply_engine(self, manifest: ChaosEngineManifest, *, dry_run: bool) -> EngineRef:
        ref = super().apply_engine(manifest, dry_run=dry_run)
        if not dry_run:
            self._marks.applied = time.perf_counter()
        return ref

    def stop_engine(self, namespace: str, name: str) -> None:
        super().stop_engine(namespace, name)
        self._marks.stopped = self._marks.stopped or time.perf_counter()


def probe(prom: str, promql: str, marks: Marks, done: threading.Event) -> None:
    """Ask Prometheus every PROBE_S; t1 = the last probe before the first one above threshold."""
    last_clear: float | None = None
    while not done.is_set():
        sent = time.perf_counter()
        value = query(prom, promql)
        marks.probes.append((sent, value))
        if value is not None and value > THRESHOLD_PCT:
            if marks.visible is None and marks.applied is not None:
                marks.visible = last_clear if last_clear is not None else sent
        else:
            last_clear = sent
        done.wait(max(0.0, PROBE_S - (time.perf_counter() - sent)))


def run_settings(workdir: Path, prom: str, window: str) -> Settings:
    shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
    s = load_settings(workdir / "stack.yaml")
    prometheus_settings = Prometheus(url=prom, window=window, timeout_s=2)
    monitoring = s.k8s.monitoring.model_copy(update={"prometheus": prometheus_settings})
    monitor = s.monitor.model_copy(update={"poll_interval_s": POLL_S, "baseline_window_s": 3.0,
                                           "recovery_timeout_s": 0.0})
    return s.model_copy(update={"k8s": s.k8s.model_copy(update={"monitoring": monitoring}), "monitor": monitor})


def services_to_scrape(twin_url: str) -> list[str]:
    body = get_json(f"{twin_url}/api/v1/namespaces/{NS}/services", timeout=10) or {}
    items: list[dict[str, dict[str, object]]] = body.get("items", [])  # type: ignore[assignment]
    return [str(s["metadata"]["name"]) for s in items
            if (s["metadata"].get("annotations") or {}).get("prometheus.io/scrape") == "true"]  # type: ignore[attr-defined]


def once(workdir: Path, window: str, run_no: int) -> Marks:
    window_s = int(window.removesuffix("s"))
    marks = Marks()
    with TwinServer(workdir / "twin.json", speed=1.0) as twin:
        scraped = services_to_scrape(twin.url)
        config = scrape_config(twin.url.removeprefix("http://"), [(NS, s) for s in scraped], interval=SCRAPE)
        with prometheus(workdir, config, targets=len(scraped) + 1, window_s=window_s) as prom:
            settings = run_settings(workdir, prom, window)
            clock, audit = SystemClock(), MemoryAuditLog()
            metrics = PrometheusMetrics(settings.k8s.monitoring.prometheus)
            deps = Deps(
                settings=settings, clock=clock, audit=audit, designer=OneSpec(SPEC),
                cluster=TimedCluster(connect(host=twin.url, kubeconfig=None, context=None), marks, audit, clock),
                metrics=TimedMetrics(metrics, marks), notifier=TerminalNotifier(Console(file=io.StringIO())),
                store=FileRunStore(workdir / "runs"), metrics_source=prom,
            )
            done = threading.Event()
            promql = metrics.describe(NS, "front-end", "error_rate_pct")
            prober = threading.Thread(target=probe, args=(prom, promql, marks, done), daemon=True)
            saver: BaseCheckpointSaver
            with open_checkpointer(settings) as saver:
                graph = build(saver)
                run_id = f"bench{run_no:03d}"
                runner.start(graph, deps, run_id=run_id, count=1, cluster={"twin": True})
                prober.start()
                decision = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=clock.now())
                state = runner.resume(graph, deps, run_id, decision).state
            done.set()
            prober.join()
    if state.get("outcome") != "aborted" or not str(state.get("reason", "")).startswith("front-end"):
        timeline = "\n".join(f"  {e['at']} {e['kind']} {e['detail']}" for e in state.get("events", []))
        raise SystemExit(f"run {run_no}: expected an abort on front-end errors, got "
                         f"{state.get('outcome')} ({state.get('reason')})\n{timeline}")
    return marks


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True)
    prom = (version.stdout or version.stderr).splitlines()[0] if version.returncode == 0 else "?"
    return (f"machine: {os.cpu_count()} CPU ({cpu}), {mem_kib / 2**20:.0f} GiB RAM, "
            f"load {os.getloadavg()[0]:.2f}; Python {platform.python_version()}; {prom}")


def stats(name: str, values: list[float]) -> str:
    return (f"{name:<36} " + "  ".join(f"{v:6.2f}" for v in values)
            + f"   median {statistics.median(values):6.2f} s  max {max(values):6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--window", default="10s", help="the adapter's rate() window, whole seconds (e.g. 10s)")
    args = parser.parse_args()
    print(machine())
    print(f"scrape {SCRAPE}, poll interval {POLL_S:g} s, window {args.window}, probe every {PROBE_S:g} s, "
          f"threshold front-end errors > {THRESHOLD_PCT:g} %; runs {args.runs}", flush=True)
    runs: list[Marks] = []
    for i in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="abort-prom-") as tmp:
            started = time.perf_counter()
            marks = once(Path(tmp), args.window, i)
            print(f"run {i}: {time.perf_counter() - started:.1f} s wall", flush=True)
        assert marks.applied and marks.visible and marks.stopped and marks.agent_read
        runs.append(marks)
    to_visible = [m.visible - m.applied for m in runs]  # type: ignore[operator]
    to_stop = [m.stopped - m.visible for m in runs]  # type: ignore[operator]
    total = [m.stopped - m.applied for m in runs]  # type: ignore[operator]
    read_lag = [m.agent_read - m.visible for m in runs]  # type: ignore[operator]
    patch = [m.stopped - m.agent_read for m in runs]  # type: ignore[operator]
    print(stats("fault -> visible in Prometheus", to_visible))
    print(stats("visible -> stop patch returned", to_stop))
    print(stats("fault -> stop", total))
    print(stats("  of which visible -> agent's read", read_lag))
    print(stats("  of which read -> stop returned", patch))
    limit = POLL_S + 0.5
    verdict = "met" if max(to_stop) <= limit else "MISSED"
    reads = [r for m in runs for r in m.read_s]
    print(f"one agent read (every stack service, 4 queries each): median {statistics.median(reads):.3f} s, "
          f"max {max(reads):.3f} s over {len(reads)} reads")
    print(f"target visible -> stop <= poll interval + 0.5 s = {limit:g} s: {verdict} (max {max(to_stop):.2f} s)")


if __name__ == "__main__":
    main()
