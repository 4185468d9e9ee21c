"""Failures the twin can be told to inject into its own API, for tests and demos of the
agent's failure paths: answer 5xx, or hold a request (before or after it takes effect) until
released, as an overloaded or partitioned API server would.

    hold = twin.inject("POST", "/chaosengines", dry_run=False, after=True)
    ...                 # the agent's create lands in the twin but its answer never comes
    hold.seen.wait(30)  # the request has arrived (no sleeping in tests)
    twin.heal()         # release every held request and forget the rules

Rules live in the serving process's memory only (not in the state file): they belong to one
server, like a network fault belongs to one path.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

HOLD_LIMIT_S = 600.0  # a held request is answered 504 after this long, so no thread hangs forever


@dataclass
class Injected:
    """One rule: which requests it matches and what it does to them.

    Attributes:
        method: HTTP method to match (``POST``, ``GET``, ...).
        path: A substring of the request path to match (``/chaosengines``).
        dry_run: Match only dry-run requests (True), only real ones (False), or both (None).
        status: Answer this HTTP status instead of serving (0: serve, then maybe hold).
        hold: Hold matching requests until :meth:`release` (or ``HOLD_LIMIT_S``).
        after: Serve the request first (it takes effect), then fail or hold its answer, as an
            API server whose reply is lost on the way back.
        times: How many requests the rule affects; None means every one.
        skip: Let this many matching requests through first (fail "from the third read on").
    """

    method: str
    path: str
    dry_run: bool | None = None
    status: int = 0
    hold: bool = False
    after: bool = False
    times: int | None = None
    skip: int = 0
    passed: int = 0
    hits: int = 0
    seen: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def matches(self, method: str, path: str, dry_run: bool) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return (method == self.method and self.path in path
                and (self.dry_run is None or self.dry_run == dry_run))

    def release(self) -> None:
        """Let held requests go on (answered 504: the client has long given up on them)."""
        self.released.set()


class Failures:
    """The rules of one server; thread-safe."""

    def __init__(self) -> None:
        self._rules: list[Injected] = []
        self._lock = threading.Lock()

    def add(self, rule: Injected) -> Injected:
        with self._lock:
            self._rules.append(rule)
        return rule

    def match(self, method: str, path: str, dry_run: bool) -> Injected | None:
        """The first rule matching this request, counted as hit (and ``seen`` set)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path, dry_run):
                    if rule.passed < rule.skip:
                        rule.passed += 1
                        continue
                    rule.hits += 1
                    rule.seen.set()
                    return rule
        return None

    def heal(self) -> None:
        """Release every held request and forget every rule."""
        with self._lock:
            rules, self._rules = self._rules, []
        for rule in rules:
            rule.release()
