"""What a workload is, inferred from evidence a person can check: which data store or queue it
runs (image, Service ports, ``app.kubernetes.io/component``, StatefulSet, persistent volumes), what
runtime (image, ``JAVA_OPTS``), and whether users reach it directly (an Ingress, a LoadBalancer or
NodePort Service). Every inferred fact carries its source, so ``inventory`` and ``init`` can say
why a service is called a store or an entry point, and a user can override it in stack.yaml.

Criticality needs the call graph, so it is inferred afterwards (:func:`criticality`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.models import Criticality, KubeService, Tier, Workload
from agent.models.inventory import Evidence

# Image names (the last path segment, tag dropped) of well-known stores and queues.
IMAGE_STORES = {
    "mongo": "mongodb", "mysql": "mysql", "mariadb": "mysql", "postgres": "postgresql", "redis": "redis",
    "valkey": "redis", "memcached": "memcached", "rabbitmq": "rabbitmq", "kafka": "kafka", "nats": "nats",
    "elasticsearch": "elasticsearch", "cassandra": "cassandra", "zookeeper": "zookeeper", "etcd": "etcd",
}
# Their default ports, as a Service in front of one shows them.
PORT_STORES = {
    27017: "mongodb", 3306: "mysql", 5432: "postgresql", 6379: "redis", 11211: "memcached", 5672: "rabbitmq",
    9092: "kafka", 4222: "nats", 9200: "elasticsearch", 9042: "cassandra", 2181: "zookeeper",
}
QUEUES = frozenset({"rabbitmq", "kafka", "nats"})  # callers hand work over and do not wait
COMPONENT = "app.kubernetes.io/component"
COMPONENT_TIERS: dict[str, Tier] = {
    "database": "data", "db": "data", "cache": "data", "storage": "data", "queue": "queue",
    "broker": "queue", "messaging": "queue", "frontend": "edge", "web": "edge", "gateway": "edge",
}
ENTRY_TYPES = ("LoadBalancer", "NodePort")
RUNTIMES = (("java", "java"), ("openjdk", "java"), ("jdk", "java"), ("jre", "java"), ("node", "nodejs"),
            ("python", "python"), ("golang", "go"), ("nginx", "nginx"), ("dotnet", "dotnet"))
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Inferred:
    """A workload's tier, runtime, store and exposure, each with where it came from."""

    tier: Tier
    type: str
    store: str | None
    entry: bool
    evidence: list[Evidence]


def services_of(workload: Workload, services: list[KubeService]) -> list[KubeService]:
    """The Services of the workload's namespace whose selector picks its pods."""
    return [
        s for s in services
        if s.namespace == workload.namespace and s.selector
        and all(workload.pod_labels.get(k) == v for k, v in s.selector.items())
    ]


def infer(workload: Workload, services: list[KubeService]) -> Inferred:
    """Tier, type, store and entry of one workload, from its manifest and its Services."""
    mine = services_of(workload, services)
    evidence: list[Evidence] = []
    store = _store(workload, mine, evidence)
    entry = _entry(mine, evidence)
    tier = _tier(workload, store, entry, evidence)
    runtime = store or _runtime(workload, evidence)
    return Inferred(tier=tier, type=runtime, store=store, entry=entry, evidence=evidence)


def _image_name(image: str) -> str:
    return image.rsplit("/", 1)[-1].split("@")[0].split(":")[0].lower()


def _store(w: Workload, services: list[KubeService], evidence: list[Evidence]) -> str | None:
    for c in w.containers:
        words = _WORD.findall(_image_name(c.image))
        if "exporter" in words:  # a metrics sidecar next to the store, not the store
            continue
        for word in words:
            if word in IMAGE_STORES:
                evidence.append(Evidence(fact="store", value=IMAGE_STORES[word], source=f"image {c.image}"))
                return IMAGE_STORES[word]
    for s in services:
        for port in s.ports:
            if port in PORT_STORES:
                evidence.append(Evidence(fact="store", value=PORT_STORES[port], source=f"Service {s.name} port {port}"))
                return PORT_STORES[port]
    component = w.labels.get(COMPONENT) or w.pod_labels.get(COMPONENT)
    if component and COMPONENT_TIERS.get(component) in ("data", "queue"):
        evidence.append(Evidence(fact="store", value=component, source=f"label {COMPONENT}={component}"))
        return component
    if w.kind == "StatefulSet" or w.persistent:
        why = "a StatefulSet" if w.kind == "StatefulSet" else "a PersistentVolumeClaim volume"
        evidence.append(Evidence(fact="store", value="stateful", source=f"{why}: it keeps state"))
        return "stateful"
    return None


def _entry(services: list[KubeService], evidence: list[Evidence]) -> bool:
    found = False
    for s in services:
        if s.type in ENTRY_TYPES:
            evidence.append(Evidence(fact="entry", value="yes", source=f"Service {s.name} type {s.type}"))
            found = True
        for ingress in s.exposed_by:
            evidence.append(Evidence(fact="entry", value="yes", source=f"{ingress} routes to Service {s.name}"))
            found = True
    return found


def _tier(w: Workload, store: str | None, entry: bool, evidence: list[Evidence]) -> Tier:
    component = w.labels.get(COMPONENT) or w.pod_labels.get(COMPONENT)
    if store is not None:
        tier: Tier = "queue" if store in QUEUES or COMPONENT_TIERS.get(store) == "queue" else "data"
        evidence.append(Evidence(fact="tier", value=tier, source=f"it is a {store} store"))
    elif entry:
        tier = "edge"
        evidence.append(Evidence(fact="tier", value=tier, source="users reach it directly"))
    elif component and COMPONENT_TIERS.get(component) == "edge":
        tier = "edge"
        evidence.append(Evidence(fact="tier", value=tier, source=f"label {COMPONENT}={component}"))
    else:
        tier = "business"
        evidence.append(Evidence(fact="tier", value=tier, source="not a store and not exposed to users"))
    return tier


def _runtime(w: Workload, evidence: list[Evidence]) -> str:
    for c in w.containers:
        java = next((e.name for e in c.env if e.name in ("JAVA_OPTS", "JAVA_TOOL_OPTIONS")), None)
        if java:
            evidence.append(Evidence(fact="type", value="java", source=f"env {java}"))
            return "java"
        words = set(_WORD.findall(_image_name(c.image)))
        for word, runtime in RUNTIMES:
            if word in words:
                evidence.append(Evidence(fact="type", value=runtime, source=f"image {c.image}"))
                return runtime
    return "unknown"


def criticality(*, entry: bool, on_user_path: bool, has_calls: bool, any_entry: bool) -> tuple[Criticality, str]:
    """How much users depend on a service, from where it sits in the call graph, and why.

    Only the graph is known, not the business: a service users reach, or that user requests pass
    through synchronously, is high; one only reached asynchronously or off every user path is
    medium; one with no call seen at all is low. With no entry point known, every service is medium.
    """
    if not any_entry:
        return "medium", "no entry point found (Ingress, LoadBalancer or NodePort): criticality unknown"
    if entry:
        return "high", "users reach it directly"
    if on_user_path:
        return "high", "user requests reach it through synchronous calls"
    if has_calls:
        return "medium", "off every synchronous user path"
    return "low", "no call seen to or from it"
