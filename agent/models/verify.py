"""What the agent verified after a run, from the cluster and the metrics rather than the engine:
that the fault took effect (:class:`EffectResult`) and that its chaos was cleaned up
(:class:`CleanupResult`). Both are stored in the RunStore (names "effect" and "cleanup"), shown by
the report and ``status``, and carried by the result JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from agent.models.base import Frozen
from agent.models.faults import EffectKind
from agent.models.inventory import Pod


class PodsBefore(Frozen):
    """The target's pods as listed right before the apply (what "replaced" and "restarted" compare with)."""

    pods: list[Pod]


class EffectCheck(Frozen):
    """One look at the evidence: a pod listing or a metrics sample."""

    at: datetime  # on the run's clock
    seen: bool  # this look showed the fault's effect
    detail: str  # what was read, with the numbers: "carts-7c9d uid 3f2a… gone; carts-x2kq created 12:00:05"


class EffectResult(Frozen):
    """Whether the fault had an observable effect, and every check that says so."""

    fault: str  # the Litmus experiment name
    kind: EffectKind  # how it was checked (``agent.models.faults.EffectKind``)
    what: str  # what was checked, in a few words: "target pods replaced (new uids)"
    observed: bool
    checks: list[EffectCheck]
    window_s: float  # the experiment time the checks span (seconds of the run's clock)

    @property
    def first_seen(self) -> datetime | None:
        return next((c.at for c in self.checks if c.seen), None)

    def summary(self) -> str:
        """What was checked, how often, and the evidence: the first check that saw the effect, else the last."""
        n = len(self.checks)
        looks = f"{n} check{'s' * (n != 1)} over {self.window_s:.0f} s"
        seen = next((c for c in self.checks if c.seen), None)
        evidence = (seen or (self.checks[-1] if self.checks else None))
        return f"{self.what}, {looks}: {evidence.detail if evidence else 'nothing could be read'}"


class CleanupResult(Frozen):
    """Whether nothing of the run's chaos was left behind, as last checked."""

    verified: bool
    at: datetime  # when it was verified, or the last check before giving up (the run's clock)
    leftovers: list[str] = []  # each thing still there, with its state: "runner pod ca-1-runner (Running)"
    checked: list[str] = []  # what was checked, in a few words each
    kept: list[str] = []  # chaos pods that are done but kept for their logs (jobCleanUpPolicy: retain)


class SceneBefore(Frozen):
    """The target namespace as listed right before the apply: what ``agent.run.confounders`` compares with."""

    pods: list[Pod]  # every pod of the namespace, not only the target's
    generations: dict[str, int] = {}  # "<Kind>/<name>" -> metadata.generation of each workload
    engines: list[str] = []  # ChaosEngines of other runs active at that moment


class Confounder(Frozen):
    """Something else that changed the namespace during the run, and the services it may have moved."""

    kind: Literal["engine", "rollout", "pod-replaced", "pod-restarted"]
    detail: str  # "ChaosEngine sock-shop/other (active)", "pod carts-1 (a1b2c3d4) gone, carts-2 new"
    services: list[str] = []  # the services whose signals it may have moved; empty: every service


class ConfounderResult(Frozen):
    """What else changed the namespace between the apply and the verify step."""

    at: datetime  # when it was last looked at (the run's clock)
    found: list[Confounder] = []
    explained: list[str] = []  # changes the fault's predicted blast radius explains (not confounders)

    def affected(self, service: str) -> list[Confounder]:
        """The confounders that may have moved ``service``'s signals."""
        return [c for c in self.found if not c.services or service in c.services]
