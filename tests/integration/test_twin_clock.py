"""TwinClock when the twin's server goes away and comes back: the run's time goes on by the
seconds slept, the twin is brought up to it on return, and it never goes backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.adapters.twin import TwinClock
from agent.errors import ClusterUnreachable
from twin import TwinServer

START = datetime.fromtimestamp(1_800_000_000.0, UTC)


def test_the_clock_goes_on_while_the_twin_is_away_and_the_twin_catches_up(tmp_path: Path) -> None:
    twin = TwinServer(tmp_path / "twin.json", start_time=START.timestamp())
    url = twin.start()
    port = int(url.rsplit(":", 1)[1])
    clock = TwinClock(url, speed=None)
    clock.sleep(5)
    assert clock.now() == START + timedelta(seconds=5)
    twin.stop()

    clock.sleep(5)  # refused: the run's time goes on from the last it saw
    assert clock.now() == START + timedelta(seconds=10)
    clock.sleep(5)
    assert clock.now() == START + timedelta(seconds=15)

    back = TwinServer(tmp_path / "twin.json", port=port)  # the same cluster, its clock stopped at +5 s
    try:
        back.start()
        assert TwinClock(url, speed=None).now() == START + timedelta(seconds=5)
        clock.sleep(5)  # answered at +10 s, behind the run's +20 s: the twin is advanced to it
        assert clock.now() == START + timedelta(seconds=20)
        assert TwinClock(url, speed=None).now() == START + timedelta(seconds=20)
    finally:
        back.stop()


def test_a_clock_that_never_reached_its_twin_says_so(tmp_path: Path) -> None:
    with TwinServer(tmp_path / "twin.json") as twin:
        url = twin.url
    with pytest.raises(ClusterUnreachable, match=f"twin clock at {url}"):
        TwinClock(url, speed=None).now()
