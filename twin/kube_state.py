"""kube-state-metrics of the twin: the replica series Sock Shop's upstream monitoring ships.

microservices-demo's ``deploy/kubernetes/manifests-monitoring`` runs kube-state-metrics v2.1.0
(``13-kube-state-dep.yaml``) and scrapes it with a static job ``kube-state-metrics``
(``04-prometheus-configmap.yaml``), without relabelling: the series keep kube-state-metrics' own
labels. Served at ``/metrics/kube-state-metrics``, the subset a readiness check reads, named, typed
and labelled as v2.1.0 (``internal/store/deployment.go`` :37 labels ``namespace, deployment``;
``internal/store/statefulset.go`` :36 ``namespace, statefulset``):

    kube_deployment_spec_replicas               deployment.go:162   spec.replicas
    kube_deployment_status_replicas_available   deployment.go:77    status.availableReplicas
    kube_statefulset_replicas                   statefulset.go:136  spec.replicas
    kube_statefulset_status_replicas_ready      statefulset.go:91   status.readyReplicas

The values are the controllers' status at the twin's now (``twin.workloads``), as the
kube-state-metrics informers see it: a pod a fault deleted counts as unavailable until it is Ready.
A zero count the API server omits is exported as 0, as kube-state-metrics does.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from twin.state import DEPLOY_KEY, STS_KEY, KObj, State
from twin.workloads import STATUS_RENDERERS

PATH = ("metrics", "kube-state-metrics")


class _Workloads(Collector):
    """The replica gauges of every Deployment and StatefulSet at one instant."""

    def __init__(self, state: State) -> None:
        self._state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        state, t = self._state, self._state.now
        families = (
            (DEPLOY_KEY,
             GaugeMetricFamily("kube_deployment_spec_replicas", "Number of desired pods for a deployment.",
                               labels=["namespace", "deployment"]),
             GaugeMetricFamily("kube_deployment_status_replicas_available",
                               "The number of available replicas per deployment.",
                               labels=["namespace", "deployment"]),
             "availableReplicas"),
            (STS_KEY,
             GaugeMetricFamily("kube_statefulset_replicas", "Number of desired pods for a StatefulSet.",
                               labels=["namespace", "statefulset"]),
             GaugeMetricFamily("kube_statefulset_status_replicas_ready",
                               "The number of ready replicas per StatefulSet.",
                               labels=["namespace", "statefulset"]),
             "readyReplicas"),
        )
        for key, desired, counted, field in families:
            for _, obj in sorted(state.bucket(key).items()):
                labels = [obj["metadata"]["namespace"], obj["metadata"]["name"]]
                desired.add_metric(labels, float(_desired(obj)))
                count = dict(STATUS_RENDERERS[obj["kind"]](state, obj, t)).get(field)
                counted.add_metric(labels, float(count) if isinstance(count, int) else 0.0)
            yield desired
            yield counted


def _desired(obj: KObj) -> int:
    replicas = (obj.get("spec") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)  # the API server defaults spec.replicas to 1


def scrape(state: State) -> str:
    """The exposition text (format 0.0.4) of the replica gauges at the state's now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Workloads(state))
    return generate_latest(registry).decode()
