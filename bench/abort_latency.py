"""Abort latency end to end: threshold breach -> ``engineState: stop`` -> verified cleanup.

    python bench/abort_latency.py [--runs 20] [--scrape 5s] [--window 15s] [--readiness-delay 10]

One Sock Shop twin in real time (speed 1.0) and one real Prometheus (the binary on PATH, started
as tests/integration/prometheus_fixture.py starts it) scraping it; then ``--runs`` breaching
experiments in a row, each the real graph as on a cluster (kubernetes client, Prometheus adapter,
wall clock, 1 s poll): a catalogue pod-delete whose abort threshold is front-end error rate > 1 %.
The catalogue's readiness delay is shortened from upstream's 180 s to ``--readiness-delay`` so the
outage (and the verified cleanup, which waits for the target to be Ready and every SLO signal back
in its band) fits a bench; that is the only change to the upstream manifests.

Per run, from the run's own data (the run's clock is the wall clock here):
  injected  the "applied" event (the ChaosEngine create returned; the twin deletes the pod then)
  breach    the first monitor sample over the threshold (Sample.at: when the agent's read returned)
  stop      the "abort_requested" event "patched engineState: stop" (the stop patch returned)
  cleanup   the verify step's CleanupResult.at, when it was verified
Printed: p50/p95 of breach -> stop and breach -> verified cleanup (targets: p95 <= 10 s and
<= 30 s at a 5 s scrape), and injected -> breach, which is where scraping sits: the series is
scraped every ``--scrape``, evaluated through rate() over ``--window``, read every poll. Breach ->
stop has no scraping in it (one PATCH); breach -> cleanup has (signals back in the band are seen
through the same scrape and window), plus the app's readiness delay.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.adapters.audit_file import MemoryAuditLog  # noqa: E402
from agent.adapters.clock import SystemClock  # noqa: E402
from agent.adapters.kube import connect  # noqa: E402
from agent.adapters.prometheus import PrometheusMetrics  # noqa: E402
from agent.adapters.terminal import TerminalNotifier  # noqa: E402
from agent.config import Prometheus, Settings, load_settings  # noqa: E402
from agent.models import CleanupResult, Decision, RunEvent  # noqa: E402
from agent.ports import Deps  # noqa: E402
from agent.run.audited import AuditedCluster  # noqa: E402
from agent.run.files import FileRunStore  # noqa: E402
from bench.abort_reaction_prometheus import machine, query, services_to_scrape  # noqa: E402
from graphs import runner  # noqa: E402
from graphs.builder import build  # noqa: E402
from tests.factories import OneSpec, catalogue_delete  # noqa: E402
from tests.integration.prometheus_fixture import poll_until, run_prometheus, scrape_config  # noqa: E402
from twin import TwinServer  # noqa: E402

NS = "sock-shop"
THRESHOLD_PCT = 1.0
POLL_S = 1.0


@dataclass(frozen=True)
class Times:
    injected: datetime
    breach: datetime
    stop: datetime
    cleanup: datetime | None  # None: not verified within monitor.cleanup_timeout_s

    def to_stop(self) -> float:
        return (self.stop - self.breach).total_seconds()

    def to_cleanup(self) -> float | None:
        return (self.cleanup - self.breach).total_seconds() if self.cleanup else None

    def scraping(self) -> float:
        return (self.breach - self.injected).total_seconds()


def manifests(workdir: Path, delay: int) -> Path:
    """Upstream Sock Shop with the catalogue's readiness delay set to ``delay`` seconds."""
    docs = [d for d in yaml.safe_load_all((ROOT / "twin/data/complete-demo.yaml").read_text(encoding="utf-8")) if d]
    for d in docs:
        if d.get("kind") == "Deployment" and d["metadata"]["name"] == "catalogue":
            for c in d["spec"]["template"]["spec"]["containers"]:
                c["readinessProbe"]["initialDelaySeconds"] = delay
    path = workdir / "sock-shop.yaml"
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return path


def settings_for(workdir: Path, prom: str, window: str) -> Settings:
    shutil.copy(ROOT / "stack.yaml", workdir / "stack.yaml")
    s = load_settings(workdir / "stack.yaml")
    monitoring = s.k8s.monitoring.model_copy(
        update={"prometheus": Prometheus(url=prom, window=window, timeout_s=2)})
    monitor = s.monitor.model_copy(update={"poll_interval_s": POLL_S, "baseline_window_s": 5.0,
                                           "recovery_timeout_s": 0.0, "cleanup_timeout_s": 120.0})
    return s.model_copy(update={"k8s": s.k8s.model_copy(update={"monitoring": monitoring}), "monitor": monitor})


def one(deps: Deps, run_id: str) -> Times:
    graph = build(InMemorySaver())
    runner.start(graph, deps, run_id=run_id, count=1, cluster={"twin": True})
    decision = Decision(verdict="approve", choice=1, approver="bench", channel="cli", at=deps.clock.now())
    state = runner.resume(graph, deps, run_id, decision).state
    events = [RunEvent.model_validate(e) for e in state.get("events", [])]
    if state.get("outcome") != "aborted":
        raise SystemExit(f"{run_id}: expected an abort, got {state.get('outcome')} ({state.get('reason')})")
    injected = next(e.at for e in events if e.kind == "applied")
    stop = next(e.at for e in events if e.kind == "abort_requested" and "engineState: stop" in e.detail)
    breach = next(s.at for s in deps.store.samples(run_id) if s.tick >= 1 and s.services.get("front-end")
                  and (s.services["front-end"].error_rate_pct or 0) > THRESHOLD_PCT)
    cleanup = deps.store.load(run_id, "cleanup", CleanupResult)
    return Times(injected, breach, stop, cleanup.at if cleanup.verified else None)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scrape", default="5s", help="Prometheus scrape and rule evaluation interval")
    parser.add_argument("--window", default="15s", help="the adapter's rate() window (whole seconds)")
    parser.add_argument("--readiness-delay", type=int, default=10, help="the catalogue's, seconds (upstream: 180)")
    args = parser.parse_args()
    if shutil.which("prometheus") is None:
        raise SystemExit("prometheus is not on PATH; run ./scripts/system-deps.sh")
    print(machine())
    print(f"scrape_interval {args.scrape}, evaluation_interval (rules) {args.scrape}, rate() window {args.window}, "
          f"poll {POLL_S:g} s; catalogue pod-delete, abort at front-end error rate > {THRESHOLD_PCT:g} %; "
          f"catalogue readiness delay {args.readiness_delay} s; {args.runs} runs", flush=True)
    scrape_s, window_s = int(args.scrape.removesuffix("s")), int(args.window.removesuffix("s"))
    runs: list[Times] = []
    with tempfile.TemporaryDirectory(prefix="abort-latency-") as tmp:
        work = Path(tmp)
        with TwinServer(work / "twin.json", speed=1.0, manifests=[manifests(work, args.readiness_delay)]) as twin:
            scraped = services_to_scrape(twin.url)
            config = scrape_config(twin.url.removeprefix("http://"), [(NS, s) for s in scraped], interval=args.scrape)
            with run_prometheus(work, config, targets=len(scraped) + 1) as prom:
                full = f"min(count_over_time(up[{window_s}s]))"
                poll_until(lambda: (query(prom.url, full) or 0) >= window_s // scrape_s, timeout_s=window_s + 60,
                           what="a full rate() window")
                settings, clock, audit = settings_for(work, prom.url, args.window), SystemClock(), MemoryAuditLog()
                metrics = PrometheusMetrics(settings.k8s.monitoring.prometheus)
                deps = Deps(settings=settings, clock=clock, audit=audit, designer=OneSpec(catalogue_delete(THRESHOLD_PCT, duration_s=60)),
                            cluster=AuditedCluster(connect(host=twin.url, kubeconfig=None, context=None), audit, clock),
                            metrics=metrics, notifier=TerminalNotifier(Console(file=io.StringIO())),
                            store=FileRunStore(work / "runs"), metrics_source=prom.url)
                fe = metrics.describe(NS, "front-end", "error_rate_pct")
                for i in range(1, args.runs + 1):
                    poll_until(lambda: (query(prom.url, fe) or 0.0) < THRESHOLD_PCT / 2 or None, timeout_s=120,
                               what="front-end errors back under the threshold")  # the last run's outage is over
                    started = time.perf_counter()
                    t = one(deps, f"lat{i:04d}")
                    runs.append(t)
                    cleanup = f"{t.to_cleanup():5.1f} s" if t.to_cleanup() is not None else "NOT verified"
                    print(f"run {i:2d}: injected->breach {t.scraping():5.1f} s, breach->stop {t.to_stop():5.2f} s, "
                          f"breach->verified cleanup {cleanup} ({time.perf_counter() - started:.0f} s wall)", flush=True)
    report(runs)
    return 0


def report(runs: list[Times]) -> None:
    stop = [t.to_stop() for t in runs]
    clean = [c for t in runs if (c := t.to_cleanup()) is not None]
    scraping = [t.scraping() for t in runs]
    print(f"{'':<36} {'p50':>7} {'p95':>7} {'max':>7}   n")
    for name, v in (("injected -> breach (scrape+rate+poll)", scraping), ("breach -> engineState: stop", stop),
                    ("breach -> verified cleanup", clean)):
        if v:
            print(f"{name:<36} {pct(v, 50):6.2f}s {pct(v, 95):6.2f}s {max(v):6.2f}s  {len(v)}")
    print(f"cleanup not verified: {len(runs) - len(clean)} of {len(runs)}")
    if stop and clean:
        print(f"targets: p95 to stop {pct(stop, 95):.2f} s <= 10 s: {'met' if pct(stop, 95) <= 10 else 'MISSED'}; "
              f"p95 to verified cleanup {pct(clean, 95):.2f} s <= 30 s: {'met' if pct(clean, 95) <= 30 else 'MISSED'}")


if __name__ == "__main__":
    raise SystemExit(main())
