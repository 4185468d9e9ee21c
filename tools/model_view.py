"""What a model reads of a tool's result: compact, whole JSON under a token budget.

Tools return their full typed objects (the REPL renders them, tests check them); the chat agent
sends the model :func:`for_model` of each, so the model never reads a half-cut inventory. The
Inventory becomes one short row per service, Suggestions one short row per candidate; every
other result is already small and passes as it is.
"""

from __future__ import annotations

from pydantic import BaseModel

from agent.design.targets import abort_line
from agent.models import Candidate, Inventory, Target
from tools.suggest import Suggestions

MODEL_TOKENS = 4_000  # a result's budget in the model's context (tests hold every tool to it)


class ServiceBrief(BaseModel):
    """One service as the model needs it to reason about weaknesses."""

    name: str
    namespace: str
    tier: str
    criticality: str
    kind: str | None
    replicas: int | None
    ready: int | None
    store: str | None
    readiness_delay_s: int | None  # the longest initial delay of its readiness probes
    called_by: list[str]  # services that call it synchronously


class InventoryBrief(BaseModel):
    """The stack: services (by tier), how many pods, whether Litmus is installed."""

    cluster: str
    services: list[ServiceBrief]
    pods: int
    dependencies: int
    litmus_installed: bool


class CandidateBrief(BaseModel):
    """One proposed experiment in a line or three."""

    rank: int
    title: str
    action: str
    target: str  # namespace/service (selector)
    risk: str
    duration_s: int
    score: float
    abort: str
    hypothesis: str | None
    why: str


class SuggestionsBrief(BaseModel):
    candidates: list[CandidateBrief]
    rejected: list[str]  # "title: rule: reason", the first 10 (explain_candidate tells the whole of one)
    notice: str | None = None


def for_model(result: object) -> object:
    """The compact form of ``result`` for the model, or ``result`` itself when already small."""
    if isinstance(result, Inventory):
        return _inventory(result)
    if isinstance(result, Suggestions):
        return SuggestionsBrief(
            candidates=[_candidate(c) for c in result.candidates],
            rejected=[_cut(f"{r.title}: {r.rule}: {r.reason}", 160) for r in result.rejected[:10]]
            + ([f"and {len(result.rejected) - 10} more"] if len(result.rejected) > 10 else []),
            notice=result.notice,
        )
    return result


def _inventory(inv: Inventory) -> InventoryBrief:
    return InventoryBrief(
        cluster=inv.cluster,
        services=[_service(inv, t) for t in inv.targets],
        pods=len(inv.pods),
        dependencies=len(inv.dependencies),
        litmus_installed="chaosengines.litmuschaos.io" in inv.litmus.crds,
    )


def _service(inv: Inventory, t: Target) -> ServiceBrief:
    w = t.workload
    delays = [c.readiness.initial_delay_s for c in (w.containers if w else []) if c.readiness]
    return ServiceBrief(
        name=t.name, namespace=t.namespace, tier=t.tier, criticality=t.criticality,
        kind=w.kind if w else None, replicas=w.replicas if w else None, ready=w.ready_replicas if w else None,
        store=t.store, readiness_delay_s=max(delays) if delays else None, called_by=inv.callers(t.name),
    )


def _candidate(c: Candidate) -> CandidateBrief:
    s = c.spec
    sel = s.target_selector
    return CandidateBrief(
        rank=c.rank, title=s.title, action=s.action.value, target=f"{sel.namespace}/{sel.service} ({sel.label_selector})",
        risk=s.risk_level, duration_s=s.parameters.duration_s, score=c.score, abort=_cut(abort_line(s), 110),
        hypothesis=_cut(s.hypothesis.statement, 120) if s.hypothesis else None, why=_cut(s.rationale, 140),
    )


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
