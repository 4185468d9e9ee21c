"""What ``python -m agent doctor`` runs on: the usual Deps, and a probe of the same API server
as the same identity (version, SelfSubjectAccessReviews, ServiceAccounts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from agent.config import Settings
from agent.wiring import ClusterBinding, open_deps, retry_policy

if TYPE_CHECKING:
    from agent.deploy.doctor import Probe
    from agent.deploy.doctor_presets import PresetReader
    from agent.ports import Deps


@contextmanager
def open_doctor(settings: Settings, binding: ClusterBinding, *, console: Console) -> Iterator[tuple[Deps, Probe]]:
    """Deps (the twin, if bound, serves until the block ends) and the doctor's probe."""
    from agent.adapters.kube_probe import connect_probe

    with open_deps(settings, binding, console=console, realtime=False) as deps:
        host = str(getattr(deps.cluster, "server", "")) if binding.twin else None
        yield deps, connect_probe(host=host, kubeconfig=settings.k8s.kubeconfig, context=settings.k8s.context,
                                  retry=retry_policy(settings))


def preset_readers(settings: Settings, *, twin: bool, metrics: object = None) -> list[PresetReader]:
    """Every label preset's queries against ``k8s.monitoring.prometheus.url`` (the preset in use
    as configured, labels written in stack.yaml included); on the twin, against its private
    Prometheus (``metrics``, labelled as the stack's preset expects) at the run's time, and none
    when the twin's model is read (no PromQL to diagnose)."""
    from agent.adapters.prometheus import PrometheusMetrics
    from agent.adapters.prometheus_local import ScrapedMetrics
    from agent.adapters.prometheus_why import Diagnosis
    from agent.config.presets import PRESETS

    prom, timeline = settings.k8s.monitoring.prometheus, None
    if twin:
        if not isinstance(metrics, ScrapedMetrics):
            return []
        ready = metrics.ready()
        prom, timeline = prom.model_copy(update={"url": ready.url, "window": ready._settings.window}), ready.timeline
    out: list[PresetReader] = []
    for name, preset in PRESETS.items():
        labels = {"preset": name, "service_label": preset.service_label, "namespace_label": preset.namespace_label}
        queries = prom if name == prom.preset else prom.model_copy(update=labels)
        out.append(Diagnosis(PrometheusMetrics(queries, timeline=timeline), preset))
    return out
