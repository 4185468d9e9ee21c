"""What Sock Shop's processes serve besides their request histograms, per complete-demo.yaml.

- kubelet probes: an httpGet readiness or liveness probe requests its path every
  `periodSeconds` (default 10) from `initialDelaySeconds` after the container starts, and the
  process records it like any request once it listens (catalogue, payment and user: `/health`
  twice every 3 s, ~0.67 req/s per pod once both run; front-end: `/`). `probe_counts` counts them.
- queue-master: its Service is annotated for scraping at the default /metrics, but the app is a
  Spring Boot 1.x service whose Prometheus endpoint is `/prometheus` (PrometheusEndpoint.java);
  /metrics is the actuator's JSON, which Prometheus cannot parse, so its target is `up == 0`.
  `actuator_json` is that body.
- rabbitmq: the Service's annotated port 9090 is the kbudde/rabbitmq-exporter sidecar, which
  exports `rabbitmq_*` series only. `rabbitmq_text` is a few of them, with the shipping queue's
  depth (`queued`: it grows while queue-master is down and drains once it is back).
"""

from __future__ import annotations

import json
import re

from twin.state import KObj, State, okey

ACTUATOR_JSON = "application/vnd.spring-boot.actuator.v1+json;charset=UTF-8"
ACTUATOR_APPS = frozenset({"queue-master"})  # /metrics is Spring Boot actuator JSON
EXPORTER_APPS = frozenset({"rabbitmq"})  # the annotated port is kbudde/rabbitmq-exporter
QUEUE = "shipping-task"  # shipping publishes, queue-master consumes (topology.yaml)
PUBLISHER, CONSUMER = "shipping", "queue-master"
DRAIN_PER_S = 50.0  # messages a listening queue-master takes off the queue per second, beyond what arrives
DEFAULT_PERIOD_S = 10.0  # Kubernetes' default periodSeconds


def go_route(path: str) -> str:
    """weaveworks/common's route label for a path it has no mux template for (MakeLabelValue)."""
    value = re.sub(r"[^a-zA-Z0-9]+", "_", path.strip("/")).lower()
    return value or "root"


def probe_counts(state: State, pods: list[KObj], t0: float, t1: float) -> dict[str, float]:
    """Probe requests per path the pods' listening processes received in virtual [t0, t1)."""
    counts: dict[str, float] = {}
    for pod in pods:
        runtime = state.pods.get(okey(pod["metadata"]["namespace"], pod["metadata"]["name"]))
        if runtime is None:
            continue
        for container in pod["spec"].get("containers") or []:
            for kind in ("readinessProbe", "livenessProbe"):
                probe = container.get(kind) or {}
                path = (probe.get("httpGet") or {}).get("path")
                if path is None:
                    continue
                since = max(t0, runtime.started_at + float(probe.get("initialDelaySeconds", 0)),
                            runtime.process_ready_at)
                period = float(probe.get("periodSeconds") or DEFAULT_PERIOD_S)
                counts[path] = counts.get(path, 0.0) + max(0.0, t1 - since) / period
    return counts


def actuator_json(state: State, namespace: str, service: str) -> str:
    """Spring Boot 1.x actuator /metrics of a service's oldest pod: plain JSON, not Prometheus."""
    starts = [r.started_at for key, r in state.pods.items() if key.startswith(f"{namespace}/{service}-")]
    uptime_ms = int(1000 * max(0.0, state.now - min(starts, default=state.now)))
    memory_kb = int(state.topology.service(service).memory_mib * 1024)
    return json.dumps({"mem": memory_kb, "mem.free": memory_kb // 3, "processors": 2,
                       "instance.uptime": uptime_ms, "uptime": uptime_ms,
                       "heap.committed": memory_kb // 2, "threads": 24})


def queued(messages: float, *, dt_s: float, published_per_s: float, consumers: int) -> float:
    """The shipping queue's depth after dt_s: it grows while nobody consumes, and drains fast once
    queue-master listens again (it acknowledges each shipment as it takes it)."""
    if not consumers:
        return messages + published_per_s * dt_s
    return max(0.0, messages - DRAIN_PER_S * dt_s)


def rabbitmq_text(*, up: bool, consumers: int, messages: float = 0.0) -> str:
    """kbudde/rabbitmq-exporter's series: whether it reaches the broker, and the shipping queue."""
    lines = ["# HELP rabbitmq_up Was the last scrape of rabbitmq successful.",
             "# TYPE rabbitmq_up gauge", f"rabbitmq_up {1 if up else 0}"]
    if up:
        labels = f'{{queue="{QUEUE}",vhost="/"}}'
        for name, value, text in (
                ("rabbitmq_queue_messages", round(messages), "Sum of ready and unacknowledged messages (queue depth)."),
                ("rabbitmq_queue_messages_ready", round(messages), "Number of messages ready to be delivered to clients."),
                ("rabbitmq_queue_consumers", consumers, "Number of consumers.")):
            lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", f"{name}{labels} {value}"]
    return "\n".join(lines) + "\n"
