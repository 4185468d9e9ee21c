"""An HTTP/1.1 server for slow and many clients: one selector thread reads requests, a bounded
pool of worker threads answers the complete ones (the twin's API)::

    accept ── more than max_connections open? ── yes ──▶ 503, hung up
      ▼
    selector (no thread per connection) ── request complete within timeout_s? ── no ──▶ hung up
      ▼ yes
    worker pool (at most ``workers`` threads) ── answer ── keep-alive? ── yes ──▶ back to the selector

A client that sends half a request and waits (slowloris) costs a socket and its buffer, never a
thread, and is hung up on ``timeout_s`` after it began the request (trickling bytes does not
extend it). An idle kept-alive connection is hung up ``timeout_s`` after its last answer; a
client that does not read an answer is given ``timeout_s`` to take it. Handlers are ordinary
``BaseHTTPRequestHandler`` code mixed with :class:`PooledHandler`; each gets one buffered request.
Stdlib only, as the rest of the twin.
"""

from __future__ import annotations

import logging
import queue
import selectors
import socket
import threading
import time
from collections import deque

from twin import httpwire as wire
from twin.httpwire import Buffered, Conn, PooledHandler

log = logging.getLogger(__name__)

__all__ = ["PooledHTTPServer", "PooledHandler"]

HEAD_LIMIT = 70 * 1024  # request line and headers (http.server allows 64 KiB a line)
READ_CHUNK = 64 * 1024


class PooledHTTPServer:
    """Serves ``handler`` on ``address``; :meth:`serve_forever` in a thread, then :meth:`shutdown`
    and :meth:`server_close`.

    Args:
        address: (host, port); port 0 picks a free one.
        handler: A :class:`PooledHandler` subclass.
        workers: Most threads answering at once; more complete requests wait their turn.
        timeout_s: Seconds a client has to send a whole request (from its connection or its
            previous answer), and to take an answer. 10 s: far more than any client on a
            working network needs, short enough that held sockets come back quickly.
        max_connections: Open connections beyond this are answered 503 and closed.
        max_body: Bodies larger than this are not read; the handler answers (413) and the
            connection closes.
        backlog: The listen backlog: a burst of connections must not overflow it (an overflow
            costs the client a 1 s SYN retransmit), nor the default 5.
    """

    def __init__(self, address: tuple[str, int], handler: type[PooledHandler], *, workers: int = 16,
                 timeout_s: float = 10.0, max_connections: int = 1024, max_body: int = 1 << 20,
                 backlog: int = 1024) -> None:
        self.handler, self.timeout_s, self.workers = handler, timeout_s, workers
        self.max_connections, self.max_body = max_connections, max_body
        self.socket = socket.create_server(address, backlog=backlog)
        self.socket.setblocking(False)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)  # a full pipe wakes the loop anyway; a worker must never block on it
        self._lock = threading.Lock()
        self._open: set[Conn] = set()
        self._returned: deque[Conn] = deque()  # kept-alive connections handed back by workers
        self._jobs: queue.SimpleQueue[Buffered | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = self._queued = 0  # workers waiting for a job; jobs waiting for a worker
        self._stop, self._stopped = threading.Event(), threading.Event()
        self._serving = False

    def serve_forever(self) -> None:
        """Accept and read until :meth:`shutdown` (call it in a thread of its own)."""
        with self._lock:  # a shutdown before this started must not race the selector's closing
            if self._stop.is_set():
                return
            self._serving = True
        sel = self._selector
        sel.register(self.socket, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in sel.select(timeout=self._wait()):
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is self._wake_r:
                        wire.drain(self._wake_r)
                    else:
                        self._read(key.data)
                self._take_back()
                self._expire()
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop the selector loop (answers in progress finish in their worker)."""
        with self._lock:
            self._stop.set()
            serving = self._serving
        self._wake()
        if serving:
            self._stopped.wait(timeout=5)

    def server_close(self) -> None:
        """Close the listening socket and hang up on every client still connected."""
        self.shutdown()
        self.socket.close()
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            wire.hang_up(conn.sock)
        for _ in self._threads:
            self._jobs.put(None)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    @property
    def connections(self) -> int:
        """Connections open now (reading, answering, or kept alive)."""
        with self._lock:
            return len(self._open)

    # -- the selector thread --------------------------------------------------------------

    def _wait(self) -> float:
        conns = [k.data for k in self._selector.get_map().values() if k.data is not None]
        if not conns:
            return 1.0
        return max(0.0, min(1.0, min(c.deadline for c in conns) - time.monotonic()))

    def _accept(self) -> None:
        for _ in range(256):  # a burst at a time, so reads are not starved
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. out of file descriptors: the backlog keeps them waiting
                log.warning("accept failed: %s", e)
                return
            sock.setblocking(False)
            # Headers and body go out in two writes: without this, Nagle holds the body until the
            # client's delayed ACK of the headers (40 ms per response on Linux loopback).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Conn(sock, address, time.monotonic() + self.timeout_s)
            with self._lock:
                full = len(self._open) >= self.max_connections
                if not full:
                    self._open.add(conn)
            if full:
                wire.answer_raw(sock, 503, "too many connections; try again")
                wire.hang_up(sock)
                continue
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _read(self, conn: Conn) -> None:
        try:
            chunk = conn.sock.recv(READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            return self._drop(conn)
        conn.buf += chunk
        self._check(conn)

    def _check(self, conn: Conn) -> None:
        """Dispatch the buffered request once it is complete."""
        head_end = wire.head_end(conn.buf)
        if head_end < 0:
            if len(conn.buf) > HEAD_LIMIT:
                wire.answer_raw(conn.sock, 431, "request headers too large")
                self._drop(conn)
            return
        length, expect = wire.framing(bytes(conn.buf[:head_end]))
        if length is None or length > self.max_body:  # unreadable: the handler says why, then hang up
            return self._dispatch(conn, head_end, close_after=True)
        if len(conn.buf) >= head_end + length:
            return self._dispatch(conn, head_end + length, close_after=False)
        if expect and not conn.continued:
            conn.continued = True
            wire.send_nowait(conn.sock, b"HTTP/1.1 100 Continue\r\n\r\n")

    def _dispatch(self, conn: Conn, end: int, *, close_after: bool) -> None:
        self._selector.unregister(conn.sock)
        data, conn.buf = bytes(conn.buf[:end]), conn.buf[end:]
        with self._lock:
            self._queued += 1
            if self._queued > self._idle and len(self._threads) < self.workers:
                worker = threading.Thread(target=self._work, name=f"http-worker-{len(self._threads)}", daemon=True)
                self._threads.append(worker)
                worker.start()
        self._jobs.put(Buffered(conn, data, close_after))

    def _take_back(self) -> None:
        while True:
            with self._lock:
                if not self._returned:
                    return
                conn = self._returned.popleft()
            self._selector.register(conn.sock, selectors.EVENT_READ, conn)
            if conn.buf:
                self._check(conn)  # a pipelined request arrived with the previous one

    def _expire(self) -> None:
        now = time.monotonic()
        late = [k.data for k in self._selector.get_map().values() if k.data is not None and k.data.deadline <= now]
        for conn in late:
            self._drop(conn)

    def _drop(self, conn: Conn) -> None:
        self._selector.unregister(conn.sock)
        self._close(conn)

    def _close(self, conn: Conn) -> None:
        with self._lock:
            self._open.discard(conn)
        wire.hang_up(conn.sock)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass  # closed already, or the pipe is full (the loop wakes anyway)

    # -- worker threads ---------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
                self._queued -= job is not None
            if job is None:
                return
            self._answer(job)

    def _answer(self, job: Buffered) -> None:
        conn, keep = job.conn, False
        try:
            handler = self.handler(job, conn.address, self)  # type: ignore[arg-type]
            keep = not handler.close_connection and not job.close_after
            conn.sock.setblocking(False)  # back to the selector (raises if server_close hung up)
        except OSError as e:  # the client went away or did not take its answer in time
            log.debug("connection from %s: %s", conn.address[0], e)
        except Exception:  # a handler bug: hang up on this client, keep serving the others
            log.exception("answering %s failed", conn.address[0])
        if not keep or self._stop.is_set():
            return self._close(conn)
        conn.deadline, conn.continued = time.monotonic() + self.timeout_s, False
        with self._lock:
            self._returned.append(conn)
        self._wake()
