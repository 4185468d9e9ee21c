"""Label schemes of the Prometheus setups Sock Shop is monitored with (``k8s.monitoring.prometheus.preset``).

The application series (``request_duration_seconds``) carry the labels the *scrape job* adds, and
these differ by setup; cAdvisor's ``namespace``/``pod``/``container`` are the kubelet's own and
the same everywhere. Each preset names the label that holds the namespace and the one that names
the service; an explicit ``namespace_label`` or ``service_label`` in stack.yaml overrides it.

- ``manifests-monitoring``: Sock Shop's own ``deploy/kubernetes/manifests-monitoring`` (job
  ``kubernetes-service-endpoints``: ``labelmap`` of the Service's labels gives ``name``,
  ``__meta_kubernetes_namespace`` is relabelled to ``kubernetes_namespace``).
- ``kube-prometheus``: the Prometheus Operator (kube-prometheus, kube-prometheus-stack) with a
  ServiceMonitor per Service: target labels ``namespace``, ``service``, ``pod``, ``job``,
  ``endpoint``; under the default ``honorLabels: false`` the app's own ``service`` label (Java,
  front-end) is renamed ``exported_service``, so ``service`` is the Service's name.
- ``helm``: the prometheus-community ``prometheus`` chart's ``kubernetes-service-endpoints`` job
  (``honor_labels: true``, relabels to ``namespace`` and ``service``, labelmap gives ``name``). It keeps
  only Services annotated ``prometheus.io/scrape: "true"``: complete-demo.yaml's are, the
  microservices-demo helm chart's are not (then no request series exist at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PresetName = Literal["manifests-monitoring", "kube-prometheus", "helm"]


@dataclass(frozen=True)
class LabelPreset:
    """How one monitoring setup labels the application series."""

    name: PresetName
    namespace_label: str
    service_label: str
    scrapes: str  # what must hold for the series to exist at all: the doctor's hint when none do


PRESETS: dict[PresetName, LabelPreset] = {
    "manifests-monitoring": LabelPreset(
        "manifests-monitoring", "kubernetes_namespace", "name",
        "Sock Shop's manifests-monitoring Prometheus keeps Services annotated prometheus.io/scrape: 'true' "
        "(complete-demo.yaml's are)",
    ),
    "kube-prometheus": LabelPreset(
        "kube-prometheus", "namespace", "service",
        "the Prometheus Operator scrapes only what a ServiceMonitor (or PodMonitor) selects: one for the "
        "namespace's Services, port of the app, path /metrics",
    ),
    "helm": LabelPreset(
        "helm", "namespace", "service",
        "the prometheus chart's kubernetes-service-endpoints job keeps only Services annotated "
        "prometheus.io/scrape: 'true' (the microservices-demo helm chart sets none: add them)",
    ),
}


def with_preset_labels(data: object) -> object:
    """``k8s.monitoring.prometheus`` as written, with the labels it does not write from its preset
    (a bad preset is left to the field's own validation, which names the choices)."""
    if not isinstance(data, dict) or data.get("preset", "manifests-monitoring") not in PRESETS:
        return data
    preset = PRESETS[data.get("preset", "manifests-monitoring")]
    return {"service_label": preset.service_label, "namespace_label": preset.namespace_label} | data
