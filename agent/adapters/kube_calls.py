"""One Kubernetes API call: bounded retries of transient failures, errors mapped.

Transient failures (HTTP 429/500/502/503/504, timeouts, refused or reset connections) are
retried a bounded number of times with exponential backoff (tenacity; a 429's Retry-After is
honoured), each retry logged, then raised as ClusterUnreachable so the caller stops safely. With
a deadline, no call (its tries, timeouts and waits together) outlasts it: the monitor's grace
period is a promise about time, not about a number of tries. Refusals (4xx) are not retried: they
become NotFound, Conflict, Forbidden (saying what to grant) or ClusterError with the server's
message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)
from tenacity.stop import stop_base
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
    deadline_s: float | None = None  # one call in all, tries and waits included (None: tries only)

    def request_timeout(self) -> float:
        """Per request: never longer than the whole call may take."""
        return self.timeout_s if self.deadline_s is None else min(self.timeout_s, self.deadline_s)


def call(fn: Callable[[], Any], what: str, *, server: str, policy: RetryPolicy, sleep: Callable[[float], None]) -> Any:
    """``fn()``, retried on transient failures (bounded, with backoff), errors mapped."""
    stop: stop_base = stop_after_attempt(policy.attempts)
    if policy.deadline_s is not None:
        stop = stop | stop_after_delay(policy.deadline_s)
    retrying = Retrying(
        stop=stop,
        wait=_Wait(policy),
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


class _Wait:
    """Exponential backoff, or the server's Retry-After on a 429, never past the deadline."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self._backoff = wait_exponential(multiplier=policy.backoff_s, max=policy.backoff_max_s)

    def __call__(self, rs: RetryCallState) -> float:
        wait = self._backoff(rs)
        e = rs.outcome.exception() if rs.outcome else None
        if isinstance(e, ApiException) and e.status == 429:
            wait = max(wait, _retry_after(e))
        if self._policy.deadline_s is not None:
            left = self._policy.deadline_s - (rs.seconds_since_start or 0.0)
            wait = max(0.0, min(wait, left))
        return wait


def _retry_after(e: ApiException) -> float:
    """Seconds from a Retry-After header (delta-seconds form); 0 when absent or a date."""
    try:
        return max(0.0, float((e.headers or {}).get("Retry-After", 0)))
    except (TypeError, ValueError):
        return 0.0


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


def api_client(*, host: str | None, kubeconfig: str | None, context: str | None) -> client.ApiClient:
    """The agent's identity: ``host`` (the twin), else the kubeconfig's context, else the
    in-cluster config. urllib3 retries nothing itself: every retry is :func:`call`'s, bounded and logged."""
    cfg = client.Configuration()
    if host:
        cfg.host = host
    else:
        try:
            config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
        except (config.ConfigException, OSError, TypeError) as e:
            try:
                config.load_incluster_config(client_configuration=cfg)
            except config.ConfigException:
                raise ClusterUnreachable(
                    f"no cluster: kubeconfig {kubeconfig!r} failed ({e}) and not in a pod; "
                    "set k8s.kubeconfig / k8s.context, or use --twin"
                ) from None
    cfg.retries = 0
    return client.ApiClient(cfg)
