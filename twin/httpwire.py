"""The wire side of :mod:`twin.httpd`: a connection and its buffer, where a request's head ends
and how long its body is, the handler mix-in that answers one buffered request, and raw
answers the selector thread sends itself (100 Continue, 431, 503).
"""

from __future__ import annotations

import io
import socket
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from twin.httpd import PooledHTTPServer


@dataclass(eq=False)
class Conn:
    """A client connection: its socket, what it sent so far, and when a whole request is due."""

    sock: socket.socket
    address: tuple[str, int]
    deadline: float  # monotonic: the request must be complete by then
    buf: bytearray = field(default_factory=bytearray)
    continued: bool = False  # "100 Continue" sent for the request being read


@dataclass(frozen=True, eq=False)
class Buffered:
    """What a :class:`PooledHandler` gets as its ``request``: a whole request, read already."""

    conn: Conn
    data: bytes
    close_after: bool  # the body was not read (bad or oversized Content-Length): hang up after


class Writer(io.BufferedIOBase):
    """``wfile``: writes straight to the socket (as socketserver's own writer does)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, b: ReadableBuffer) -> int:
        with memoryview(b) as view:
            self._sock.sendall(view)
            return view.nbytes


class PooledHandler(BaseHTTPRequestHandler):
    """Mix-in for handlers served by :class:`PooledHTTPServer`: answers one buffered request."""

    request: Buffered  # type: ignore[assignment]
    server: PooledHTTPServer  # type: ignore[assignment]

    def setup(self) -> None:
        self.connection = self.request.conn.sock
        self.connection.settimeout(self.server.timeout_s)  # a client that never reads its answer
        self.rfile = io.BytesIO(self.request.data)
        self.wfile = Writer(self.connection)

    def handle(self) -> None:
        self.handle_one_request()  # keep-alive: the next request is read by the selector again

    def handle_expect_100(self) -> bool:
        return True  # the reader already said "100 Continue"


def head_end(buf: bytearray) -> int:
    """Where the request's head ends (after its blank line), or -1."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := buf.find(sep)) >= 0]
    return min(ends) if ends else -1


def framing(head: bytes) -> tuple[int | None, bool]:
    """The body length the head announces (None: unreadable here) and whether it expects 100."""
    length: int | None = 0
    expect = chunked = False
    for line in head.split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":  # 19 digits and more: not worth int() (nor its digit limit)
            length = int(value) if value.isdigit() and len(value) < 19 else None
        elif name == b"transfer-encoding":
            chunked = True  # chunked bodies are not supported: answered, then hung up on
        elif name == b"expect":
            expect = value.lower() == b"100-continue"
    return (None if chunked else length), expect


def answer_raw(sock: socket.socket, status: int, text: str) -> None:
    """Answer from the selector thread itself (no handler): 431 or 503, then the caller hangs up."""
    reason = {431: "Request Header Fields Too Large", 503: "Service Unavailable"}[status]
    body = text.encode()
    send_nowait(sock, (f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body)


def send_nowait(sock: socket.socket, data: bytes) -> None:
    try:
        sock.send(data)  # small: fits the socket buffer; best effort, never blocks the loop
    except OSError:
        pass


def drain(sock: socket.socket) -> None:
    """Read everything a non-blocking socket holds (the selector's wake-up bytes)."""
    try:
        while sock.recv(4096):
            pass
    except (BlockingIOError, InterruptedError):
        pass


def hang_up(sock: socket.socket) -> None:
    """Close a client socket, telling the client at once (even while a worker still uses it)."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
