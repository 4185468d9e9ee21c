"""How the planner scores an idea: the expected user-facing harm it would reveal, in parts a
person can check.

    score = criticality x reach x likelihood x seconds

- **criticality** (low 1, medium 2, high 3): how much the business cares, from stack.yaml or
  inferred from the call graph (``agent.inventory.infer.criticality``).
- **reach**: the services that fail for users with the target, itself included: its callers and
  everything behind it (``agent.inventory.graph``). An edge nobody calls reaches every user.
- **likelihood**: the share of the target's requests the manifests predict will fail. The only
  pod going (single replica), or a memory limit below the hog (every replica has it): 1. A pod
  that takes traffic before it has started (no readiness probe) among ``r`` replicas: 1/r.
  Nothing in the manifests predicting a failure, because replicas and a readiness probe protect
  it, or because the outcome depends on code they do not show (timeouts, retries, DNS caching):
  ``NO_EVIDENCE``, the share of requests racing an endpoint update when a protected pod goes.
- **seconds**: how long users feel it within ``WINDOW_S``, the watch of one run: a restart lasts
  its start plus its readiness delay; an injection its duration; lost data (a store without a
  persistent volume) the whole window, since it does not come back by itself.

None of these numbers is fitted to a scenario: each follows from the reason written beside it,
and ``bench/advice_eval.py`` measures how often the planted weakness then ranks first.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.design.facts import CRITICALITY, Facts

WINDOW_S = 300  # one run's watch: chaos, then the recovery watch (monitor.recovery_timeout_s default)
NO_EVIDENCE = 0.01  # about 1 request in 100 races the endpoint update when a protected pod goes
INJECTION_S = 60  # how long the planner's network, CPU, memory and DNS faults inject


@dataclass(frozen=True)
class Impact:
    """A score's parts and the reasons behind each."""

    criticality: str
    reach: int
    likelihood: float
    seconds: float
    why: tuple[str, ...]

    @property
    def score(self) -> float:
        return CRITICALITY[self.criticality] * self.reach * self.likelihood * min(self.seconds, WINDOW_S)

    def reasons(self) -> list[str]:
        """The parts first (``score 3600 = ...``), then each reason."""
        parts = (f"score {self.score:.4g} = criticality {self.criticality} ({CRITICALITY[self.criticality]:g})"
                 f" x reach {self.reach} x likelihood {self.likelihood:.2g} x {min(self.seconds, WINDOW_S):g} s")
        return [parts, *self.why]


def reach_reasons(f: Facts) -> tuple[int, list[str]]:
    """Reach (the target and everything that fails with it) and why."""
    why = [f"criticality {f.target.criticality}"]
    if f.target.entry:
        why.append(f"users reach {f.name} directly: a fault there reaches every user")
    if f.reach:
        why.append(f"{len(f.reach)} service(s) depend on it ({', '.join(f.reach)})")
    behind = sorted(set(f.affected) - set(f.reach))
    if behind:
        why.append(f"{len(behind)} service(s) are reachable only through it ({', '.join(_few(behind))})")
    return 1 + len(f.affected), why


def restart(f: Facts, *, every_replica: bool = False) -> Impact:
    """Losing one pod (or its container) of the target: a pod-delete, container-kill or OOM kill.

    ``every_replica``: the cause would hit all replicas alike (a memory spike above the limit),
    so replicas do not protect against it.
    """
    reach, why = reach_reasons(f)
    r = f.workload.replicas
    if r <= 1 or every_replica:
        likelihood = 1.0
        why.append("single replica: losing its pod is an outage" if r <= 1 else
                   f"all {r} replicas share the limit: a spike this size kills them all at once")
    elif not f.has_probe and not f.target.store:
        likelihood = 1 / r
        why.append(f"no readiness probe: the new pod takes 1 in {r} requests ~{f.startup_s} s before it serves")
    else:
        likelihood = NO_EVIDENCE
        why.append(f"{r} replicas should absorb one pod")
    if f.readiness_delay >= 60:
        why.append(f"readiness delay {f.readiness_delay} s keeps a new pod out of service")
    if not f.has_probe and not f.target.store and r <= 1:
        why.append(f"no readiness probe: traffic reaches it ~{f.startup_s} s before it has started")
    seconds: float = f.down_s
    if f.loses_data:
        seconds = WINDOW_S
        why.append(f"stateful {f.target.store} without a persistent volume: a restart starts it empty, "
                   f"and the lost data stays lost for the whole {WINDOW_S} s watch")
    elif f.target.store:
        why.append(f"stateful {f.target.store}: connections and in-memory state are lost")
    return Impact(f.target.criticality, reach, likelihood, seconds, tuple(why))


def injection(f: Facts, reason: str) -> Impact:
    """A fault injected into one pod for ``INJECTION_S``, whose harm the manifests cannot predict."""
    reach, why = reach_reasons(f)
    r = max(1, f.workload.replicas)
    why.append(reason)
    share = "its only pod" if r == 1 else f"1 of its {r} pods"
    why.append(f"hits {share}; whether users see it depends on code the manifests do not show")
    return Impact(f.target.criticality, reach, NO_EVIDENCE / r, INJECTION_S, tuple(why))


def _few(names: list[str], n: int = 6) -> list[str]:
    return names if len(names) <= n else [*names[:n], f"{len(names) - n} more"]
