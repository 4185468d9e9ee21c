"""Exit codes, the same for ``python -m agent`` and ``craterctl`` (``--help`` shows them).

Click exits 2 on a usage error by itself; the rest are set here, from a run's verdict
(``agent.report.verdict``, where the codes are defined next to the verdicts they stand for), or by
``main()`` for an expected error. Imports nothing heavy: ``--help`` reads :data:`EPILOG`.
"""

from __future__ import annotations

from collections.abc import Mapping

from agent.report.verdict import (
    ABORTED,
    ERROR,
    FALSE_ALARM,
    INCONCLUSIVE,
    OK,
    REFUSED,
    REFUTED,
    USAGE,
    WAITING,
    exit_code,
    of_ending,
)

__all__ = ["ABORTED", "EPILOG", "ERROR", "FALSE_ALARM", "INCONCLUSIVE", "OK", "REFUSED", "REFUTED", "USAGE", "WAITING", "for_outcome"]

# Shown under --help of both CLIs.
EPILOG = (
    "Exit codes: 0 the steady state held (or a dry run passed); 1 bad input or an error; 2 usage or configuration "
    "error; 3 the steady state did not hold (a weakness found); 4 aborted by an abort threshold (or metrics or the "
    "cluster lost); 5 inconclusive (nothing measured, no observable effect, or stopped by a person); "
    "6 refused by the policy or at the approval (rejected); 7 left waiting for an approval; 8 a no-fault control "
    "moved (a false alarm)."
)


def for_outcome(state: Mapping[str, object]) -> int:
    """The exit code of a run's ending when its result cannot be read: the ending alone decides it,
    and a completed run whose data was not judged is an error."""
    outcome, reason = state.get("outcome"), state.get("reason")
    verdict = of_ending(outcome if isinstance(outcome, str) else None, reason if isinstance(reason, str) else None)
    return exit_code(verdict) if verdict is not None else ERROR
