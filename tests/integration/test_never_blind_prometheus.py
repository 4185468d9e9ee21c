"""Never blind, through a real Prometheus labelling the twin's series as a Prometheus Operator does
(kube-prometheus: ``namespace``, ``service``, ``pod``; the app's ``service`` becomes ``exported_service``).

- Read with the right preset (kube-prometheus), the seven HTTP services have request signals.
- Read with the default preset (manifests-monitoring's ``kubernetes_namespace``/``name``), the
  watched front-end error rate has no series while cAdvisor's do: the run is refused before any
  chaos (no ChaosEngine is created), naming the series and the query tried.
- A watched series that vanishes mid-chaos (its Service's target is gone) aborts the run once
  ``monitor.metrics_grace_s`` has passed on the twin's clock, and is never counted as recovered.
- The doctor says, per preset, what returns data and what returns nothing, and why.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console

from agent.adapters.audit_file import MemoryAuditLog
from agent.adapters.kube import connect
from agent.adapters.prometheus import PrometheusMetrics
from agent.adapters.terminal import TerminalNotifier
from agent.adapters.twin import TwinClock
from agent.config import Prometheus, Settings, load_settings
from agent.deploy.doctor import DoctorReport, examine
from agent.models import Decision, Sample
from agent.ports import Deps, Notifier
from agent.run.files import FileRunStore
from agent.wire.doctor import open_doctor, preset_readers
from agent.wiring import ClusterBinding
from graphs import runner
from graphs.builder import build
from graphs.state import RunState
from tests.factories import OneSpec, catalogue_delete
from tests.integration.prometheus_fixture import RunningPrometheus, poll_until, run_prometheus, scrape_config
from twin import TwinServer

ROOT = Path(__file__).resolve().parents[2]
NS = "sock-shop"
SPEED = 30.0  # virtual seconds per real second (Prometheus scrapes in real time)
WINDOW = "2s"  # the adapter's rate() window, real seconds (8 scrapes at 250 ms)
HTTP = {"front-end", "catalogue", "carts", "orders", "payment", "shipping", "user"}
LITMUS = ("litmuschaos.io", "v1alpha1")


@dataclass
class Stack:
    twin_url: str
    kubeconfig: Path
    prometheus: RunningPrometheus
    api: client.ApiClient
    twin: TwinServer

    def settings(self, preset: str) -> Prometheus:
        return Prometheus(url=self.prometheus.url, preset=preset, window=WINDOW, timeout_s=2)  # type: ignore[arg-type]

    def engines(self) -> list[str]:
        found: Any = client.CustomObjectsApi(self.api).list_namespaced_custom_object(*LITMUS, NS, "chaosengines")
        return [e["metadata"]["name"] for e in found["items"]]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("operator")
    with TwinServer(root / "twin.json", speed=SPEED) as twin:
        api = client.ApiClient(client.Configuration(host=twin.url))
        core = client.CoreV1Api(api)
        annotated = [(NS, str(s.metadata.name)) for s in core.list_namespaced_service(NS).items
                     if s.metadata and (s.metadata.annotations or {}).get("prometheus.io/scrape") == "true"]
        pods = {str((p.metadata.labels or {}).get("name")): str(p.metadata.name)
                for p in core.list_namespaced_pod(NS).items if p.metadata}
        config = scrape_config(twin.url.removeprefix("http://"), annotated, interval="250ms",
                               scheme="kube-prometheus", pods=pods)
        kubeconfig = root / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "twin",
            "clusters": [{"name": "twin", "cluster": {"server": twin.url}}], "users": [{"name": "me", "user": {}}],
            "contexts": [{"name": "twin", "context": {"cluster": "twin", "user": "me"}}]}))
        with run_prometheus(root / "prometheus", config, targets=len(annotated) + 1) as prom:
            def window_full() -> bool:
                found = prom.query("min(count_over_time(up[3s]))")
                return bool(found) and float(found[0]["value"][1]) >= 10  # type: ignore[index]

            poll_until(window_full, timeout_s=30, what="Prometheus' window filled")
            yield Stack(twin.url, kubeconfig, prom, api, twin)


class FollowClock:
    """The run's clock is the twin's (it moves SPEED x real time): sleeping waits for it."""

    def __init__(self, url: str) -> None:
        self._twin = TwinClock(url, speed=None)

    def now(self) -> datetime:
        return self._twin.now()

    def sleep(self, seconds: float) -> None:
        until = self.now() + timedelta(seconds=seconds)
        poll_until(lambda: self.now() >= until, timeout_s=10 + seconds / SPEED, what="the twin's clock")


def deps_for(stack: Stack, tmp_path: Path, preset: str, *, max_errors: float = 5, notifier: Notifier | None = None) -> Deps:
    shutil.copy(ROOT / "stack.yaml", tmp_path / "stack.yaml")
    settings: Settings = load_settings(tmp_path / "stack.yaml")
    prometheus = stack.settings(preset)
    monitoring = settings.k8s.monitoring.model_copy(update={"prometheus": prometheus})
    monitor = settings.monitor.model_copy(update={"baseline_window_s": 4.0, "recovery_timeout_s": 60.0})
    settings = settings.model_copy(update={"k8s": settings.k8s.model_copy(update={"monitoring": monitoring}),
                                           "monitor": monitor})
    return Deps(
        settings=settings, cluster=connect(host=stack.twin_url, kubeconfig=None, context=None),
        metrics=PrometheusMetrics(prometheus), clock=FollowClock(stack.twin_url),
        notifier=notifier or TerminalNotifier(Console(file=io.StringIO())),
        designer=OneSpec(catalogue_delete(max_errors, duration_s=240)), store=FileRunStore(tmp_path / "runs"),
        audit=MemoryAuditLog(), metrics_source=prometheus.url,
    )


def run(deps: Deps, run_id: str) -> RunState:
    graph = build(InMemorySaver())
    assert runner.start(graph, deps, run_id=run_id, count=1, cluster={"twin": True}).waiting is not None
    decision = Decision(verdict="approve", choice=1, approver="tester", channel="cli", at=deps.clock.now())
    return runner.resume(graph, deps, run_id, decision).state


def kinds(state: RunState) -> list[str]:
    return [str(e["kind"]) for e in state["events"]]


def test_the_operator_preset_reads_the_request_signals_of_the_http_services(stack: Stack) -> None:
    read = PrometheusMetrics(stack.settings("kube-prometheus")).read(NS, sorted(HTTP | {"carts-db"}))
    assert {s for s, v in read.items() if v.latency_p95_ms is not None} == HTTP
    assert all(v.cpu_millicores is not None and v.memory_mib is not None for v in read.values())
    default = PrometheusMetrics(stack.settings("manifests-monitoring")).read(NS, sorted(HTTP))
    assert all(v.error_rate_pct is None and v.latency_p95_ms is None for v in default.values())  # blind...
    assert all(v.cpu_millicores is not None for v in default.values())  # ...though not "unavailable"


def test_a_watched_series_missing_from_the_baseline_refuses_the_run_before_any_chaos(
    stack: Stack, tmp_path: Path
) -> None:
    state = run(deps_for(stack, tmp_path, "manifests-monitoring"), "blind001")
    assert state["outcome"] == "refused", state.get("reason")
    reason = str(state["reason"])
    assert reason.startswith("refused before any chaos, blind: front-end error rate has no value (query: ")
    assert 'kubernetes_namespace="sock-shop",name="front-end"' in reason  # the query that was tried
    assert "k8s.monitoring.prometheus.preset" in reason
    assert not {"dry_run", "applied"} & set(kinds(state)) and "ca-blind001" not in stack.engines()


class FrontEndTargetDown:
    """A notifier that, at the first monitor tick, makes the twin answer 503 to front-end's
    /metrics: its scrape fails (up == 0), so its series vanish from Prometheus mid-chaos."""

    def __init__(self, inner: Notifier, twin: TwinServer) -> None:
        self._inner, self._twin, self.down = inner, twin, False

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def observe(self, run_id: str, title: str, phase: str, sample: Sample | None, *, line: str) -> None:
        self._inner.observe(run_id, title, phase, sample, line=line)
        if phase != "baseline" and not self.down:
            self.down = True
            self._twin.inject("GET", f"/metrics/{NS}/front-end", status=503)


def test_a_watched_series_vanishing_mid_chaos_aborts_after_the_grace_and_is_never_recovered(
    stack: Stack, tmp_path: Path
) -> None:
    base = deps_for(stack, tmp_path, "kube-prometheus", max_errors=50)  # a limit the outage does not reach
    try:
        state = run(replace(base, notifier=FrontEndTargetDown(base.notifier, stack.twin)), "blind002")  # type: ignore[arg-type]
    finally:
        stack.twin.heal()
    timeline = "\n".join(f"{e['at']} {e['kind']} {e['detail']}" for e in state["events"])
    assert state["outcome"] == "aborted", timeline
    reason = str(state["reason"])
    assert reason.startswith("metrics lost for ") and "front-end error rate has no value" in reason, reason
    assert 'namespace="sock-shop",service="front-end"' in reason
    lost = next(e for e in state["events"] if e["kind"] == "metrics_lost")
    samples = FileRunStore(tmp_path / "runs").samples("blind002")
    last_seen = max(s.at for s in samples if s.tick >= 1 and s.services["front-end"].error_rate_pct is not None)
    grace = base.settings.monitor.metrics_grace_s
    lost_at = datetime.fromisoformat(str(lost["at"]))
    assert (lost_at - last_seen).total_seconds() > grace, timeline  # not before the grace, on the twin's clock...
    # ...and at the first tick past it: every tick read before the aborting one was within the grace
    # (how much virtual time one tick takes depends on the machine's load, so no fixed upper bound)
    aborting = max(s.tick for s in samples if s.at < lost_at)
    earlier = [s.at for s in samples if last_seen < s.at and s.tick < aborting]
    assert all((at - last_seen).total_seconds() <= grace for at in earlier), timeline
    k = kinds(state)
    assert k.index("metrics_lost") < k.index("abort_requested")
    assert "recovered" not in k and "recovery_timeout" in k, timeline  # gone is not back


def doctor(stack: Stack, tmp_path: Path, preset: str) -> DoctorReport:
    raw = yaml.safe_load((ROOT / "stack.yaml").read_text())
    raw["k8s"]["kubeconfig"] = str(stack.kubeconfig)
    raw["k8s"]["monitoring"]["prometheus"].update(url=stack.prometheus.url, window=WINDOW, timeout_s=2, preset=preset)
    raw["paths"] = {"state_dir": str(tmp_path / "s"), "experiments": str(tmp_path / "e"), "reports": str(tmp_path / "r")}
    (tmp_path / "stack.yaml").write_text(yaml.safe_dump(raw))
    settings = load_settings(tmp_path / "stack.yaml")
    with open_doctor(settings, ClusterBinding(twin=False), console=Console(file=None)) as (deps, probe):
        return examine(deps, probe, twin=False, presets=preset_readers(settings, twin=False))


def test_doctor_compares_the_presets_and_says_why_one_returns_nothing(stack: Stack, tmp_path: Path) -> None:
    def every_http_service() -> DoctorReport | None:
        # A test before this one failed front-end's scrape: Prometheus marks its series stale,
        # and rate() has data again only once two scrapes land in the window. Wait for that.
        report = doctor(stack, tmp_path, "kube-prometheus")
        preset = next(c for c in report.checks if c.name == f"preset:kube-prometheus:{NS}")
        metrics = next(c for c in report.checks if c.name == f"metrics:{NS}")  # read at another moment
        whole = preset.detail.startswith("data for every target: error_rate_pct 7/7") and metrics.status == "ok"
        return report if whole else None

    report = poll_until(every_http_service, timeout_s=60, what="request series of all 7 HTTP services")
    checks = {c.name: c for c in report.checks}
    assert report.ready, [c for c in report.checks if c.status not in ("ok", "warn")]
    stores = ["carts-db", "catalogue-db", "orders-db", "queue-master", "rabbitmq", "session-db", "user-db"]
    metrics = checks[f"metrics:{NS}"]  # data stores export no requests: expected, not a warning
    assert metrics.status == "ok" and "none, by design, for" in metrics.detail, metrics.detail
    operator, helm, manifests = (checks[f"preset:{p}:{NS}"] for p in ("kube-prometheus", "helm", "manifests-monitoring"))
    assert "(in use)" in operator.title and "(in use)" not in manifests.title
    assert operator.status == "ok" and operator.detail == (
        "data for every target: error_rate_pct 7/7, latency_p95_ms 7/7, cpu_millicores 14/14, memory_mib 14/14 "
        f"(7 targets export no request metrics by design: {', '.join(stores)})")
    assert helm.detail == operator.detail  # the same label names
    assert manifests.detail.startswith("data: error_rate_pct 0/7, latency_p95_ms 0/7, cpu_millicores 14/14")
    why = manifests.notes[0]
    assert why.startswith("nothing for error_rate_pct of front-end, catalogue, ")
    assert 'no request_duration_seconds_count series with kubernetes_namespace="sock-shop" (' in why
    assert "its series carry no 'kubernetes_namespace' label" in why and "preset kube-prometheus or helm fits" in why
    wrong = doctor(stack, tmp_path, "manifests-monitoring")  # the default preset on an Operator install
    assert not wrong.ready
    failed = next(c for c in wrong.checks if c.name == f"metrics:{NS}")
    assert failed.status == "fail" and "no series for any target: error_rate_pct, latency_p95_ms" in failed.detail
