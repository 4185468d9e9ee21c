"""Which pods and nodes a Litmus fault acts on, chosen the way litmus-go 3.18 chooses them.

Pod-level faults: `TARGET_PODS` names pods outright (every one listed, each must exist);
otherwise pods come from the engine's `appinfo` (pods by `applabel` in `appns` whose top owner
kind is `appkind`) or 3.x `selectors` (pods by name, or workloads by name or label), optionally
only those on nodes matching `NODE_LABEL`, and `PODS_AFFECTED_PERC` of them are picked at random:
max(1, min(perc, 100) * matches // 100), so empty or 0 means one pod. node-drain drains
`TARGET_NODE`, else a random node matching `NODE_LABEL`, else the node of a random target pod.
"""

from __future__ import annotations

from twin.litmus_shapes import AppSelectors
from twin.owners import top_owner
from twin.selectors import labels_match, parse_label_selector
from twin.state import NODE_KEY, POD_KEY, KObj, State, Target, okey


class FaultError(Exception):
    """A failure litmus-go would report in the ChaosResult (errorOutput)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def number(params: dict[str, str], name: str, default: float = 0.0) -> float:
    """An env value as a number; empty or malformed values mean the default."""
    try:
        return float(params.get(name) or default)
    except ValueError:
        return default


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _named_pods(state: State, namespace: str, names: list[str]) -> list[KObj]:
    pods = state.bucket(POD_KEY)
    if any(okey(namespace, name) not in pods for name in names):
        raise FaultError("TARGET_SELECTION_ERROR", "pod doesn't exist set by TARGET_PODS ENV")
    return [pods[okey(namespace, name)] for name in names]


def _selector_pods(state: State, selectors: AppSelectors) -> tuple[list[KObj], bool]:
    """Pods chosen by 3.x `selectors`, and whether they were named (no percentage applies)."""
    chosen, named = [], bool(selectors.get("pods"))
    for pod in state.bucket(POD_KEY).values():
        meta = pod["metadata"]
        owner = top_owner(state, pod) or ("", "")
        for entry in selectors.get("pods") or []:
            if meta["namespace"] == entry.get("namespace") and meta["name"] in _names(
                    str(entry.get("names", ""))):
                chosen.append(pod)
        for entry in selectors.get("workloads") or []:
            if meta["namespace"] != entry.get("namespace") or owner[0].lower() != entry.get(
                    "kind", "").lower():
                continue
            by_name = owner[1] in _names(str(entry.get("names", "")))
            by_label = bool(entry.get("labels")) and labels_match(
                parse_label_selector(entry["labels"]), meta.get("labels"))
            if by_name or by_label:
                chosen.append(pod)
    return chosen, named


def app_pods(state: State, engine: KObj) -> list[KObj] | None:
    """The application under test (appinfo or selectors); None when the engine names none."""
    spec, namespace = engine.get("spec") or {}, engine["metadata"]["namespace"]
    if spec.get("selectors"):
        return _selector_pods(state, spec["selectors"])[0]
    info = spec.get("appinfo") or {}
    label, kind = info.get("applabel") or "", (info.get("appkind") or "").lower()
    if not label:
        return None
    requirements = parse_label_selector(label)
    return [p for p in state.bucket(POD_KEY).values()
            if p["metadata"]["namespace"] == (info.get("appns") or namespace)
            and labels_match(requirements, p["metadata"].get("labels"))
            and (not kind or (top_owner(state, p) or ("", ""))[0].lower() == kind)]


def _labelled_nodes(state: State, selector: str, missing: str) -> list[str]:
    requirements = parse_label_selector(selector)
    nodes = sorted(name for key, node in state.bucket(NODE_KEY).items()
                   if labels_match(requirements, node["metadata"].get("labels"))
                   for name in [key.split("/", 1)[1]])
    if not nodes:
        raise FaultError("TARGET_SELECTION_ERROR", missing)
    return nodes


def _candidates(state: State, engine: KObj, params: dict[str, str]) -> tuple[list[KObj], bool]:
    """Pods the fault may act on, and whether they were named (then all of them are hit)."""
    namespace = engine["metadata"]["namespace"]
    info = (engine.get("spec") or {}).get("appinfo") or {}
    if names := _names(params.get("TARGET_PODS", "")):
        return _named_pods(state, info.get("appns") or namespace, names), True
    selectors: AppSelectors | None = (engine.get("spec") or {}).get("selectors")
    pods, named = _selector_pods(state, selectors) if selectors else (
        app_pods(state, engine), False)
    if pods is None:
        raise FaultError("TARGET_SELECTION_ERROR",
                         "please provide either of the appLabel or TARGET_PODS")
    if params.get("NODE_LABEL"):
        nodes = _labelled_nodes(state, params["NODE_LABEL"], "no nodes found with matching labels")
        pods = [p for p in pods if p["spec"].get("nodeName") in nodes]
        if not pods:
            raise FaultError("TARGET_SELECTION_ERROR", "no pod found on specified node(s)")
    return pods, named


def target_of(state: State, pod: KObj) -> Target:
    """A pod as a fault target, with the workload it belongs to."""
    owner = top_owner(state, pod)
    return Target(namespace=pod["metadata"]["namespace"], pod=pod["metadata"]["name"],
                  workload=owner[1] if owner else pod["metadata"]["name"],
                  kind=owner[0].lower() if owner else "pod")


def select_targets(state: State, engine: KObj, params: dict[str, str],
                   purpose: str) -> list[Target]:
    """The pods a fault acts on now; raises FaultError like litmus-go when there are none."""
    found, named = _candidates(state, engine, params)
    pods = sorted({okey(p["metadata"]["namespace"], p["metadata"]["name"]): p
                   for p in found}.values(), key=lambda p: p["metadata"]["name"])
    if not pods:
        raise FaultError("TARGET_SELECTION_ERROR", "no target pods found")
    percent = min(100, int(number(params, "PODS_AFFECTED_PERC")))
    count = len(pods) if named else max(1, percent * len(pods) // 100)
    picked = pods if named else state.rng(purpose).sample(pods, count)
    return [target_of(state, p) for p in sorted(picked, key=lambda p: p["metadata"]["name"])]


def drain_node(state: State, engine: KObj, params: dict[str, str], purpose: str) -> str:
    """The node node-drain drains: TARGET_NODE, a node matching NODE_LABEL, or a target's node."""
    if params.get("TARGET_NODE"):
        return params["TARGET_NODE"].strip()
    if params.get("NODE_LABEL"):
        nodes = _labelled_nodes(state, params["NODE_LABEL"], "no node found with matching labels")
        return state.rng(purpose).choice(nodes)
    pods = app_pods(state, engine)
    if not pods:
        raise FaultError("TARGET_SELECTION_ERROR", "no pod found with matching labels")
    pod = state.rng(purpose).choice(sorted(pods, key=lambda p: p["metadata"]["name"]))
    return str(pod["spec"].get("nodeName", ""))
