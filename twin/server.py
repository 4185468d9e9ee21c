"""TwinServer: the twin served over HTTP on 127.0.0.1 from a daemon thread.

The official `kubernetes` client and kubectl talk to it for real. State lives in the state
file (see `store`), so a second server on the same file, in this process or another, sees the
same cluster and clock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from twin import stamped
from twin.api import JSON, Request, Response, handle
from twin.chaos_mesh import install as install_chaos_mesh
from twin.failures import HOLD_LIMIT_S, Failures, Injected
from twin.httpd import PooledHandler, PooledHTTPServer
from twin.litmus_install import check_pieces, remove
from twin.operator import reconcile
from twin.seed import DEFAULT_MANIFESTS, seed_state
from twin.store import StateStore

log = logging.getLogger(__name__)
CLOCK_TICK_S = 0.25  # how often the speed thread moves the virtual clock
MAX_BODY = 8 << 20  # a request body; the largest the agent sends (a manifest apply) is a few KB


class _HTTPServer(PooledHTTPServer):
    """The twin's API over :class:`twin.httpd.PooledHTTPServer`: slow or idle clients hold a
    socket, not a thread, and are hung up on after ``timeout_s``."""

    def __init__(self, address: tuple[str, int], store: StateStore, speed: float | None,
                 failures: Failures, *, timeout_s: float, workers: int) -> None:
        super().__init__(address, _Handler, timeout_s=timeout_s, workers=workers, max_body=MAX_BODY)
        self.store, self.speed, self.failures = store, speed, failures
        self.operator = True  # the emulated Litmus operator is running
        self.without: frozenset[str] = frozenset()  # pieces left out (twin.litmus_install)


class _Handler(PooledHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chaos-advisor-twin/1"
    server: _HTTPServer

    def _serve(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = (self.headers.get("Content-Length") or "0").strip()
        length = int(raw) if raw.isdigit() and len(raw) < 19 else -1
        if not 0 <= length <= MAX_BODY:  # the body was not read: answer, then hang up
            self.close_connection = True
            code, reason = (413, "RequestEntityTooLarge") if raw.isdigit() else (400, "BadRequest")
            self._send(_status(code, reason, f"Content-Length {raw[:20]!r}: expected 0..{MAX_BODY}"))
            return
        try:  # a scrape asking for the twin's own time on its samples (twin.stamped)
            shift = stamped.requested(self.command, url.path, query)
        except ValueError as e:
            self.close_connection = True  # a body, if any, was not read
            self._send(_status(400, "BadRequest", str(e)))
            return
        request = Request(
            method=self.command, path=url.path, query=query,
            content_type=self.headers.get("Content-Type") or JSON,
            accept=self.headers.get("Accept") or JSON,
            body=self.rfile.read(length) if length else b"",
            speed=self.server.speed if shift is None else None,  # stamped: counted in virtual seconds
            operator=self.server.operator,
            without=self.server.without,
            wall_s=time.time() if shift is None else None,  # stamped: cAdvisor dates on the virtual clock
        )
        rule = self.server.failures.match(request.method, request.path,
                                          request.query.get("dryRun") == "All")
        if rule is not None and not rule.after:
            self._send(_injected(rule))
            return
        try:
            with self.server.store.transaction() as tx:
                response = handle(tx, request)
                if shift is not None:
                    response = stamped.apply(response, now_s=tx.state.now, shift_s=shift)
        except Exception:  # a bug: answer 500 like an API server would, and keep serving
            log.exception("twin failed on %s %s", self.command, self.path)
            response = _status(500, "InternalError", "internal error in the twin")
        if rule is not None:  # served (it took effect); its answer is held or replaced
            response = _injected(rule)
        self._send(response)

    def _send(self, response: Response) -> None:
        text = response.body if isinstance(response.body, str) else json.dumps(response.body)
        payload = text.encode()
        try:
            self.send_response(response.code)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a held request timed out): fine

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("twin %s - " + format, self.address_string(), *args)


def _status(code: int, reason: str, message: str) -> Response:
    return Response(code, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "reason": reason, "message": message, "code": code})


def _injected(rule: Injected) -> Response:
    """What an injected failure answers: its status, or (held) a late 504."""
    if rule.hold:
        rule.released.wait(HOLD_LIMIT_S)
        return _status(504, "Timeout", "injected: the request was held and timed out")
    reason = {429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
              504: "Timeout"}.get(rule.status, "InternalError")
    return _status(rule.status, reason, f"injected failure ({rule.status})")


class TwinServer:
    """A Sock Shop cluster (with Litmus) served on 127.0.0.1.

    Args:
        state_path: The state file; loaded if it exists (manifests are then not re-read),
            else seeded from the manifests and created.
        manifests: YAML files to seed from; None means DEFAULT_MANIFESTS (Sock Shop).
        port: TCP port; 0 picks a free one.
        seed: Seed for names, uids and random picks (same seed, same cluster).
        speed: Virtual seconds per real second advanced by a background thread; None
            (default) moves the clock only through POST /twin/v1/clock/advance.
        start_time: Virtual time (epoch s) of a freshly seeded cluster; None means now.
        timeout_s: Seconds a client has to send a whole request (and to take an answer); an
            idle kept-alive connection is closed after as long (clients reconnect).
        workers: Most requests answered at once (others wait their turn); held requests
            (``inject(hold=True)``) each keep one busy.
        without: Pieces the cluster lacks (``litmus``, ``experiments``, ``metrics``, ``rbac``;
            see ``twin.litmus_install``): taken out of the state when it starts.
        broken_engines: Every ChaosEngine reports Running and Pass but injects nothing
            (``twin.chaos_pods``; also ``POST /twin/v1/litmus/broken``).
        chaos_mesh: Install Chaos Mesh too (its CRDs; its controller is ``twin.chaos_mesh``).
        chaos_mesh_dns: With Chaos Mesh, its DNS server's Service too (Helm ``dnsServer.create``, the
            default); False: none, so DNSChaos fails as it does upstream without it.
    """

    def __init__(self, state_path: Path, manifests: Sequence[Path] | None = None, *,
                 port: int = 0, seed: int = 42, speed: float | None = None,
                 start_time: float | None = None, timeout_s: float = 10.0,
                 workers: int = 32, without: Iterable[str] = (), broken_engines: bool = False,
                 chaos_mesh: bool = False, chaos_mesh_dns: bool = True) -> None:
        self.chaos_mesh, self.chaos_mesh_dns = chaos_mesh, chaos_mesh_dns
        self.without = check_pieces(without)
        self.broken_engines = broken_engines
        chosen = tuple(Path(m) for m in manifests) if manifests else DEFAULT_MANIFESTS
        self._seed_fn: Callable[[], Any] = lambda: seed_state(
            chosen, seed=seed, now=time.time() if start_time is None else start_time)
        self._store = StateStore(Path(state_path), self._seed_fn)
        self._port, self._speed = port, speed
        self._timeout_s, self._workers = timeout_s, workers
        self._httpd: _HTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._failures = Failures()

    def inject(self, method: str, path: str, *, dry_run: bool | None = None, status: int = 0,
               hold: bool = False, after: bool = False, times: int | None = None,
               skip: int = 0) -> Injected:
        """Fail matching requests from now on (see ``twin.failures``): answer ``status``,
        or ``hold`` them until released or healed; ``after``: once the request took effect;
        ``skip``: let the first N matching requests through; ``times``: fail only N of them."""
        if bool(status) == hold:
            raise ValueError("inject needs exactly one of status=<HTTP code> or hold=True")
        return self._failures.add(Injected(method.upper(), path, dry_run=dry_run, status=status,
                                           hold=hold, after=after, times=times, skip=skip))

    def heal(self) -> None:
        """Forget every injected failure and release held requests."""
        self._failures.heal()

    def pause_operator(self, paused: bool = True) -> None:
        """Take the emulated Litmus operator down (engines stop progressing; chaos already
        injected stays injected) or, with ``paused=False``, bring it back to catch up."""
        if self._httpd is None:
            raise RuntimeError("TwinServer is not started")
        self._httpd.operator = not paused and "litmus" not in self.without

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        if self._httpd is None:
            raise RuntimeError("TwinServer is not started; call start() or use it as a context")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def connections(self) -> int:
        """Client connections open now (0 when not started)."""
        return self._httpd.connections if self._httpd is not None else 0

    @property
    def state_path(self) -> Path:
        """The state file this server reads and writes."""
        return self._store.path

    def start(self) -> str:
        """Seed or load the state, start serving in a daemon thread; returns the URL."""
        if self._httpd is not None:
            return self.url
        with self._store.transaction() as tx:  # creates the state file now, so a second process finds it
            tx.dirty |= remove(tx.state, self.without)
            tx.dirty |= self.chaos_mesh and install_chaos_mesh(tx.state, tx.state.now, dns_server=self.chaos_mesh_dns)
            if self.broken_engines and not tx.state.broken_engines:
                tx.state.broken_engines = tx.dirty = True
        self._httpd = _HTTPServer(("127.0.0.1", self._port), self._store, self._speed,
                                  self._failures, timeout_s=self._timeout_s, workers=self._workers)
        self._httpd.without, self._httpd.operator = self.without, "litmus" not in self.without
        self._stopping.clear()
        serve = threading.Thread(target=self._httpd.serve_forever, name="twin-http", daemon=True)
        self._threads = [serve]
        if self._speed:
            self._threads.append(threading.Thread(target=self._run_clock, name="twin-clock",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()
        return self.url

    def _run_clock(self) -> None:
        last = time.monotonic()
        while not self._stopping.wait(CLOCK_TICK_S):
            now = time.monotonic()
            elapsed, last = now - last, now
            with self._store.transaction() as tx:
                reconcile(tx.state, tx.state.now + elapsed * float(self._speed or 0),
                          operator=self._httpd.operator if self._httpd else True)
                tx.dirty = True

    def stop(self) -> None:
        """Stop serving and close client connections; the state file stays."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._failures.heal()
        self._httpd.shutdown()
        self._httpd.server_close()  # also hangs up on kept-alive clients
        for thread in self._threads:
            thread.join(timeout=5)
        self._httpd, self._threads = None, []

    def __enter__(self) -> TwinServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
