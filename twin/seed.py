"""Seeding a fresh twin: nodes, namespaces, the manifests' workloads, and the Litmus install
(`litmus_install`: CRDs, operator, faults, chaos service account).

What a cluster looks like right after `kubectl apply -f complete-demo.yaml` plus a Litmus
install: every object as written in the manifests (labels, annotations, spec verbatim, so the
front-end Deployment stays unlabelled), server fields added, pods running for a day already,
and every ChaosExperiment installed in each application namespace.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

from twin import litmus_install
from twin.resources import SEEDED_AS_WRITTEN, by_kind
from twin.state import KObj, State, okey
from twin.topology import build_topology, load_topology, load_yaml_documents
from twin.workloads import seed_daemonset, seed_deployment, seed_statefulset, stamp

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_MANIFESTS: tuple[Path, ...] = (DATA_DIR / "complete-demo.yaml",)
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
NODE_COUNT = 3
UPTIME_S = 86400.0  # seeded pods have been running for a day, so they are long Ready


def _node(index: int) -> KObj:
    name = f"twin-node-{index}"
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/arch": "amd64"}},
        "spec": {"podCIDR": f"10.244.{index - 1}.0/24"},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110",
                         "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110",
                            "ephemeral-storage": "100Gi"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status"}],
            "addresses": [{"type": "InternalIP", "address": f"10.0.0.{10 + index}"},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.30.0-twin", "kubeProxyVersion": "v1.30.0-twin",
                         "containerRuntimeVersion": "containerd://1.7.13",
                         "operatingSystem": "linux", "architecture": "amd64",
                         "osImage": "Twin Linux", "kernelVersion": "6.1.0-twin",
                         "machineID": f"{index:032x}", "systemUUID": f"{index:032x}",
                         "bootID": f"{index:032x}"},
        },
    }


def namespace_object(name: str) -> KObj:
    """A Namespace as the API server stores it (with its automatic name label)."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _add_namespace(state: State, doc: KObj | None, name: str, t: float) -> None:
    bucket = state.bucket("core/v1/namespaces")
    if okey("", name) in bucket:
        return
    obj = namespace_object(name)
    if doc is not None:
        obj["metadata"].update(copy.deepcopy(doc.get("metadata") or {}))
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = name
    bucket[okey("", name)] = stamp(state, obj, t)


def _service(state: State, doc: KObj, t: float) -> None:
    spec = doc.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    rng = state.rng("cluster-ip")
    ip = f"10.96.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    spec.setdefault("clusterIP", ip)
    spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("sessionAffinity", "None")
    doc["status"] = {"loadBalancer": {}}
    state.bucket("core/v1/services")[okey(doc["metadata"]["namespace"],
                                          doc["metadata"]["name"])] = stamp(state, doc, t)


def _as_written(state: State, doc: KObj, t: float) -> None:
    """A ConfigMap or Ingress, stored as the manifest wrote it (no controller acts on them)."""
    resource = by_kind(doc["kind"])
    if doc["kind"] == "Ingress":
        doc["status"] = {"loadBalancer": {}}
    if resource is not None:
        state.bucket(resource.key)[okey(doc["metadata"]["namespace"], doc["metadata"]["name"])] = stamp(state, doc, t)


def seed_state(manifests: Sequence[Path], *, seed: int, now: float) -> State:
    """A fresh cluster from manifests; objects are dated a day before `now`."""
    docs = [d for path in manifests for d in load_yaml_documents(path) if d.get("kind")]
    for doc in docs:
        if by_kind(doc["kind"]) and by_kind(doc["kind"]).namespaced:  # type: ignore[union-attr]
            doc.setdefault("metadata", {}).setdefault("namespace", "default")
    state = State(seed=seed, now=now)
    created = now - UPTIME_S
    for index in range(1, NODE_COUNT + 1):
        state.bucket("core/v1/nodes")[okey("", f"twin-node-{index}")] = stamp(
            state, _node(index), created)
    for name in SYSTEM_NAMESPACES:
        _add_namespace(state, None, name, created)
    app_namespaces: list[str] = []
    for doc in docs:
        name = doc["metadata"]["name"] if doc["kind"] == "Namespace" else doc["metadata"].get(
            "namespace")
        if name and by_kind(doc["kind"]):
            _add_namespace(state, doc if doc["kind"] == "Namespace" else None, name, created)
            if name not in app_namespaces and name not in ("default", "kube-system"):
                app_namespaces.append(name)
    workloads = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet")]
    services = [d for d in docs if d["kind"] == "Service"]
    state.topology = build_topology(load_topology(), workloads, services)
    for doc in services:
        _service(state, doc, created)
    for doc in workloads:
        (seed_deployment if doc["kind"] == "Deployment" else seed_statefulset)(state, doc, created)
    for doc in docs:
        if doc["kind"] == "DaemonSet":
            seed_daemonset(state, doc, created)
        elif doc["kind"] in SEEDED_AS_WRITTEN:
            _as_written(state, doc, created)
    litmus_install.install(state, app_namespaces, created)
    return state
