"""The offline planner: deterministic, graph-aware experiment design (no LLM).

Each candidate is scored by the user-facing harm it would reveal (``agent.design.impact``):
criticality x reach (the services that fail for users with the target, seen from the entry
points) x the likelihood the manifests give a failure x how long users would feel it. Every
score comes with its parts and reasons in words a person can check. A fault is proposed when its
registry entry has a planner hook (``agent.models.faults``); disk-fill and node-drain have none:
they are high-risk and evict whole pods or nodes, so they are left to a person (or the LLM
designer) and the policy opt-in. DaemonSets are listed by discovery but
not proposed: an experiment spec targets a Deployment or a StatefulSet.

Ideas whose harm the manifests do not predict (likelihood below ``planner.weakness_likelihood``:
every replica protected, or an injection whose outcome depends on code) are still ranked, but when
no idea reaches the threshold the proposal says so: "no weakness above threshold ... found; the top
candidates are exploratory" (a hardened system gets no invented weakness).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agent.config.planner import WEAKNESS_LIKELIHOOD
from agent.design.facts import Facts
from agent.design.ideas import Idea, builders, fault_order
from agent.design.impact import reach_reasons
from agent.design.templates import template_ideas, variety
from agent.inventory.graph import Reach, entry_points, reach
from agent.models import Candidate, ExperimentSpec, Fault, Inventory, Proposal, Target
from agent.models.template import ExperimentTemplate


class PlannerDesigner:
    """Implements :class:`agent.ports.Designer` without a model."""

    name = "planner"

    def __init__(self, *, actions: Iterable[Fault] | None = None, edge_service: str | None = None,
                 weakness_likelihood: float = WEAKNESS_LIKELIHOOD, templates: Sequence[ExperimentTemplate] = ()) -> None:
        self._actions = set(actions) if actions is not None else set(builders())
        self._templates = list(templates)  # custom experiment templates (agent.design.templates)
        self._edge = edge_service
        self.threshold = weakness_likelihood

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        ideas = self.ideas(inventory)
        chosen = _pick(ideas, count)
        candidates = [Candidate(rank=n, score=round(i.score, 2), spec=i.spec) for n, i in enumerate(chosen, 1)]
        notice = None
        if ideas and not self.weaknesses(ideas):  # never present a guess as a weakness found
            notice = (f"no weakness above threshold {self.threshold:g} found (the share of requests the manifests "
                      "predict will fail: planner.weakness_likelihood); the top candidates are exploratory")
        return Proposal(designer=self.name, candidates=candidates, notice=notice)

    def weaknesses(self, ideas: list[Idea]) -> list[Idea]:
        """The ideas whose harm the manifests predict (likelihood at or above the threshold), best first."""
        return sorted((i for i in ideas if i.likelihood >= self.threshold), key=_key)

    def ideas(self, inventory: Inventory) -> list[Idea]:
        """Every scored idea for every target, before picking ([] when nothing can be targeted)."""
        out = []
        for facts in _facts(inventory, self._edge):
            for fault, make in builders().items():
                if fault in self._actions and (idea := make(facts)) is not None:
                    out.append(idea)
            out += template_ideas(facts, self._templates, self._actions)
        return out

    def rank(self, inventory: Inventory, count: int) -> list[Candidate]:
        """Up to ``count`` candidates, best first."""
        chosen = _pick(self.ideas(inventory), count)
        return [Candidate(rank=n, score=round(i.score, 2), spec=i.spec) for n, i in enumerate(chosen, 1)]


def _facts(inventory: Inventory, edge: str | None) -> list[Facts]:
    """Facts of every target a spec can hit: a running Deployment or StatefulSet."""
    entries = entry_points(inventory)
    if not entries:
        return []
    reached = reach(inventory)
    return [
        _of(inventory, t, edge or _edge_for(t, entries, reached), reached[t.name])
        for t in inventory.targets
        if t.workload is not None and t.pods and t.workload.kind != "DaemonSet"
    ]


def _of(inventory: Inventory, t: Target, edge: str, reached: Reach) -> Facts:
    assert t.workload is not None
    return Facts(inv=inventory, target=t, workload=t.workload, edge=edge, reached=reached)


def _edge_for(t: Target, entries: list[str], reached: dict[str, Reach]) -> str:
    """The entry point whose error rate shows this target's harm to users: the target itself if
    users reach it, else the first entry that fails with it, else the first entry."""
    if t.name in entries:
        return t.name
    affected = set(reached[t.name].affected)
    return next((e for e in entries if e in affected), entries[0])


def _key(i: Idea) -> tuple[float, int, str]:
    return (-i.score, fault_order(i.spec.action), i.spec.title)


def _pick(ideas: list[Idea], count: int) -> list[Idea]:
    """The best idea overall first; then, for variety, the best of each fault not yet shown and
    of each target not yet hit; then the best of the rest. Returned best first."""
    ordered = sorted(ideas, key=_key)
    chosen: list[Idea] = []
    faults: set[str] = set()  # faults and templates shown
    targets: set[str] = set()
    for idea in ordered:
        if len(chosen) >= count:
            break
        if variety(idea) not in faults and idea.spec.target_selector.service not in targets:
            chosen.append(idea)
            faults.add(variety(idea))
            targets.add(idea.spec.target_selector.service)
    chosen += [i for i in ordered if i not in chosen][: max(0, count - len(chosen))]
    return sorted(chosen, key=_key)


def score_spec(inventory: Inventory, spec: ExperimentSpec) -> tuple[float, list[str]]:
    """Code's ranking of any designer's spec: the planner's score of that fault on that target,
    with the reasons.

    The LLM designer proposes; this decides the order, so a model cannot promote its own pick.
    Targets not in the inventory score 0 (the policy rejects them anyway).
    """
    target = inventory.target(spec.target_selector.service)
    entries = entry_points(inventory)
    if target is None or target.workload is None or not entries:
        return 0.0, ["target not in the inventory"]
    reached = reach(inventory)
    facts = _of(inventory, target, _edge_for(target, entries, reached), reached[target.name])
    make = builders().get(spec.action)
    idea = make(facts) if make else None
    if idea is not None:  # the planner's own view of this fault on this target
        return idea.score, idea.spec.rationale.split("; ")
    size, why = reach_reasons(facts)
    return float(size), why
