"""History per service and its resilience score, from the runs the checkpointer already holds
(the rows ``python -m agent runs`` lists: no second store).

The score follows Litmus's resilience score (the weighted mean of each experiment's probe
success percentage), with every experiment weighted 1 and its steady-state check either held
(100 %) or not (0 %)::

    score = 100 x passed / (passed + aborted)

``passed``: runs on the service that completed (chaos ran its course and no abort condition
fired); ``aborted``: runs stopped because the steady state broke (an abort condition, missing
metrics, an unreachable cluster, or a person). Rejected, refused, failed and dry runs injected
nothing, so they do not count. No counted run: no score.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.cli.status import RunSummary

FORMULA = "score = 100 × passed / (passed + aborted)"
PASSED, FAILED = "completed", "aborted"


@dataclass(frozen=True)
class ServiceHistory:
    """One service's experiments, newest first, and its score."""

    service: str  # namespace/name
    runs: list[RunSummary]
    passed: int
    aborted: int

    @property
    def score(self) -> float | None:
        counted = self.passed + self.aborted
        return 100.0 * self.passed / counted if counted else None


def history(rows: list[RunSummary]) -> list[ServiceHistory]:
    """Per service targeted by an approved experiment, its runs (as given: newest first), by name."""
    by_service: dict[str, list[RunSummary]] = {}
    for r in rows:
        if r.target:
            by_service.setdefault(r.target, []).append(r)
    return [
        ServiceHistory(service=name, runs=runs, passed=sum(r.outcome == PASSED for r in runs),
                       aborted=sum(r.outcome == FAILED for r in runs))
        for name, runs in sorted(by_service.items())
    ]
