"""The parts of a fault registry entry (``agent.models.faults.FaultEntry``) that say how the
agent's other pieces use it: the planner's idea shape, the report's advice, how its effect is
checked, and how Chaos Mesh does it. Kept apart so the registry module stays the list of faults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The planner's idea shapes (``agent.design.ideas.SHAPES``): how it judges a fault on a target.
IdeaShape = Literal["restart", "container-restart", "cpu-throttle", "memory-pressure", "slow-network",
                    "packet", "dns-failure", "injection"]
# When a fault's own recommendation applies (``agent.report.recommend``): "callers_hit" when
# services other than the target moved; "oom" when the target has a memory limit and was down.
AdviceWhen = Literal["callers_hit", "oom"]
# How the agent checks that a fault took effect, from the cluster and the metrics and never from the
# engine's word (``agent.run.effect``): "replaced" the target's pods were replaced (new uids and
# creation times); "restarted" a target container's restartCount rose; "signal" the error rate or p95
# of the target or a caller left its baseline band; "caller-errors" the error rate of the target (the
# caller of the broken names) or of its callers left its band; "cpu" / "memory" the target's usage
# rose above its band (a memory hog's OOM kill, a restart, counts too); "none" the control, which
# injects nothing: no effect is expected, and any deviation is a false alarm (``agent.run.control``).
EffectKind = Literal["replaced", "restarted", "signal", "caller-errors", "cpu", "memory", "none"]



@dataclass(frozen=True)
class PlannerHook:
    """How the offline planner proposes a fault: the idea shape judging it on a target, and for the
    "packet" and "injection" shapes the strength (a percent of ``FaultEntry.strength``) and the verb
    a title uses ("lost": "Carts packet lost 50%")."""

    shape: IdeaShape
    pct: int = 50
    verb: str = ""


@dataclass(frozen=True)
class Advice:
    """A recommendation the report makes after this fault, when ``when`` holds. ``action`` and
    ``evidence`` are ``str.format`` templates over: ``service`` (the target), ``callers`` (the
    other services that moved, comma-separated), ``peak`` (the target's peak error rate, %),
    ``memory_limit_mib`` (its smallest memory limit) and ``parameters`` (the spec's Parameters)."""

    when: AdviceWhen
    action: str
    evidence: str


ChaosMeshKind = Literal["PodChaos", "NetworkChaos", "StressChaos", "DNSChaos", "IOChaos"]


@dataclass(frozen=True)
class ChaosMeshMap:
    """How Chaos Mesh (2.8) does a fault (``agent.engines.chaos_mesh`` renders it): the kind, and its
    ``spec.action`` (StressChaos has none: ``action`` names the stressor, "cpu" or "memory")."""

    kind: ChaosMeshKind
    action: str
