"""A run's verdict, the one word a pipeline gates on, and its exit code (pure; imports nothing heavy).

The steady-state hypothesis is that the users do not notice the fault: at the entry points (and the
services the abort conditions watch) error rate and p95 stay within their baseline band. It *held*
when every one of those checks passed, it is *refuted* (a weakness found) when one left its band,
and the run is *inconclusive* when none could be measured, the fault had no observable effect,
or a person stopped it before it ran its course. A no-fault control (``agent.run.control``) injects
nothing: it *held* when nothing moved, and is a *false_alarm* when an abort threshold fired or a
steady-state check failed anyway (the measurement cried wolf). The spec's own hypothesis (the planner's
predictions) is graded beside it, but never decides the verdict: a wrong guess is not a weakness
of the system under test.

``python -m agent --help`` and the README list the codes; ``agent/cli/exits.py`` re-exports them.
"""

from __future__ import annotations

from typing import Literal

Verdict = Literal[
    "held", "refuted", "inconclusive", "aborted", "stopped", "refused", "rejected", "dry_run", "failed", "waiting",
    "false_alarm",
]

OK = 0  # the steady state held, or a dry run the API server accepted
ERROR = 1  # bad input (a spec, a run id) or an error (the run failed)
USAGE = 2  # a bad option or argument (Click's own code), or a configuration error (stack.yaml)
REFUTED = 3  # the steady state did not hold: a weakness found
ABORTED = 4  # the monitor stopped the chaos itself: an abort threshold (or metrics or the cluster lost, an overrun)
INCONCLUSIVE = 5  # nothing measured, no observable effect, or stopped by a person before it ran its course
REFUSED = 6  # refused by the policy (or the kill switch, a steady state already breaching) or at the approval
WAITING = 7  # left waiting for an approval: nothing applied yet
FALSE_ALARM = 8  # a no-fault control moved (an abort or a failed steady-state check with nothing injected)

EXIT_CODES: dict[Verdict, int] = {
    "held": OK, "dry_run": OK, "failed": ERROR, "refuted": REFUTED, "aborted": ABORTED,
    "inconclusive": INCONCLUSIVE, "stopped": INCONCLUSIVE, "refused": REFUSED, "rejected": REFUSED, "waiting": WAITING,
    "false_alarm": FALSE_ALARM,
}

# A stop a person asked for: Ctrl-C or SIGTERM in the running process, `abort RUN`, the engine
# deleted by hand (the first cause in the run's reason, worded by agent.run.phases).
STOPPED_BEFORE_CHAOS = "interrupted by the user"  # graphs.nodes.execute, a stop asked during the baseline
ASKED = ("aborted by the user", "stopped from outside the monitor", "the ChaosEngine was deleted outside the agent")


def of_ending(outcome: str | None, reason: str | None) -> Verdict | None:
    """The verdict an ending gives by itself; None for a completed run, whose data decides it."""
    if outcome == "aborted":
        return "stopped" if reason is not None and reason.startswith(ASKED) else "aborted"
    if outcome == "failed" and reason is not None and reason.startswith(STOPPED_BEFORE_CHAOS):
        return "stopped"  # a person's Ctrl-C during the baseline: stopped, not an error
    endings: dict[str, Verdict] = {"refused": "refused", "rejected": "rejected", "dry_run": "dry_run", "failed": "failed",
                                   "inconclusive": "inconclusive"}  # the fault had no observable effect (graphs.nodes.verify)
    return endings.get(outcome or "")


def exit_code(verdict: Verdict) -> int:
    """The CLI's exit code for a run with this verdict."""
    return EXIT_CODES[verdict]
