"""Calls between services inferred from what the manifests show, each with its evidence.

A workload names what it calls in its environment (``CART_SERVICE_ADDR=cartservice:7070``,
``MONGO_HOST=user-db``, ``jdbc:mysql://catalogue-db:3306/socksdb``, ``amqp://rabbitmq``), its
command line (``--catalogue-url=http://catalogue``) and the ConfigMaps it mounts. A reference
counts when it resolves to a Service of a discovered namespace (``svc``, ``svc.ns``,
``svc.ns.svc.cluster.local``) whose selector picks another workload's pods. URLs and
``host:port`` count anywhere; a bare name only in a variable named like an address
(``*_HOST``, ``*_ADDR``, ``*_URL``, ...), so ``MYSQL_DATABASE=socksdb`` is not a call.

Secrets are never read (the adapter leaves their values empty). The protocol comes from the URL
scheme, the port, the Service's port name or the callee's store; calls to a queue are
asynchronous: they do not propagate errors or latency.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from agent.inventory.infer import PORT_STORES, QUEUES, services_of
from agent.models import Dependency, KubeService, Workload

_URL = re.compile(r"([a-z][a-z0-9+.-]*)://(?:[^@/\s'\"]*@)?([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::(\d{1,5}))?", re.I)
_HOST_PORT = re.compile(r"(?<![\w.:/@-])([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?):(\d{2,5})\b", re.I)
_ADDRESS_NAME = re.compile(r"(^|_)(HOST|HOSTNAME|ADDR|ADDRESS|URL|URI|ENDPOINT|SERVER|SERVICE|DSN|BROKERS?|HOSTS)$", re.I)
_SCHEMES = {
    "mongodb": "mongodb", "mongodb+srv": "mongodb", "mysql": "mysql", "postgres": "postgresql",
    "postgresql": "postgresql", "redis": "redis", "rediss": "redis", "amqp": "amqp", "amqps": "amqp",
    "http": "http", "https": "http", "grpc": "grpc", "kafka": "kafka", "nats": "nats",
}
_ASYNC = frozenset({"amqp", "kafka", "nats"})
MAX_SHOWN = 60  # characters of a value quoted as evidence


@dataclass(frozen=True)
class Reference:
    """One place a workload names a host: where, the host, and the port or scheme if given."""

    where: str  # e.g. "env CART_SERVICE_ADDR=cartservice:7070"
    host: str
    port: int | None = None
    scheme: str | None = None


def infer_calls(workloads: list[Workload], services: list[KubeService], names: dict[tuple[str, str], str],
                stores: dict[str, str | None]) -> list[Dependency]:
    """Every call seen, first evidence kept per (caller, callee).

    Args:
        workloads: The discovered workloads.
        services: The discovered Services (references resolve through them).
        names: (namespace, workload name) -> the target name it is known by.
        stores: target name -> the store it runs (None for a plain service).
    """
    found: dict[tuple[str, str], Dependency] = {}
    backends = _backends(workloads, services, names)
    for w in workloads:
        caller = names.get((w.namespace, w.name))
        if caller is None:
            continue
        for ref in references(w):
            for service, callee in _resolve(ref.host, w.namespace, backends):
                if callee == caller or (caller, callee) in found:
                    continue
                protocol = _protocol(ref, service, stores.get(callee))
                sync = protocol not in _ASYNC and stores.get(callee) not in QUEUES
                found[(caller, callee)] = Dependency(source=caller, target=callee, protocol=protocol, sync=sync,
                                                     evidence=ref.where)
    return sorted(found.values(), key=lambda d: (d.source, d.target))


def references(w: Workload) -> Iterator[Reference]:
    """Every host the workload's env, arguments and mounted ConfigMaps name."""
    for c in w.containers:
        for var in c.env:
            origin = "" if var.source == "env" else f" (from {var.source})"
            yield from _in_text(var.value, f"env {var.name}={_short(var.value)}{origin}", bare=bool(_ADDRESS_NAME.search(var.name)))
        for arg in c.args:
            yield from _in_text(arg, f"args {_short(arg)}", bare=False)
    for f in w.config:
        for line in f.text.splitlines():
            yield from _in_text(line, f"configMap {f.config_map} key {f.key}: {_short(line.strip())}", bare=False)


def _in_text(text: str, where: str, *, bare: bool) -> Iterator[Reference]:
    seen_at: set[int] = set()
    for m in _URL.finditer(text):
        seen_at.add(m.start(2))
        yield Reference(where, m.group(2).lower(), int(m.group(3)) if m.group(3) else None, m.group(1).lower())
    for m in _HOST_PORT.finditer(text):
        if m.start(1) not in seen_at:
            yield Reference(where, m.group(1).lower(), int(m.group(2)))
    if bare and not seen_at:
        for word in re.split(r"[\s,;]+", text.strip()):
            if word and ":" not in word and "/" not in word:
                yield Reference(where, word.lower())


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


Backends = dict[tuple[str, str], list[tuple[KubeService, str]]]  # (namespace, Service) -> (Service, target)


def _backends(workloads: list[Workload], services: list[KubeService], names: dict[tuple[str, str], str]) -> Backends:
    out: Backends = {}
    for w in workloads:
        target = names.get((w.namespace, w.name))
        for s in services_of(w, services) if target else []:
            out.setdefault((s.namespace, s.name), []).append((s, target or ""))
    return out


def _resolve(host: str, namespace: str, backends: Backends) -> list[tuple[KubeService, str]]:
    """The (Service, target) pairs a host names: ``svc`` in the caller's namespace, or ``svc.ns``
    with an optional ``.svc[.cluster.local]``; anything else is outside the discovered stack."""
    parts = host.split(".")
    if len(parts) == 1:
        return backends.get((namespace, host), [])
    if len(parts) == 2 or parts[2] == "svc":
        return backends.get((parts[1], parts[0]), [])
    return []


def _protocol(ref: Reference, service: KubeService, callee_store: str | None) -> str:
    if ref.scheme and ref.scheme in _SCHEMES:
        return _SCHEMES[ref.scheme]
    if ref.port in PORT_STORES:
        return "amqp" if PORT_STORES[ref.port] == "rabbitmq" else PORT_STORES[ref.port]
    for name in service.port_names:
        for word, protocol in (("grpc", "grpc"), ("http", "http"), ("redis", "redis"), ("mongo", "mongodb"),
                               ("mysql", "mysql"), ("amqp", "amqp")):
            if word in name.lower():
                return protocol
    if callee_store in QUEUES:
        return "amqp" if callee_store == "rabbitmq" else callee_store
    return callee_store if callee_store and callee_store != "stateful" else "http"
