"""Shared by the property tests: the count of CLI cases each test drove, shown after the run."""

from __future__ import annotations

import pytest

from tests.property.cli_harness import CASES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CASES:
        per_test = ", ".join(f"{name} {n}" for name, n in sorted(CASES.items()))
        terminalreporter.write_line(f"CLI cases through python -m agent's entry point: {CASES.total()} ({per_test})")
