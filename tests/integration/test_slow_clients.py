"""Slow and many clients against both HTTP servers: the Slack callback endpoint (as ``slack
serve`` wires it) and the twin's API. 500 loopback connections each send a POST head with
``Content-Length: 1000`` and 7 bytes of body, then hang (slowloris). The health endpoint must
still answer within 1 s, the process must not grow a thread per connection, and the server must
hang up on every held connection once its timeout passed.

Nothing sleeps: the tests wait on sockets (a selector with a deadline) and on counters.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.adapters.slack_http import HttpListener
from agent.cli.slack import build_listener
from agent.wiring import open_store
from tests.integration.slack_server import SlackServer
from tests.integration.test_slack import slack_settings
from twin import TwinServer

HELD = 500
TIMEOUT_S = 1.0  # the servers' per-connection timeout in these tests (10 s by default)
WORKERS = 8  # the servers' pool in these tests
MARGIN_S = 1.5  # how late after its timeout a held connection may be hung up on


@dataclass
class Measured:
    threads_before: int
    threads_held: int  # while HELD connections are open
    health_s: float
    slowest_drop_s: float  # the longest a held connection stayed open


def slowloris(host: str, port: int, path: str, *, health: str, count: Callable[[], int]) -> Measured:
    before = threading.active_count()
    opened: dict[socket.socket, float] = {}
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    try:
        for _ in range(HELD):
            s = socket.create_connection((host, port), timeout=5)
            s.sendall(head.encode() + b"partial")  # 7 of the 1000 bytes promised
            opened[s] = time.monotonic()
            if len(opened) % 100 == 0:  # all held at once: the server took each batch before the next
                assert wait_until(lambda: count() >= len(opened), 5.0), f"the server took {count()} of {len(opened)}"
        held = threading.active_count()
        began = time.monotonic()
        with urllib.request.urlopen(health, timeout=5) as answer:
            assert answer.status == 200
        health_s = time.monotonic() - began
        return Measured(before, max(held, threading.active_count()), health_s, slowest_drop(opened))
    finally:
        for s in opened:
            s.close()


def slowest_drop(opened: dict[socket.socket, float]) -> float:
    """Wait until the server hung up on every socket; the longest any stayed open."""
    sel = selectors.DefaultSelector()
    for s in opened:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, s)
    deadline, slowest = time.monotonic() + TIMEOUT_S + MARGIN_S + 2.0, 0.0
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.data
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            assert data == b"", f"a held connection was answered: {data[:80]!r}"
            slowest = max(slowest, time.monotonic() - opened[s])
            sel.unregister(s)
    assert not sel.get_map(), f"{len(sel.get_map())} held connections still open after {TIMEOUT_S + MARGIN_S + 2} s"
    return slowest


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        threading.Event().wait(0.01)  # a bounded poll of a counter, not a wait for time to pass
    return True


def check(m: Measured, what: str) -> None:
    print(f"\n{what}: threads {m.threads_before} before, {m.threads_held} with {HELD} held connections; "
          f"health answered in {m.health_s * 1000:.0f} ms; slowest hang-up {m.slowest_drop_s:.2f} s")
    assert m.health_s < 1.0, f"health took {m.health_s:.2f} s"
    assert m.threads_held - m.threads_before <= WORKERS, m  # not a thread per connection
    assert m.threads_held <= WORKERS + 20, m
    assert m.slowest_drop_s <= TIMEOUT_S + MARGIN_S, m


@contextmanager
def slack_serve(tmp_path: Path, *, max_connections: int = 1024) -> Iterator[HttpListener]:
    """The Slack app as ``slack serve`` builds it (``build_listener``, HTTP mode on uvicorn), with short timeouts."""
    with SlackServer() as slack, open_store(settings := slack_settings(tmp_path, slack)) as store:
        listener = build_listener(settings, store, timeout_s=TIMEOUT_S, max_connections=max_connections)
        assert isinstance(listener, HttpListener)
        with listener as server:
            yield server


def test_slow_clients_cannot_pin_the_slack_endpoint(tmp_path: Path) -> None:
    with slack_serve(tmp_path) as server:
        base = server.url.removesuffix("/slack/events")
        port = int(base.rsplit(":", 1)[1])
        m = slowloris("127.0.0.1", port, "/slack/events", health=f"{base}/healthz", count=lambda: server.connections)
        check(m, "slack serve")
        assert wait_until(lambda: server.connections == 0, 2.0), server.connections


def test_slow_clients_cannot_pin_the_twin(tmp_path: Path) -> None:
    with TwinServer(tmp_path / "twin.json", timeout_s=TIMEOUT_S, workers=WORKERS) as twin:
        port = int(twin.url.rsplit(":", 1)[1])
        m = slowloris("127.0.0.1", port, "/api/v1/namespaces/sock-shop/pods", health=f"{twin.url}/healthz",
                      count=lambda: twin.connections)
        check(m, "twin")
        assert wait_until(lambda: twin.connections == 0, 2.0), twin.connections
        with urllib.request.urlopen(f"{twin.url}/version", timeout=5) as answer:  # still serving afterwards
            assert answer.status == 200


def test_past_max_connections_new_clients_get_503_at_once(tmp_path: Path) -> None:
    with slack_serve(tmp_path, max_connections=3) as server:
        address = ("127.0.0.1", int(server.url.removesuffix("/slack/events").rsplit(":", 1)[1]))
        held = [socket.create_connection(address, timeout=5) for _ in range(3)]
        try:
            assert wait_until(lambda: server.connections == 3, 5.0)
            with socket.create_connection(address, timeout=5) as extra:
                extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = extra.recv(4096)
            assert answer.startswith(b"HTTP/1.1 503 ")  # uvicorn's limit_concurrency
        finally:
            for s in held:
                s.close()
