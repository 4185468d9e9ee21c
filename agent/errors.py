"""The one error tree of Chaos Advisor.

Every failure the product expects is one of these; third-party errors are mapped at the
adapter that met them (``raise ... from e``) so none leaks past it::

    ChaosAdvisorError                  base: a message a person (or a model) can act on
    ├── ConfigError                    stack.yaml / environment is wrong (file, field, value, fix)
    ├── SpecRejected                   a candidate broke a policy rule (carries the rule)
    ├── SpecInvalid                    a spec file or designer output is not a valid spec
    ├── ApprovalError                  no such paused run, stale decision, approver not allowed
    ├── ClusterError                   the Kubernetes API said no
    │   ├── ClusterUnreachable         connection refused / timed out
    │   ├── NotFound
    │   ├── Conflict
    │   ├── Forbidden
    │   └── DryRunFailed               the server-side dry-run rejected the manifest
    ├── MetricsUnavailable             no signal could be read
    ├── StateUnavailable               the shared state store (PostgreSQL) cannot be reached
    ├── NotifierError                  Slack or another channel failed
    └── LLMOutputInvalid               the model answered something that is not a spec
"""

from __future__ import annotations


class ChaosAdvisorError(Exception):
    """Base of every expected failure; ``str(err)`` is the one line the CLI prints."""


class ConfigError(ChaosAdvisorError):
    """The configuration (stack.yaml plus environment) is invalid."""


class SpecInvalid(ChaosAdvisorError):
    """A spec file or a designer's output does not parse into an ExperimentSpec."""


class SpecRejected(ChaosAdvisorError):
    """A candidate broke a policy rule; ``rule`` names it (e.g. ``policy.namespaces``)."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.reason = message


class ApprovalError(ChaosAdvisorError):
    """An approval cannot be applied: unknown run, not waiting, bad choice, approver not allowed."""


class ClusterError(ChaosAdvisorError):
    """The Kubernetes API refused or failed a request."""


class ClusterUnreachable(ClusterError):
    """The API server could not be reached, or kept failing (HTTP 429/5xx, timeouts) through
    every bounded retry."""


class NotFound(ClusterError):
    """The object (or its namespace) does not exist."""


class Conflict(ClusterError):
    """The object already exists or was changed concurrently."""


class Forbidden(ClusterError):
    """RBAC denied the request."""


class DryRunFailed(ClusterError):
    """The server-side dry-run rejected the manifest; nothing was applied."""


class MetricsUnavailable(ChaosAdvisorError):
    """Signals could not be read; monitoring must not run blind."""


class StateUnavailable(ChaosAdvisorError):
    """The shared state store (PostgreSQL: checkpoints and run data) cannot be reached or failed."""


class NotifierError(ChaosAdvisorError):
    """A notification channel failed."""


class LLMOutputInvalid(ChaosAdvisorError):
    """The model's answer does not validate as experiment specs."""
