"""The threads that answer Slack after the ack: slack-bolt's ``listener_executor`` (it runs the
lazy listeners there), counted so a server can finish its answers before it stops and a test can
wait for them (:meth:`Workers.drain`) instead of sleeping."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class Workers(ThreadPoolExecutor):
    """A bounded thread pool that knows how many jobs are in progress."""

    def __init__(self, workers: int = 8) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="slack-answer")
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._idle:
            self._busy += 1
        try:
            return super().submit(self._counted, fn, *args, **kwargs)  # type: ignore[arg-type]
        except RuntimeError:  # shut down: not counted as in progress
            self._done()
            raise

    def drain(self, timeout: float) -> bool:
        """Wait until no job is in progress; False when ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def _counted(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        try:
            return fn(*args, **kwargs)
        except Exception:  # a worker's top level: log it and keep serving the next requests
            log.exception("answering a Slack request failed")
            return None
        finally:
            self._done()

    def _done(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()
