"""Does the advice find the weakness? Planted-weakness scenarios, ranked by the offline planner.

    python bench/advice_eval.py [--json] [--per-kind N]

From two applications' manifests, Sock Shop (upstream ``complete-demo.yaml``, described by the
repository's stack.yaml) and the boutique fixture (``tests/data/boutique``, namespace-only: its calls
are inferred from ``*_ADDR`` env vars), it generates scenarios that are hardened everywhere (2
replicas, a readiness probe, a 1 GiB memory limit, stores on a PersistentVolumeClaim) except for
one planted weakness, of five kinds:

  single-no-probe   a service (not a store, not the edge) with 1 replica and no readiness probe
  slow-readiness    a service with 1 replica and a 180 s readiness delay
  memory-limit      a service whose memory limit (256Mi) is below Litmus's 500 MB hog
  store-1-replica   a data store or queue with 1 replica
  edge-1-replica    the entry point (what users reach) with 1 replica

Each app also gets three control scenarios, hardened everywhere with nothing planted:

  control-2-replicas   the hardening as is
  control-3-replicas   three replicas of everything
  control-slow-ready   a 180 s readiness delay everywhere, behind 2 replicas and a probe (looks risky, is not)

(PodDisruptionBudgets are not read by discovery, so they would change nothing the planner sees.)

Each scenario is a namespace of one twin, discovered through the real ``kubernetes`` client and
ranked by ``PlannerDesigner`` with every fault it may propose. A hit is a candidate on the planted
service with a fault that exposes the kind (a pod-delete or container-kill for the restart kinds,
a memory hog for the limit). A false alarm is a control where the planner presents a weakness
(an idea at or above ``planner.weakness_likelihood``) instead of saying it found none above its
threshold. Prints hit@1 and hit@3 per kind and per app next to the false alarms on controls,
every miss with what ranked first, the count and the time. Offline; nothing is tuned per
scenario: the planner's weights and their reasons are in ``agent/design/impact.py``.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from agent.adapters.kube import connect  # noqa: E402
from agent.config import load_settings  # noqa: E402
from agent.design.planner import PlannerDesigner  # noqa: E402
from agent.inventory.discovery import build_inventory  # noqa: E402
from agent.models import Fault  # noqa: E402
from twin import TwinServer  # noqa: E402

Doc = dict[str, Any]  # a Kubernetes manifest as YAML reads it (this script only)
KINDS = ("single-no-probe", "slow-readiness", "memory-limit", "store-1-replica", "edge-1-replica")
RESTART = {Fault.POD_DELETE, Fault.CONTAINER_KILL}
EXPOSES = {k: RESTART for k in KINDS} | {"memory-limit": {Fault.POD_MEMORY_HOG}}
ACTIONS = [f for f in Fault if f not in (Fault.DISK_FILL, Fault.NODE_DRAIN) and not f.entry.control]
CONTROLS = ("control-2-replicas", "control-3-replicas", "control-slow-ready")


@dataclass(frozen=True)
class App:
    """An application: its manifests, its stores and entry (ground truth), and its stack.yaml."""

    name: str
    manifests: Path
    stores: tuple[str, ...]
    entry: str
    stack: Path | None  # None: namespace-only discovery


APPS = (
    App("sock-shop", ROOT / "twin/data/complete-demo.yaml",
        ("carts-db", "catalogue-db", "orders-db", "rabbitmq", "session-db", "user-db"), "front-end", ROOT / "stack.yaml"),
    App("boutique", ROOT / "tests/data/boutique/boutique.yaml", ("redis-cart",), "frontend", None),
)


@dataclass(frozen=True)
class Scenario:
    app: App
    kind: str
    service: str

    @property
    def control(self) -> bool:
        return self.kind in CONTROLS

    @property
    def namespace(self) -> str:
        if self.control:
            return f"{self.app.name[:4]}-{self.kind}"
        return f"{self.app.name[:4]}-{self.kind[:6]}-{self.service}"[:63].rstrip("-")


def workloads(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d.get("kind") in ("Deployment", "StatefulSet")]


def scenarios(app: App, docs: list[Doc], per_kind: int | None = None) -> Iterator[Scenario]:
    names = sorted(d["metadata"]["name"] for d in workloads(docs))
    plain = [n for n in names if n not in app.stores and n != app.entry]
    eligible = {"single-no-probe": plain, "slow-readiness": plain, "memory-limit": [*plain, app.entry],
                "store-1-replica": list(app.stores), "edge-1-replica": [app.entry]}
    for kind in KINDS:
        for service in eligible[kind][:per_kind]:
            yield Scenario(app, kind, service)
    for kind in CONTROLS:  # nothing planted: the planner must not invent a weakness
        yield Scenario(app, kind, "")


def _containers(w: Doc) -> list[Doc]:
    containers: list[Doc] = w["spec"]["template"]["spec"]["containers"]
    return containers


def harden(w: Doc, app: App) -> None:
    """Two replicas, a readiness probe, a memory limit above the hog, stores on a volume claim."""
    name = w["metadata"]["name"]
    w["spec"]["replicas"] = 2
    for c in _containers(w):
        port = next((p["containerPort"] for p in c.get("ports") or []), 80)
        c.setdefault("readinessProbe", {"tcpSocket": {"port": port}, "initialDelaySeconds": 5, "periodSeconds": 5})
        c.setdefault("resources", {}).setdefault("limits", {})["memory"] = "1Gi"
    if name in app.stores:
        w["spec"]["template"]["spec"].setdefault("volumes", []).append(
            {"name": "data", "persistentVolumeClaim": {"claimName": f"{name}-data"}})


PLANT: dict[str, Callable[[Doc], None]] = {
    "single-no-probe": lambda w: [w["spec"].update(replicas=1), *(c.pop("readinessProbe") for c in _containers(w))],
    "slow-readiness": lambda w: [w["spec"].update(replicas=1),
                                 *(c["readinessProbe"].update(initialDelaySeconds=180) for c in _containers(w))],
    "memory-limit": lambda w: [c["resources"]["limits"].update(memory="256Mi") for c in _containers(w)],
    "store-1-replica": lambda w: w["spec"].update(replicas=1),
    "edge-1-replica": lambda w: w["spec"].update(replicas=1),
}
CONTROL: dict[str, Callable[[Doc], object]] = {
    "control-2-replicas": lambda w: None,
    "control-3-replicas": lambda w: w["spec"].update(replicas=3),
    "control-slow-ready": lambda w: [c["readinessProbe"].update(initialDelaySeconds=180) for c in _containers(w)],
}


def scenario_docs(s: Scenario, docs: list[Doc]) -> list[Doc]:
    """The app's manifests in the scenario's namespace, hardened, with the weakness planted."""
    out = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": s.namespace}}]
    for doc in copy.deepcopy([d for d in docs if d.get("kind") != "Namespace"]):
        doc.setdefault("metadata", {})["namespace"] = s.namespace
        if doc in workloads([doc]):
            harden(doc, s.app)
            if s.control:
                CONTROL[s.kind](doc)
            elif doc["metadata"]["name"] == s.service:
                PLANT[s.kind](doc)
        out.append(doc)
    return out


def stack_for(s: Scenario, directory: Path) -> Path:
    """The scenario's stack.yaml: the app's own (its services and calls) or namespace-only."""
    stack: Doc = {"k8s": {"namespaces": [s.namespace]},
                  "policy": {"namespaces": [s.namespace], "actions": [a.value for a in ACTIONS]}}
    if s.app.stack is not None:
        own = yaml.safe_load(s.app.stack.read_text(encoding="utf-8"))["k8s"]
        stack["k8s"]["target_services"] = [{**t, "namespace": s.namespace} for t in own["target_services"]]
        stack["k8s"]["dependencies"] = own["dependencies"]
    path = directory / f"{s.namespace}.yaml"
    path.write_text(yaml.safe_dump(stack), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    ranked: list[tuple[str, Fault]]  # (service, fault) best first
    notice: str | None = None  # the planner's: "no weakness above threshold ... found" on a hardened app

    @property
    def weakness_claimed(self) -> bool:
        """The planner presented its top candidates as weaknesses (no "none above threshold" notice)."""
        return bool(self.ranked) and not (self.notice or "").startswith("no weakness above threshold")

    def hit(self, k: int) -> bool:
        s = self.scenario
        return not s.control and any(svc == s.service and fault in EXPOSES[s.kind] for svc, fault in self.ranked[:k])


def evaluate(per_kind: int | None = None) -> tuple[list[Result], float]:
    """Every scenario through one twin: (results, seconds)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        plans: list[tuple[Scenario, Path]] = []
        docs: list[Doc] = []
        for app in APPS:
            base = [d for d in yaml.safe_load_all(app.manifests.read_text(encoding="utf-8")) if isinstance(d, dict)]
            for s in scenarios(app, base, per_kind):
                docs += scenario_docs(s, base)
                plans.append((s, stack_for(s, tmpdir)))
        (tmpdir / "all.yaml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
        results = []
        with TwinServer(tmpdir / "twin.json", manifests=[tmpdir / "all.yaml"]) as twin:
            cluster = connect(host=twin.url, kubeconfig=None, context=None)
            for s, stack in plans:
                settings = load_settings(stack)
                inv = build_inventory(settings, cluster.snapshot([s.namespace]), at=_now())
                threshold = settings.planner.weakness_likelihood
                proposal = PlannerDesigner(actions=ACTIONS, weakness_likelihood=threshold).propose(inv, 3)
                results.append(Result(s, [(c.spec.target_selector.service, c.spec.action) for c in proposal.candidates],
                                      proposal.notice))
    return results, time.perf_counter() - started


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def table(results: list[Result]) -> list[dict[str, object]]:
    """hit@1 and hit@3 over the planted scenarios, and false alarms over the controls, per kind, per
    app, and overall."""
    groups: dict[str, list[Result]] = {}
    for r in results:
        for key in (f"kind {r.scenario.kind}", f"app {r.scenario.app.name}",
                    f"{r.scenario.app.name} {r.scenario.kind}", "all"):
            groups.setdefault(key, []).append(r)
    rows: list[dict[str, object]] = []
    for key, rs in groups.items():
        planted, controls = [r for r in rs if not r.scenario.control], [r for r in rs if r.scenario.control]
        rows.append({"group": key, "scenarios": len(planted),
                     "hit@1": sum(r.hit(1) for r in planted) / len(planted) if planted else None,
                     "hit@3": sum(r.hit(3) for r in planted) / len(planted) if planted else None,
                     "controls": len(controls), "false_alarms": sum(r.weakness_claimed for r in controls)})
    return rows


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(str(value)):.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--per-kind", type=int, default=None, help="at most N scenarios per kind and app")
    args = parser.parse_args()
    results, seconds = evaluate(args.per_kind)
    rows = table(results)
    misses = [r for r in results if not r.scenario.control and not r.hit(1)]
    alarms = [r for r in results if r.scenario.control and r.weakness_claimed]
    if args.json:
        print(json.dumps({"rows": rows, "seconds": round(seconds, 1), "misses": [
            {"app": r.scenario.app.name, "kind": r.scenario.kind, "service": r.scenario.service,
             "first": list(r.ranked[0]) if r.ranked else None} for r in misses],
            "false_alarms": [{"app": r.scenario.app.name, "kind": r.scenario.kind,
                              "first": list(r.ranked[0]) if r.ranked else None} for r in alarms]}, indent=2))
    else:
        print(f"{'group':<30} {'scenarios':>9} {'hit@1':>7} {'hit@3':>7} {'controls':>8} {'false alarms':>12}")
        order = ("kind", "app", "sock-shop", "boutique", "all")
        for row in sorted(rows, key=lambda r: (order.index(str(r["group"]).split()[0]), str(r["group"]))):
            print(f"{row['group']!s:<30} {row['scenarios']!s:>9} {_pct(row['hit@1']):>7} {_pct(row['hit@3']):>7} "
                  f"{row['controls']!s:>8} {row['false_alarms']!s:>12}")
        for r in misses:
            first = f"{r.ranked[0][1].value} on {r.ranked[0][0]}" if r.ranked else "nothing"
            print(f"missed {r.scenario.app.name} {r.scenario.kind} on {r.scenario.service}: first was {first}")
        for r in alarms:
            first = f"{r.ranked[0][1].value} on {r.ranked[0][0]}" if r.ranked else "nothing"
            print(f"false alarm {r.scenario.app.name} {r.scenario.kind}: presented {first} as a weakness")
        planted = [r for r in results if not r.scenario.control]
        print(f"planted scenarios presented as a weakness found: {sum(r.weakness_claimed for r in planted)}/{len(planted)}; "
              f"false alarms on controls: {len(alarms)}/{len(results) - len(planted)}")
        print(f"{len(results)} scenarios in {seconds:.1f} s (offline: one twin, the kubernetes client, the planner)")
    overall = next(r for r in rows if r["group"] == "all")
    return 0 if float(str(overall["hit@1"])) >= 0.95 and not alarms else 1


if __name__ == "__main__":
    sys.exit(main())
