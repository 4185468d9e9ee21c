"""Many namespaces are listed cluster-wide (one paginated call per kind), filtered to those asked."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent.adapters.kube import CLUSTER_WIDE_AFTER, PAGE, connect
from twin import TwinServer


def manifests(tmp_path: Path, namespaces: list[str], per_ns: int) -> Path:
    docs: list[dict] = []  # type: ignore[type-arg]
    for ns in namespaces:
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(per_ns):
            name = f"svc{i}"
            docs.append({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "labels": {"name": name}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"name": name}},
                         "template": {"metadata": {"labels": {"name": name}},
                                      "spec": {"containers": [{"name": name, "image": "app:1",
                                                               "resources": {"limits": {"cpu": "250m", "memory": "1Gi"}}}]}}},
            })
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_cluster_wide_lists_are_paginated_and_filtered(tmp_path: Path) -> None:
    spaces = [f"team-{i}" for i in range(CLUSTER_WIDE_AFTER + 3)]
    per_ns = PAGE // 4 + 10  # pods across the asked namespaces exceed one page
    with TwinServer(tmp_path / "twin.json", manifests=[manifests(tmp_path, spaces, per_ns)]) as twin:
        asked = spaces[:-1]  # leave one out: it must not appear
        snap = connect(host=twin.url, kubeconfig=None, context=None).snapshot(asked)
    assert {w.namespace for w in snap.workloads} == set(asked)
    assert len(snap.workloads) == per_ns * len(asked)
    assert len(snap.pods) == 2 * per_ns * len(asked) > PAGE
    assert all(p.owner_kind == "Deployment" for p in snap.pods)  # resolved through the ReplicaSets
    assert snap.workloads[0].containers[0].cpu_limit_m == 250
    assert snap.workloads[0].containers[0].memory_limit_mib == 1024
