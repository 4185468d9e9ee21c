"""After ``abort`` of a run whose process has died, nobody would write its report: ``abort`` and
``status`` say that ``recover`` does, and stop saying so once it has."""

from __future__ import annotations

from tests.e2e import test_crash_recovery
from tests.e2e.test_crash_recovery import WAIT_S, Crash, kill, only_engine

crash = test_crash_recovery.crash  # a twin that outlives the agent


def test_abort_and_status_of_a_run_nobody_watches_point_at_recover(crash: Crash) -> None:
    held = crash.twin.inject("GET", "/chaosresults/", hold=True, skip=3)  # the 4th tick hangs
    agent = crash.spawn("run-graph", "--twin", "--approve", "1")
    assert held.seen.wait(WAIT_S)
    kill(agent)
    crash.twin.heal()
    [run] = crash.runs()
    hint = f"Nobody watches run {run} now (the process that ran it has ended): "
    aborted = crash.cli("abort", run)
    assert f"Patched sock-shop/ca-{run}: engineState: stop" in aborted
    assert hint in aborted and "-m agent recover watches its engine to its end and writes its report" in aborted
    assert only_engine(crash)["spec"]["engineState"] == "stop"  # type: ignore[index]
    assert hint in crash.cli("status", run)
    crash.cli("recover", "--twin")
    after = crash.cli("status", run)
    assert hint not in after and "report" in after
    assert len(crash.reports(run)) == 1
