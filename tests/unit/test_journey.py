"""The user-journey probe: bounded, scheduled on the run's clock, and what the report makes of it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from agent.adapters.journey_http import fetch
from agent.config.journey import Journey
from agent.models.journey import JourneyHit, JourneyLog
from agent.report.journey import summarise, tldr_part
from agent.run.journey import JourneyProbe, ProbingClock

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class ManualClock:
    """Virtual time: sleeping moves it at once."""

    def __init__(self) -> None:
        self.t = T0

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


def probe(fetcher, *, wait: bool, **settings: object) -> tuple[JourneyProbe, ProbingClock, ManualClock]:  # type: ignore[no-untyped-def]
    p = JourneyProbe(Journey(**settings), "http://edge", fetcher, wait_answers=wait)  # type: ignore[arg-type]
    inner = ManualClock()
    return p, ProbingClock(inner, p), inner


def test_no_more_than_max_in_flight_wait_for_answers_and_nothing_is_sent_after_stop() -> None:
    release, calls, started = threading.Event(), [], threading.Semaphore(0)

    def hanging(url: str, timeout_s: float) -> tuple[int | None, str | None]:
        calls.append(url)
        started.release()
        release.wait(10)
        return 200, None

    p, clock, _ = probe(hanging, wait=False, max_in_flight=2, timeout_s=1)
    clock.sleep(2)  # no run: the probe sends nothing
    assert calls == [] and not p.active
    p.start("run1")
    clock.sleep(2)  # rounds at 0, 0.5, 1, 1.5, 2 s: 15 requests due, 2 workers busy from the first on
    assert started.acquire(timeout=5) and started.acquire(timeout=5)  # both workers got theirs
    assert len(calls) == 2 and p.peak_in_flight == 2
    release.set()
    log = p.stop("run1")
    assert log is not None and len(log.hits) == 2 and log.skipped == 13
    assert [h.status for h in log.hits] == [200, 200] and {h.at for h in log.hits} == {T0 + timedelta(seconds=2)}
    clock.sleep(5)
    assert len(calls) == 2 and not p.active and p.stop("run1") is None


def test_the_probe_stops_sending_at_max_requests() -> None:
    p, clock, _ = probe(lambda url, t: (200, None), wait=True, max_requests=4)
    p.start("run1")
    clock.sleep(5)
    log = p.stop("run1")
    assert log is not None and len(log.hits) == 4 and log.capped


def test_rounds_follow_the_run_clock_and_the_failover_is_within_one_interval() -> None:
    """An edge whose /cart fails from T+1.2 s to T+3.3 s (2.1 s): measured at 2 Hz, ± 0.5 s."""
    inner: list[ManualClock] = []

    def edge(url: str, timeout_s: float) -> tuple[int | None, str | None]:
        t = (inner[0].now() - T0).total_seconds()
        if url.endswith("/cart") and 1.2 <= t < 3.3:
            return (None, "ConnectionRefusedError") if t < 2 else (500, None)
        return 200, None

    p, clock, manual = probe(edge, wait=True, paths=["/", "/cart"])
    inner.append(manual)
    p.start("run1")
    p.start("run1")  # a replayed execute: the same probe goes on
    clock.sleep(6)
    log = p.stop("run1")
    assert log is not None and len(log.hits) == 2 * 13  # rounds at 0, 0.5 ... 6 s
    s = summarise(log, T0)
    cart = next(x for x in s.paths if x.path == "/cart")
    assert cart.first_failure == T0 + timedelta(seconds=1.5) and cart.recovered_at == T0 + timedelta(seconds=3.5)
    assert cart.failover_ms == 2000 and abs(2000 - 2100) <= s.interval_ms
    assert (cart.failed, cart.requests, cart.failed_pct) == (4, 13, 30.8)
    assert s.worst is cart and s.failed_pct == 15.4
    assert tldr_part(s, "carts-db") == "; carts-db failover took 2000 ms ± 500 ms, caused 30.8% failed requests on /cart"


def test_a_failure_with_no_success_after_it_is_not_called_a_failover() -> None:
    hits = [JourneyHit(at=T0 + timedelta(seconds=i / 2), path="/cart", status=200 if i < 3 else 503, latency_ms=1.0)
            for i in range(6)]
    s = summarise(JourneyLog(url="http://edge", paths=["/cart"], interval_s=0.5, hits=hits), T0)
    assert s.worst is not None and s.worst.failover_ms is None
    assert tldr_part(s, "carts-db").startswith("; carts-db failover not seen to end (/cart still failing")
    healthy = summarise(JourneyLog(url="http://edge", paths=["/cart"], interval_s=0.5, hits=hits[:3]), T0)
    assert tldr_part(healthy, "carts-db") == "; users' pages never failed (3 requests)"


@pytest.mark.parametrize(("field", "value", "says"), [
    ("paths", ["cart"], "is not a path"),
    ("rate_hz", 1, "greater than or equal to 2"),
    ("url", "ftp://edge", r"is not an http\(s\) URL"),
    ("max_in_flight", 0, "greater than or equal to 1"),
])
def test_bad_journey_settings_are_refused_with_the_fix(field: str, value: object, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Journey(**{field: value})


@pytest.fixture
def edge() -> Iterator[str]:
    """A loopback edge: /ok 200, /down 503, /hang answers only after the client gave up."""
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            if self.path == "/hang":
                done.wait(5)
            code = {"/ok": 200, "/down": 503}.get(self.path, 404)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    done.set()
    server.shutdown()
    server.server_close()


def test_the_http_get_answers_status_or_why_not(edge: str) -> None:
    assert fetch(edge + "/ok", 2) == (200, None)
    assert fetch(edge + "/down", 2) == (503, None)
    status, why = fetch(edge + "/hang", 0.2)
    assert status is None and why is not None and "timed out" in why.lower()
    port = int(edge.rsplit(":", 1)[1])
    status, why = fetch(f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/ok", 2)
    assert status is None and why is not None


def test_a_path_the_edge_does_not_have_is_named_not_hidden() -> None:
    from agent.report.journey import line

    hits = [JourneyHit(at=T0 + timedelta(seconds=i / 2), path=p, status=200 if p == "/" else 404, latency_ms=1.0)
            for i in range(4) for p in ("/", "/carts")]
    log = JourneyLog(url="http://edge", paths=["/", "/carts"], interval_s=0.5, hits=hits)
    s = summarise(log, T0)
    assert s.failed == 0 and s.refused == {"/carts": 404}
    assert line(s, log, None).endswith("; no page failed; answered 4xx (not counted as failed; not pages of the edge? "
                                       "check journey.paths): /carts 404")
