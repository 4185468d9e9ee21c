"""What a service's own request metrics can show on a real install (pure).

Sock Shop as upstream deploys it (complete-demo.yaml with manifests-monitoring; the audit in
``evidence/sock-shop-metrics.md`` section 1) exports ``request_duration_seconds`` only from its
seven HTTP services, and not all of them count failures:

- ``all``: the server-side histogram records every answered request with its status (front-end's
  prom-client, the Go services' weaveworks/common middleware). Its error rate shows failures, as
  long as a pod of it serves: a pod that is gone or not Ready records nothing.
- ``successes``: the Java services (carts, orders, shipping) observe in Spring's ``postHandle``,
  which is skipped when the handler throws, so their error rate reads 0 % while any request
  succeeds and nothing (0/0) when none does. Their p95 is that of the successes.
- ``none``: no request series at all. Data stores and queues (no ``prometheus.io/scrape`` on
  their Services; rabbitmq exports only ``rabbitmq_*``) and services no caller reaches over a
  synchronous call nor users directly (queue-master consumes from a queue; its scrape fails):
  they are judged by readiness (the Kubernetes API) and by their callers.

The rule reads only what the stack says of a service (its runtime, whether it is a store, and
whether anything sends it requests), so the planner and the twin's model reader agree on it.
"""

from __future__ import annotations

from typing import Literal

RequestMetrics = Literal["all", "successes", "none"]
SUCCESS_ONLY_RUNTIMES = frozenset({"java"})  # Sock Shop's Java interceptor records successes only


def request_metrics(*, runtime: str, store: str | None, served: bool) -> RequestMetrics:
    """What ``request_duration_seconds`` of one service can show.

    Args:
        runtime: What runs there (``Target.type``: "java", "go", "nodejs", "mongodb", ...).
        store: The data store or queue it is, if any (``Target.store``).
        served: Users reach it directly or a caller sends it synchronous requests.
    """
    if store or not served:
        return "none"
    return "successes" if runtime.lower() in SUCCESS_ONLY_RUNTIMES else "all"
