"""The doctor's readiness check: with ``k8s.monitoring.prometheus.kube_state_metrics: true``, do the
kube-state-metrics series (:mod:`agent.adapters.prometheus_ready`) return data for every target,
and do they agree with the Kubernetes API?

It only informs (``ok`` or ``warn``, never ``fail``): a target without those series is read from
the Kubernetes API instead (:func:`agent.run.watch.with_readiness`), so a run can start either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.deploy.doctor import Check
from agent.errors import ChaosAdvisorError
from agent.models import Inventory, Signals, Target

if TYPE_CHECKING:
    from agent.ports import Deps

SCRAPE = ("Prometheus must scrape kube-state-metrics with its own labels (Sock Shop's manifests-monitoring: "
          "job kube-state-metrics, v2.1.0; kube-prometheus and the prometheus chart ship it)")


def readiness_checks(inv: Inventory, deps: Deps) -> list[Check]:
    """One check per namespace of the targets; none unless kube-state-metrics is configured."""
    if not deps.settings.k8s.monitoring.prometheus.kube_state_metrics:
        return []
    return [_check(deps, namespace, [t for t in inv.targets if t.namespace == namespace])
            for namespace in sorted({t.namespace for t in inv.targets})]


def _check(deps: Deps, namespace: str, targets: list[Target]) -> Check:
    name, title = f"readiness:{namespace}", f"replica readiness of {len(targets)} targets in {namespace} from kube-state-metrics"
    try:
        read = deps.metrics.read(namespace, [t.name for t in targets])
    except ChaosAdvisorError as e:
        return Check(name=name, status="warn", title=title, detail=f"could not ask: {e}",
                     fix="readiness comes from the Kubernetes API meanwhile")
    seen = {t.name: read.get(t.name, Signals()) for t in targets}
    empty = [n for n, s in seen.items() if s.ready_replicas is None or s.replicas is None]
    counts = ", ".join(f"{n} {s.ready_replicas}/{s.replicas}" for n, s in seen.items() if n not in empty)
    differ = [f"{t.name}: kube-state-metrics {seen[t.name].ready_replicas}/{seen[t.name].replicas}, "
              f"API {t.workload.ready_replicas}/{t.workload.replicas}" for t in targets
              if t.workload is not None and t.name not in empty
              and (seen[t.name].ready_replicas, seen[t.name].replicas) != (t.workload.ready_replicas, t.workload.replicas)]
    if empty:
        query = deps.metrics.describe(namespace, empty[0], "ready_replicas")
        detail = f"no series for {', '.join(empty)}" + (f"; data: {counts}" if counts else "")
        return Check(name=name, status="warn", title=title, detail=detail, notes=differ,
                     fix=f"their readiness comes from the Kubernetes API; {SCRAPE}; the query: {query}")
    if differ:
        return Check(name=name, status="warn", title=title, detail=f"data for every target: {counts}", notes=differ,
                     fix="a scrape may be an interval behind the API; if it stays so, check that kube-state-metrics "
                         "watches these namespaces")
    return Check(name=name, status="ok", title=title, detail=f"data for every target, as the API says: {counts}")
