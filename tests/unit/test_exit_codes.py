"""A run's exit code from its outcome (agent/cli/exits.py); the real CLIs: tests/e2e/test_cli_contract.py."""

from __future__ import annotations

import pytest

from agent.cli.exits import ABORTED, EPILOG, OK, REFUSED, for_outcome
from agent.run.phases import ENGINE_DELETED, STOPPED_OUTSIDE


@pytest.mark.parametrize(("outcome", "reason", "code"), [
    ("completed", None, OK), ("dry_run", None, OK), ("rejected", "no", OK), (None, None, OK),
    ("refused", "policy.max_duration_s", REFUSED), ("failed", "Litmus not installed", REFUSED),
    ("aborted", "front-end error rate 62% > 5%", ABORTED),
    ("aborted", "front-end error rate 62% > 5%; the stop could not be confirmed", ABORTED),
    ("aborted", "metrics lost for 31 s (grace 30 s)", ABORTED),
    ("aborted", "aborted by the user (Ctrl-C) at T+12 s", OK),
    ("aborted", STOPPED_OUTSIDE, OK),
    ("aborted", ENGINE_DELETED, OK),
    ("aborted", f"front-end error rate 62% > 5%; {ENGINE_DELETED}", ABORTED),  # the breach came first
])
def test_the_code_follows_the_outcome_and_who_stopped_it(outcome: str | None, reason: str | None, code: int) -> None:
    assert for_outcome({"outcome": outcome, "reason": reason}) == code


def test_help_names_each_code() -> None:
    for code in ("0 ok", "1 refused", "2 usage", "3 aborted by an abort threshold"):
        assert code in EPILOG
