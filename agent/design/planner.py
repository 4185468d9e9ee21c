"""The offline planner: deterministic, graph-aware experiment design (no LLM).

Each candidate is scored by blast radius (how many services reach the target through
synchronous calls) x criticality x the likelihood of finding a weakness the manifests already
hint at (``agent.design.ideas``). Every score comes with its reasons in words a person can check.
disk-fill and node-drain are never proposed by the planner: they are high-risk and evict
whole pods or nodes, so they are left to a person (or the LLM designer) and the policy opt-in.
"""

from __future__ import annotations

from collections.abc import Iterable

from agent.design.facts import Facts
from agent.design.ideas import IDEAS, Idea
from agent.models import Candidate, ExperimentSpec, Fault, Inventory, Proposal


class PlannerDesigner:
    """Implements :class:`agent.ports.Designer` without a model."""

    name = "planner"

    def __init__(self, *, actions: Iterable[Fault] | None = None, edge_service: str | None = None) -> None:
        self._actions = set(actions) if actions is not None else set(IDEAS)
        self._edge = edge_service

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        return Proposal(designer=self.name, candidates=self.rank(inventory, count))

    def ideas(self, inventory: Inventory) -> list[Idea]:
        """Every scored idea for every target, before picking."""
        edge = self._edge or _edge_of(inventory)
        out = []
        for t in inventory.targets:
            if t.workload is None or not t.pods:
                continue
            facts = Facts(inv=inventory, target=t, workload=t.workload, edge=edge)
            for fault, make in IDEAS.items():
                if fault in self._actions and (idea := make(facts)) is not None:
                    out.append(idea)
        return out

    def rank(self, inventory: Inventory, count: int) -> list[Candidate]:
        """Up to ``count`` candidates, best first."""
        chosen = _pick(self.ideas(inventory), count)
        return [Candidate(rank=n, score=round(i.score, 2), spec=i.spec) for n, i in enumerate(chosen, 1)]


def _edge_of(inventory: Inventory) -> str:
    edge = next((t.name for t in inventory.targets if t.tier == "edge"), None)
    return edge or inventory.targets[0].name


def _key(i: Idea) -> tuple[float, str]:
    return (-i.score, i.spec.title)


def _pick(ideas: list[Idea], count: int) -> list[Idea]:
    """The best idea overall first; then, for variety, the best of each fault not yet shown and
    of each target not yet hit; then the best of the rest. Returned best first."""
    ordered = sorted(ideas, key=_key)
    chosen: list[Idea] = []
    faults: set[Fault] = set()
    targets: set[str] = set()
    for idea in ordered:
        if len(chosen) >= count:
            break
        if idea.spec.action not in faults and idea.spec.target_selector.service not in targets:
            chosen.append(idea)
            faults.add(idea.spec.action)
            targets.add(idea.spec.target_selector.service)
    chosen += [i for i in ordered if i not in chosen][: max(0, count - len(chosen))]
    return sorted(chosen, key=_key)


def score_spec(inventory: Inventory, spec: ExperimentSpec) -> tuple[float, list[str]]:
    """Code's ranking of any designer's spec: blast radius x criticality, with the reasons.

    The LLM designer proposes; this decides the order, so a model cannot promote its own pick.
    Targets not in the inventory score 0 (the policy rejects them anyway).
    """
    target = inventory.target(spec.target_selector.service)
    if target is None or target.workload is None:
        return 0.0, ["target not in the inventory"]
    facts = Facts(inv=inventory, target=target, workload=target.workload, edge=_edge_of(inventory))
    make = IDEAS.get(spec.action)
    idea = make(facts) if make else None
    if idea is not None:  # the planner's own view of this fault on this target
        return idea.score, idea.spec.rationale.split("; ")
    return facts.base()
