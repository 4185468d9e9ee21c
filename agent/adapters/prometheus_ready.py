"""Replica readiness from kube-state-metrics (``k8s.monitoring.prometheus.kube_state_metrics: true``).

Sock Shop's upstream monitoring (microservices-demo ``manifests-monitoring``) ships
kube-state-metrics v2.1.0 and scrapes it with a static job that keeps its labels; so do
kube-prometheus (a ServiceMonitor with ``honorLabels: true``) and the prometheus helm chart
(``honor_labels: true``). In all three the series carry kube-state-metrics' own ``namespace`` and
``deployment`` / ``statefulset`` labels (v2.1.0 ``internal/store/deployment.go:37``,
``statefulset.go:36``), whatever the preset says of the application series.

A target is read as the Deployment, else the StatefulSet, of its name (``or``: one value, never
two): ready = ``kube_deployment_status_replicas_available`` (``deployment.go:77``) or
``kube_statefulset_status_replicas_ready`` (``statefulset.go:91``); desired =
``kube_deployment_spec_replicas`` (``deployment.go:162``) or ``kube_statefulset_replicas``
(``statefulset.go:136``). No series (kube-state-metrics not scraped, or a workload named otherwise)
is None, and :func:`agent.run.watch.with_readiness` then takes the Kubernetes API's counts.
"""

from __future__ import annotations

from agent.config import Prometheus

READY = (
    'sum(kube_deployment_status_replicas_available{{namespace="{namespace}",deployment="{service}"}}) '
    'or sum(kube_statefulset_status_replicas_ready{{namespace="{namespace}",statefulset="{service}"}})'
)
REPLICAS = (
    'sum(kube_deployment_spec_replicas{{namespace="{namespace}",deployment="{service}"}}) '
    'or sum(kube_statefulset_replicas{{namespace="{namespace}",statefulset="{service}"}})'
)
FIELDS = ("ready_replicas", "replicas")


def ready_templates(settings: Prometheus) -> dict[str, str]:
    """The readiness templates by :class:`~agent.models.Signals` field; none unless configured."""
    return dict(zip(FIELDS, (READY, REPLICAS), strict=True)) if settings.kube_state_metrics else {}


def as_count(name: str, value: float | None) -> float | int | None:
    """A replica count as the integer it is; other signals unchanged."""
    return int(value) if name in FIELDS and value is not None else value
