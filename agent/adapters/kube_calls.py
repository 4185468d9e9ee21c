"""One Kubernetes API call: bounded retries of transient failures, errors mapped.

Transient failures (HTTP 429/500/502/503/504, timeouts, refused or reset connections) are
retried a bounded number of times with exponential backoff (tenacity), each retry logged, then
raised as ClusterUnreachable so the caller stops safely. Refusals (4xx) are not retried: they
become NotFound, Conflict, Forbidden (saying what to grant) or ClusterError with the server's
message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from urllib3.exceptions import HTTPError as Urllib3Error

from agent.errors import ClusterError, ClusterUnreachable, Conflict, Forbidden, NotFound

log = logging.getLogger("agent.adapters.kube")
TRANSIENT = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How long one API call may take and how often a transient failure is retried."""

    timeout_s: float = 15.0  # per request
    attempts: int = 4  # in all, the first included
    backoff_s: float = 0.5  # first wait; doubles after each failure
    backoff_max_s: float = 4.0


def call(fn: Callable[[], Any], what: str, *, server: str, policy: RetryPolicy, sleep: Callable[[float], None]) -> Any:
    """``fn()``, retried on transient failures (bounded, with backoff), errors mapped."""
    retrying = Retrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.backoff_s, max=policy.backoff_max_s),
        retry=retry_if_exception(_transient),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda rs: log.warning(
            "%s: try %d of %d failed (%s); retrying in %.1f s", what, rs.attempt_number, policy.attempts,
            _cause(rs.outcome.exception() if rs.outcome else None),
            rs.next_action.sleep if rs.next_action else 0.0,
        ),
    )
    try:
        return retrying(fn)
    except ApiException as e:
        raise _mapped(e, what, server, tries=retrying.statistics.get("attempt_number", 1)) from e
    except (Urllib3Error, OSError) as e:
        tries = retrying.statistics.get("attempt_number", 1)
        raise ClusterUnreachable(f"{what}: cannot reach {server} ({_cause(e)}) after {tries} tries") from e


def _transient(e: BaseException) -> bool:
    """Worth retrying: the server was overloaded or unreachable, not refusing the request."""
    if isinstance(e, ApiException):
        return e.status in TRANSIENT
    return isinstance(e, (Urllib3Error, OSError))


def _cause(e: BaseException | None) -> str:
    if isinstance(e, ApiException):
        return f"HTTP {e.status}"
    reason = getattr(e, "reason", None)  # urllib3's MaxRetryError wraps the real cause
    return (reason or e).__class__.__name__ if e is not None else "unknown"


def _mapped(e: ApiException, what: str, server: str, *, tries: int = 1) -> ClusterError:
    reason = _message(e)
    if e.status in TRANSIENT:
        return ClusterUnreachable(f"{what}: HTTP {e.status} from {server} ({reason}) after {tries} tries")
    if e.status == 404:
        return NotFound(f"{what}: not found ({reason})")
    if e.status == 409:
        return Conflict(f"{what}: conflict ({reason})")
    if e.status in (401, 403):
        return Forbidden(f"{what}: forbidden by RBAC on {server} ({reason}); grant the agent's account this verb")
    return ClusterError(f"{what}: HTTP {e.status} ({reason})")


def _message(e: ApiException) -> str:
    try:
        return str(json.loads(e.body or "{}").get("message") or e.reason)
    except ValueError:
        return str(e.reason)
