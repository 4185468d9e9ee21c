"""The model's knowledge of the application: services, call graph, timeouts.

Sock Shop's comes from `data/topology.yaml`. Workloads it does not know (other manifests) get
the defaults there and synchronous edges to every Service their env vars mention, which is how
most manifests wire their dependencies (`mongo=user-db:27017`).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from twin.selectors import labels_match, match_labels_selector
from twin.state import Edge, KObj, ServiceModel, Topology

TOPOLOGY_PATH = Path(__file__).parent / "data" / "topology.yaml"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_documents(path: Path) -> list[KObj]:
    """Every mapping document of a (multi-document) YAML file, `kind: List` items flattened."""
    with path.open(encoding="utf-8") as handle:
        documents = list(yaml.load_all(handle, Loader=_Loader))
    flat: list[KObj] = []
    for doc in documents:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            flat += [item for item in doc.get("items") or [] if isinstance(item, dict)]
        elif isinstance(doc, dict):
            flat.append(doc)
    return flat


def load_topology(path: Path = TOPOLOGY_PATH) -> Topology:
    """Read topology.yaml (edges are written with `from`/`to`)."""
    with path.open(encoding="utf-8") as handle:
        raw = yaml.load(handle, Loader=_Loader)
    edges = [Edge(caller=e["from"], callee=e["to"], sync=e.get("sync", True),
                  share=e.get("share", 1.0)) for e in raw.get("edges", [])]
    return Topology(
        entry=raw.get("entry"),
        traffic=raw.get("traffic", {}),
        services={k: ServiceModel(**v) for k, v in raw.get("services", {}).items()},
        edges=edges,
        timeouts_ms=raw.get("timeouts_ms", {}),
        defaults=ServiceModel(**raw.get("defaults", {})),
        paths={k: list(v or []) for k, v in (raw.get("paths") or {}).items()},
    )


def _template_labels(workload: KObj) -> dict[str, str]:
    return ((workload.get("spec") or {}).get("template") or {}).get("metadata", {}).get(
        "labels") or {}


def _service_targets(service: KObj, workloads: list[KObj]) -> list[str]:
    """Names of the workloads whose pods a Service selects (same namespace)."""
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return []
    namespace = service["metadata"].get("namespace")
    requirements = match_labels_selector(selector)
    return [w["metadata"]["name"] for w in workloads
            if w["metadata"].get("namespace") == namespace
            and labels_match(requirements, _template_labels(w))]


def _env_values(workload: KObj) -> list[str]:
    pod_spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [str(env.get("value", "")) for container in pod_spec.get("containers") or []
            for env in container.get("env") or []]


_WORD = re.compile(r"[A-Za-z0-9-]+")


def _derived_edges(workload: KObj, services_by_name: dict[str, list[tuple[int, KObj]]],
                   workloads: list[KObj]) -> list[Edge]:
    """Edges to every Service an env var value names, as whole words (`user-db:27017`).

    Service names are DNS labels ([a-z0-9-]), so a name occurs as a whole word exactly when it
    is one of the maximal [A-Za-z0-9-] runs of a value: a set lookup per word, not a regex per
    (workload, Service) pair, which kept big manifests (2,000 Services) seeding for minutes."""
    name, edges = workload["metadata"]["name"], []
    words = {word for value in _env_values(workload) for word in _WORD.findall(value)}
    named = sorted((entry for word in words if word != name for entry in services_by_name.get(word, [])),
                   key=lambda entry: entry[0])  # in manifest order, as before
    for _, service in named:
        edges += [Edge(caller=name, callee=callee) for callee in
                  _service_targets(service, workloads) if callee != name]
    return edges


def build_topology(known: Topology, workloads: list[KObj], services: list[KObj]) -> Topology:
    """The topology for these workloads: known entries where they exist, derived otherwise."""
    names = {w["metadata"]["name"] for w in workloads}
    edges = [e for e in known.edges if e.caller in names and e.callee in names]
    services_by_name: dict[str, list[tuple[int, KObj]]] = {}
    for index, service in enumerate(services):
        services_by_name.setdefault(service["metadata"]["name"], []).append((index, service))
    for workload in workloads:
        if workload["metadata"]["name"] not in known.services:
            edges += _derived_edges(workload, services_by_name, workloads)
    unique = {(e.caller, e.callee): e for e in edges}
    return Topology(
        entry=known.entry if known.entry in names else None,
        traffic=known.traffic if known.entry in names else {},
        services={n: known.service(n) for n in sorted(names)},
        edges=list(unique.values()),
        timeouts_ms={k: v for k, v in known.timeouts_ms.items() if k in names},
        defaults=known.defaults,
        paths={p: [c for c in cs if c in names] for p, cs in known.paths.items()} if known.entry in names else {},
    )
