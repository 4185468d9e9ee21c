"""The scrape config of the private Prometheus that ``--twin`` reads through (``prometheus_local``).

It scrapes the twin as Sock Shop's own monitoring scrapes a cluster (manifests-monitoring's
``04-prometheus-configmap.yaml``): the job ``kubernetes-service-endpoints`` keeps the Services
annotated ``prometheus.io/scrape: 'true'`` and relabels them with upstream's own rules (the
Service's labels become target labels, so ``name``; ``kubernetes_namespace``, ``kubernetes_name``),
so the default preset's queries meet the labels they would meet on a cluster. Prometheus cannot
discover the twin's Services itself (the twin serves no Endpoints to ``kubernetes_sd_configs``), so
each annotated Service is a static target carrying the ``__meta_kubernetes_*`` labels discovery
would give it, and the relabelling runs on those. Differences from upstream, because the twin
serves every endpoint at one address: the target's path is ``/metrics/<ns>/<service>`` (the
``prometheus.io/path``/``port``/``scheme`` rules are left out) and there is one target per Service,
not per pod. cAdvisor and kube-state-metrics are static jobs, as upstream's are in effect.

Every job passes ``params`` asking the twin to stamp its samples on its virtual clock, moved back
by ``shift_s`` (``twin.stamped``).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.errors import MetricsUnavailable

SCRAPE = "prometheus.io/scrape"
TIMEOUT_S = 10


class _Meta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    namespace: str
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class _Service(BaseModel):
    model_config = ConfigDict(extra="ignore")

    metadata: _Meta


class _ServiceList(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[_Service]


def twin_services(twin_url: str) -> list[_Meta]:
    """Every Service of the twin, from its Kubernetes API (``GET /api/v1/services``)."""
    url = f"{twin_url.rstrip('/')}/api/v1/services"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as answer:  # noqa: S310 - the loopback twin
            listed = _ServiceList.model_validate(json.loads(answer.read()))
    except (urllib.error.URLError, OSError, ValueError, ValidationError) as e:
        raise MetricsUnavailable(f"twin at {twin_url}: cannot list its Services for Prometheus to scrape: {e}") from e
    return [s.metadata for s in listed.items]


def _meta(prefix: str, pairs: dict[str, str]) -> dict[str, str]:
    """Labels as Kubernetes discovery names them: invalid characters become ``_``."""
    return {f"{prefix}{re.sub(r'[^a-zA-Z0-9_]', '_', k)}": v for k, v in pairs.items()}


def _endpoint(service: _Meta) -> dict[str, str]:
    return {
        "__metrics_path__": f"/metrics/{service.namespace}/{service.name}",
        "__meta_kubernetes_namespace": service.namespace,
        "__meta_kubernetes_service_name": service.name,
        **_meta("__meta_kubernetes_service_label_", service.labels),
        **_meta("__meta_kubernetes_service_annotation_", service.annotations),
    }


_KEEP: dict[str, object] = {"source_labels": ["__meta_kubernetes_service_annotation_prometheus_io_scrape"], "action": "keep", "regex": "true"}
_LABELMAP: dict[str, object] = {"action": "labelmap", "regex": "__meta_kubernetes_service_label_(.+)"}


def _to(source: str, target: str) -> dict[str, object]:
    return {"source_labels": [source], "action": "replace", "target_label": target}


# manifests-monitoring's kubernetes-service-endpoints relabelling (see the module docstring)
RELABEL = [_KEEP, _LABELMAP, _to("__meta_kubernetes_namespace", "kubernetes_namespace"),
           _to("__meta_kubernetes_service_name", "kubernetes_name")]
# Each label preset's scheme (agent.config.presets), so `preset:` in stack.yaml meets on the twin the
# labels it meets on a cluster. kube-prometheus: a ServiceMonitor's target labels, honor_labels false
# (the app's own `service` becomes `exported_service`); helm: the prometheus chart's
# kubernetes-service-endpoints job, honor_labels true.
SCHEMES: dict[str, tuple[list[dict[str, object]], bool]] = {
    "manifests-monitoring": (RELABEL, False),
    "kube-prometheus": ([_KEEP, _to("__meta_kubernetes_namespace", "namespace"),
                         _to("__meta_kubernetes_service_name", "service"),
                         _to("__meta_kubernetes_service_name", "job"),
                         {"action": "replace", "target_label": "endpoint", "replacement": "http"}], False),
    "helm": ([_KEEP, _LABELMAP, _to("__meta_kubernetes_namespace", "namespace"),
              _to("__meta_kubernetes_service_name", "service")], True),
}


def scrape_config(twin_url: str, services: list[_Meta], *, interval: str, shift_s: float,
                  scheme: str = "manifests-monitoring") -> str:
    """prometheus.yml for the twin at ``twin_url``: its annotated Services labelled as the preset
    ``scheme``'s setup labels them, cAdvisor and kube-state-metrics, every scrape stamped on the
    twin's clock moved back by ``shift_s``."""
    relabel, honor = SCHEMES[scheme]
    address = urlsplit(twin_url).netloc
    def params() -> dict[str, list[str]]:  # a new object each time: no YAML aliases
        return {"timestamps": ["virtual"], "shift_s": [f"{shift_s:.3f}"]}

    def static(job: str, path: str) -> dict[str, object]:
        return {"job_name": job, "metrics_path": path, "params": params(), "static_configs": [{"targets": [address]}]}

    annotated = [s for s in services if s.annotations.get(SCRAPE) == "true"]
    endpoints = [{"targets": [address], "labels": _endpoint(s)} for s in annotated]
    config = {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
        "scrape_configs": [
            {"job_name": "kubernetes-service-endpoints", "params": params(), "static_configs": endpoints,
             "honor_labels": honor, "relabel_configs": relabel},
            static("kubernetes-cadvisor", "/metrics/cadvisor"),
            static("kube-state-metrics", "/metrics/kube-state-metrics"),
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)
