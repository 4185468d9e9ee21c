"""The LitmusChaos install of a seeded twin, and the pieces a twin can be started without.

A fresh twin has what ``kubectl apply`` of upstream's files gives a cluster: the Litmus CRDs
(``chaos_crds.yaml``), the chaos operator (``operator.yaml``: Deployment ``litmus`` in namespace
``litmus``, pods labelled ``name=chaos-operator``), every fault's ChaosExperiment and the chaos
service account ``litmus-admin`` in each application namespace.

``TwinServer(without=...)`` takes pieces away, so that ``python -m agent doctor`` (and a person)
meet a cluster that genuinely lacks them:

- ``litmus``: no Litmus CRDs (the ``litmuschaos.io`` group is not served: 404, as on a cluster
  without them), no ChaosExperiments, no operator Deployment or pods, and the emulated operator
  does not act;
- ``experiments``: the CRDs and operator are there, no ChaosExperiment is;
- ``metrics``: ``/metrics`` and ``/twin/v1/signals`` answer 404;
- ``rbac``: every SelfSubjectAccessReview answers ``allowed: false`` (the twin still enforces no
  RBAC on other requests: it only reports what a cluster without the agent's grants would).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from pathlib import Path

from twin import chaos_mesh
from twin.resources import APIGroupList
from twin.state import POD_KEY, RS_KEY, KObj, State, okey
from twin.topology import load_yaml_documents
from twin.workloads import seed_deployment, stamp

DATA_DIR = Path(__file__).parent / "data" / "litmus"
CRDS_PATH = DATA_DIR / "chaos_crds.yaml"
OPERATOR_PATH = DATA_DIR / "operator.yaml"
FAULTS_DIR = DATA_DIR / "faults"
LITMUS_GROUP = "litmuschaos.io"
LITMUS_NAMESPACE = "litmus"
CHAOS_ACCOUNT = "litmus-admin"
PIECES = ("litmus", "experiments", "metrics", "rbac")
CRD_KEY = "apiextensions.k8s.io/v1/customresourcedefinitions"
EXPERIMENT_KEY = "litmuschaos.io/v1alpha1/chaosexperiments"
SA_KEY = "core/v1/serviceaccounts"
NS_KEY = "core/v1/namespaces"


def check_pieces(pieces: Iterable[str]) -> frozenset[str]:
    """The pieces asked for, or a ValueError naming the unknown one and the known ones."""
    chosen = frozenset(pieces)
    for piece in sorted(chosen - set(PIECES)):
        raise ValueError(f"cannot start the twin without {piece!r}: choose from {', '.join(PIECES)}")
    return chosen


def install(state: State, app_namespaces: Sequence[str], t: float) -> None:
    """Seed the Litmus install: CRDs, the operator, and per application namespace every fault's
    ChaosExperiment and the chaos service account."""
    for crd in load_yaml_documents(CRDS_PATH):
        crd["status"] = {"acceptedNames": crd["spec"]["names"], "storedVersions": ["v1alpha1"],
                         "conditions": [{"type": "Established", "status": "True",
                                         "reason": "InitialNamesAccepted"}]}
        state.bucket(CRD_KEY)[okey("", crd["metadata"]["name"])] = stamp(state, crd, t)
    if okey("", LITMUS_NAMESPACE) not in state.bucket(NS_KEY):
        state.bucket(NS_KEY)[okey("", LITMUS_NAMESPACE)] = stamp(state, {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": LITMUS_NAMESPACE,
                         "labels": {"kubernetes.io/metadata.name": LITMUS_NAMESPACE}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}, t)
    for doc in load_yaml_documents(OPERATOR_PATH):
        seed_deployment(state, doc, t)
    faults = [doc for path in sorted(FAULTS_DIR.glob("*.yaml")) for doc in load_yaml_documents(path)]
    for namespace in app_namespaces:
        for fault in faults:
            obj = copy.deepcopy(fault)
            obj["metadata"]["namespace"] = namespace
            state.bucket(EXPERIMENT_KEY)[okey(namespace, obj["metadata"]["name"])] = stamp(state, obj, t)
        account: KObj = {"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": {"name": CHAOS_ACCOUNT, "namespace": namespace,
                                      "labels": {"name": CHAOS_ACCOUNT}}}
        state.bucket(SA_KEY)[okey(namespace, CHAOS_ACCOUNT)] = stamp(state, account, t)


def remove(state: State, without: frozenset[str]) -> bool:
    """Take the stateful pieces of ``without`` out of ``state``; whether anything changed."""
    changed = False
    if "litmus" in without or "experiments" in without:
        changed |= bool(state.objects.pop(EXPERIMENT_KEY, None))
    if "litmus" in without:
        for key in [k for k in state.objects if k.startswith(f"{LITMUS_GROUP}/")]:
            changed |= bool(state.objects.pop(key))
        crds = state.bucket(CRD_KEY)
        for key in [k for k, crd in crds.items() if crd["spec"].get("group") == LITMUS_GROUP]:
            changed |= crds.pop(key) is not None
        for bucket in (POD_KEY, RS_KEY, "apps/v1/deployments"):
            objects = state.bucket(bucket)
            for key in [k for k in objects if k.startswith(f"{LITMUS_NAMESPACE}/")]:
                changed |= objects.pop(key) is not None
                state.pods.pop(key, None)
        changed |= state.bucket(NS_KEY).pop(okey("", LITMUS_NAMESPACE), None) is not None
    return changed


def litmus_served(state: State) -> bool:
    """Whether the ``litmuschaos.io`` group is served: only while its CRDs are installed."""
    return any(crd["spec"].get("group") == LITMUS_GROUP for crd in state.bucket(CRD_KEY).values())


def withheld(state: State, without: frozenset[str], parts: list[str]) -> bool:
    """Whether a path is not served because a piece is missing (the request answers 404)."""
    if "metrics" in without and (parts[:1] == ["metrics"] or parts[:3] == ["twin", "v1", "signals"]):
        return True
    litmus_path = parts[:2] == ["apis", LITMUS_GROUP] or parts[:4] == ["openapi", "v3", "apis", LITMUS_GROUP]
    mesh_path = parts[:2] == ["apis", chaos_mesh.GROUP] or parts[:4] == ["openapi", "v3", "apis", chaos_mesh.GROUP]
    return (litmus_path and not litmus_served(state)) or (mesh_path and not chaos_mesh.served(state))


def served_groups(state: State, groups: APIGroupList) -> APIGroupList:
    """``GET /apis`` without the Litmus (Chaos Mesh) group while its CRDs are not installed."""
    hidden = {g for g, served in ((LITMUS_GROUP, litmus_served(state)), (chaos_mesh.GROUP, chaos_mesh.served(state)))
              if not served}
    return {**groups, "groups": [g for g in groups["groups"] if g["name"] not in hidden]}


def without_state(path: Path, without: Iterable[str]) -> Path:
    """The state file of a twin lacking ``without``: its own (``sock-shop-without-litmus.json``),
    so that a full twin on ``path`` keeps its pieces."""
    pieces = sorted(set(without))
    return path.with_name(f"{path.stem}-without-{'-'.join(pieces)}{path.suffix}") if pieces else path
