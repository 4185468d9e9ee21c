"""A run's exit code from its verdict (agent/report/verdict.py, re-exported by agent/cli/exits.py);
a completed run's verdict from its data: tests/unit/test_ci_result.py; the real CLIs:
tests/e2e/test_cli_contract.py and tests/e2e/test_ci_artifacts.py."""

from __future__ import annotations

import pytest

from agent.cli.exits import ABORTED, EPILOG, ERROR, INCONCLUSIVE, OK, REFUSED, REFUTED, WAITING, for_outcome
from agent.report.verdict import EXIT_CODES, exit_code, of_ending
from agent.run.phases import ENGINE_DELETED, STOPPED_OUTSIDE


@pytest.mark.parametrize(("outcome", "reason", "verdict"), [
    ("completed", None, None),  # the data decides: held, refuted or inconclusive
    ("dry_run", None, "dry_run"), ("rejected", "no", "rejected"), ("refused", "policy.max_duration_s", "refused"),
    ("failed", "Litmus not installed", "failed"), ("inconclusive", "no observable effect", "inconclusive"),
    ("aborted", "front-end error rate 62% > 5%", "aborted"),
    ("aborted", "front-end error rate 62% > 5%; the stop could not be confirmed", "aborted"),
    ("aborted", "metrics lost for 31 s (grace 30 s)", "aborted"),
    ("aborted", "aborted by the user (Ctrl-C) at T+12 s", "stopped"),
    ("failed", "interrupted by the user (Ctrl-C) before any chaos; nothing was applied", "stopped"),  # during the baseline
    ("aborted", STOPPED_OUTSIDE, "stopped"),
    ("aborted", ENGINE_DELETED, "stopped"),
    ("aborted", f"front-end error rate 62% > 5%; {ENGINE_DELETED}", "aborted"),  # the breach came first
])
def test_the_ending_gives_the_verdict_and_who_stopped_it_counts(outcome: str, reason: str | None, verdict: str | None) -> None:
    assert of_ending(outcome, reason) == verdict


def test_each_outcome_has_its_own_code() -> None:
    assert (exit_code("held"), exit_code("refuted"), exit_code("aborted"), exit_code("inconclusive"),
            exit_code("refused"), exit_code("waiting")) == (OK, REFUTED, ABORTED, INCONCLUSIVE, REFUSED, WAITING)
    assert (OK, ERROR, REFUTED, ABORTED, INCONCLUSIVE, REFUSED, WAITING) == (0, 1, 3, 4, 5, 6, 7)
    assert set(EXIT_CODES.values()) == {0, 1, 3, 4, 5, 6, 7, 8}  # 2 is Click's usage error; 8 a control's false alarm
    assert for_outcome({"outcome": "refused"}) == REFUSED and for_outcome({"outcome": "completed"}) == ERROR


def test_help_names_each_code() -> None:
    for code in ("0 the steady state held", "1 bad input or an error", "2 usage", "3 the steady state did not hold",
                 "4 aborted by an abort threshold", "5 inconclusive", "6 refused", "7 left waiting for an approval"):
        assert code in EPILOG
