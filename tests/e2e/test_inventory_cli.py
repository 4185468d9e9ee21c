"""`inventory` on the default twin and on a twin seeded from a user's own manifests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]

APP = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""

STACK = """\
k8s:
  namespaces: [shop]
  target_services:
    - {name: web, namespace: shop, type: nginx, tier: edge, selector: {app: web}}
policy:
  namespaces: [shop]
"""


def test_inventory_of_the_default_twin(cli: Cli) -> None:
    out = cli("inventory", "--twin")
    assert out.returncode == 0, out.stderr
    assert "14 Deployments, 0 StatefulSets, 14 Services, 14 Pods" in out.stdout
    for tier in ("edge tier", "business tier", "queue tier", "data tier"):
        assert tier in out.stdout


def test_inventory_of_a_twin_seeded_from_other_manifests(cli: Cli, workdir: Path) -> None:
    (workdir / "app.yaml").write_text(APP)
    (workdir / "stack.yaml").write_text(STACK)
    out = cli("inventory", "--manifests", str(workdir / "app.yaml"))
    assert out.returncode == 0, out.stderr + out.stdout
    assert "1 Deployments, 0 StatefulSets, 1 Services, 2 Pods" in out.stdout
    assert "2/2" in out.stdout  # both replicas ready
    # Its own twin state, beside (not replacing) the Sock Shop one.
    states = sorted(p.name for p in (workdir / ".chaos-advisor" / "twin").glob("*.json"))
    assert len(states) == 1 and states[0].startswith("custom-")
