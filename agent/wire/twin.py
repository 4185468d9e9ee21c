"""The ``--twin`` adapters: the twin's Kubernetes API and virtual clock, and where its signals come
from (``twin.metrics``).

- ``prometheus``: a private Prometheus scraping the twin's exposition, read with the stack's PromQL
  (:mod:`agent.adapters.prometheus_local`), so a demo's numbers come from the path a cluster's do;
  the binary missing is a ConfigError.
- ``model``: the twin's own signal model (:class:`~agent.adapters.twin.TwinMetrics`), measured as a
  real install would; no process to start, so tests that need speed choose it.
- ``auto`` (default): ``prometheus`` when the binary is on PATH, else ``model``, said once on stderr
  and in the report's "Signals from" line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from agent.config import Settings
from agent.errors import ConfigError
from agent.ports import AuditLog, Clock, Deps, Designer, Metrics, Narrator, Notifier, RunStore

NOT_INSTALLED = "twin model (Prometheus not installed)"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


@contextmanager
def twin_deps(
    settings: Settings, url: str, *, notifier: Notifier, designer: Designer, narrator: Narrator | None,
    store: RunStore, audit: AuditLog, realtime: bool, warn: Callable[[str], None] = _stderr,
) -> Iterator[Deps]:
    """Deps on the twin serving at ``url`` for the block (a private Prometheus, if any, stops with it)."""
    from agent.adapters.kube import connect
    from agent.adapters.twin import TwinClock
    from agent.run.audited import AuditedCluster
    from agent.wire.journey import with_journey
    from agent.wiring import retry_policy

    twin_clock = TwinClock(url, speed=settings.twin.speed if realtime else None)
    cluster = AuditedCluster(connect(host=url, kubeconfig=None, context=None, retry=retry_policy(settings)),
                             audit, twin_clock)
    with twin_metrics(settings, url, twin_clock, warn=warn) as (metrics, source):
        yield with_journey(Deps(
            settings=settings, notifier=notifier, designer=designer, narrator=narrator, store=store, audit=audit,
            cluster=cluster, metrics=metrics, clock=twin_clock, metrics_source=source,
        ), twin_url=url)


@contextmanager
def twin_metrics(settings: Settings, url: str, clock: Clock, *,
                 warn: Callable[[str], None] = _stderr) -> Iterator[tuple[Metrics, str]]:
    """The twin's signals as ``twin.metrics`` chooses, and the source line the report shows."""
    from agent.adapters.prometheus_local import installed, local_prometheus
    from agent.adapters.twin import TwinMetrics, stack_exports

    choice = settings.twin.metrics
    binary = installed() if choice != "model" else None
    if binary is None:
        if choice == "prometheus":
            raise ConfigError(
                "twin.metrics: 'prometheus', but no prometheus binary is on PATH; install it "
                "(scripts/system-deps.sh: apt-get install --no-install-recommends prometheus) or set twin.metrics: model"
            )
        source = f"twin model ({url})"
        if choice == "auto":
            source = NOT_INSTALLED
            warn("note: prometheus is not installed, so --twin reads the twin's signal model instead of PromQL "
                 "(install it: scripts/system-deps.sh; silence this: twin.metrics: model)")
        yield TwinMetrics(url, exports=stack_exports(settings)), source  # what a real install measures
        return
    with local_prometheus(binary, url, clock, settings.k8s.monitoring.prometheus, poll_s=settings.monitor.poll_interval_s,
                          root=settings.path(settings.paths.state_dir) / "prometheus") as metrics:
        yield metrics, f"Prometheus {metrics.local.url} (PromQL over the twin's exposition)"
