"""Ctrl-C and SIGTERM sent as real signals to a real CLI process mid-experiment: the first stops
the chaos and still writes the report; the second exits at once and says how to finish.

The monitor is caught mid-run without sleeping: the twin holds its 4th ChaosResult read, the test
waits for that request, signals the agent, then lets the request through."""

from __future__ import annotations

import signal
import subprocess

import pytest

from tests.e2e import test_crash_recovery
from tests.e2e.test_crash_recovery import WAIT_S, Crash, only_engine

crash = test_crash_recovery.crash  # the crash matrix's fixture: a twin that outlives the agent


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_first_signal_stops_the_chaos_and_writes_the_report(crash: Crash, sig: signal.Signals) -> None:
    held = crash.twin.inject("GET", "/chaosresults/", hold=True, skip=3)
    agent = crash.spawn("run-graph", "--twin", "--approve", "1", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert held.seen.wait(WAIT_S)
    agent.send_signal(sig)
    crash.twin.heal()
    out, _ = agent.communicate(timeout=WAIT_S)
    text = out.decode()
    assert agent.returncode == 5, text  # stopped by a person: inconclusive (agent/report/verdict.py)
    name = "Ctrl-C" if sig == signal.SIGINT else "SIGTERM"
    assert f"{name}: stopping the chaos of run" in text
    [run] = crash.runs()
    assert f"Run {run}: aborted (aborted by the user ({name}) at T+" in text
    engine = only_engine(crash)
    assert engine["spec"]["engineState"] == "stop"  # type: ignore[index]
    [report] = crash.reports(run)
    assert "aborted by the user" in report.read_text()


def test_a_second_ctrl_c_exits_at_once_and_says_what_finishes_the_run(crash: Crash) -> None:
    held = crash.twin.inject("GET", "/chaosresults/", hold=True, skip=3)
    agent = crash.spawn("run-graph", "--twin", "--approve", "1", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert held.seen.wait(WAIT_S)
    agent.send_signal(signal.SIGINT)
    assert agent.stdout is not None
    seen = b""
    while b"stopping the chaos" not in seen:  # the first was handled (two at once would coalesce)
        line = agent.stdout.readline()
        assert line, seen.decode()
        seen += line
    agent.send_signal(signal.SIGINT)
    try:
        out, _ = agent.communicate(timeout=WAIT_S)
    finally:
        crash.twin.heal()
    text = (seen + out).decode()
    assert agent.returncode == 130, text
    [run] = crash.runs()
    assert f"python -m agent abort {run}" in text and "python -m agent recover" in text
    assert "Traceback" not in text
