"""Exit codes, the same for ``python -m agent`` and ``craterctl`` (``--help`` shows them).

Click exits 2 on a usage error by itself; the rest are set here, from a run's outcome, or by
``main()`` for an expected error. Imports nothing heavy: ``--help`` reads :data:`EPILOG`.
"""

from __future__ import annotations

from collections.abc import Mapping

OK = 0  # done: completed, a dry run, a human's rejection or stop, or left waiting for an approval
REFUSED = 1  # refused (policy, steady state, kill switch), failed, or bad input (a spec, a run id)
USAGE = 2  # a bad option or argument (Click's own code), or a configuration error (stack.yaml)
ABORTED = 3  # the monitor stopped the chaos by itself: an abort threshold breached (or metrics or cluster lost)
# A stop a person asked for is no failure of the system under test: Ctrl-C or SIGTERM in the
# running process, `abort RUN`, the engine deleted by hand (the first cause in the run's reason,
# worded by agent.run.phases).
_ASKED = ("aborted by the user", "stopped from outside the monitor", "the ChaosEngine was deleted outside the agent")

_BY_OUTCOME = {"completed": OK, "dry_run": OK, "rejected": OK, "refused": REFUSED, "failed": REFUSED,
               "aborted": ABORTED}

# Shown under --help of both CLIs.
EPILOG = (
    "Exit codes: 0 ok (completed, dry run, rejected, stopped by you, or waiting for approval); "
    "1 refused, failed or bad input; 2 usage or configuration error; "
    "3 aborted by an abort threshold (or metrics or the cluster lost)."
)


def for_outcome(state: Mapping[str, object]) -> int:
    """The exit code of a run that ended with ``state['outcome']`` (unknown or none: OK)."""
    outcome, reason = state.get("outcome"), state.get("reason")
    if outcome == "aborted" and isinstance(reason, str) and reason.startswith(_ASKED):
        return OK
    return _BY_OUTCOME.get(outcome, OK) if isinstance(outcome, str) else OK
