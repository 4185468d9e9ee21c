"""Kubernetes-shaped API errors raised inside the twin.

Every failure the twin answers with is an `ApiError`, turned into a `Status` object at the HTTP
edge, so clients see exactly what a real API server would send (code, reason, message,
details). Nothing else escapes a request handler except bugs, which answer 500.

    ApiError (code, reason)
    ├── BadRequest      400  malformed body, kind or namespace mismatch, bad query value
    ├── NotFound        404  object, namespace or path not found
    ├── MethodNotAllowed 405 verb not supported on that path
    ├── AlreadyExists   409  create of an existing name
    ├── Conflict        409  stale resourceVersion on update
    └── Invalid         422  validation failures, one cause per field
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NotRequired, TypedDict


class StatusCause(TypedDict):
    """details.causes[] of a Status: one failing field."""

    reason: str
    message: str
    field: str


class StatusDetails(TypedDict, total=False):
    """details of a Status: the object the error is about, and per-field causes."""

    name: str
    group: str
    kind: str
    causes: list[StatusCause]


class StatusBody(TypedDict):
    """The `Status` object an API server answers a failed request with."""

    kind: Literal["Status"]
    apiVersion: Literal["v1"]
    metadata: dict[str, str]  # ListMeta, always empty here
    status: Literal["Failure"]
    message: str
    reason: str
    code: int
    details: NotRequired[StatusDetails]


@dataclass(frozen=True)
class Cause:
    """One field-level reason an object is invalid."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"


@dataclass
class ApiError(Exception):
    """An error the API answers with a Status object."""

    code: int
    reason: str
    message: str
    name: str = ""
    group: str = ""
    kind: str = ""
    causes: list[Cause] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message

    def status(self) -> StatusBody:
        """The Status object a real API server would return for this error."""
        details: StatusDetails = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [
                {"reason": c.reason, "message": c.message, "field": c.field} for c in self.causes
            ]
        body: StatusBody = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            body["details"] = details
        return body


def qualified(plural: str, group: str) -> str:
    """`chaosengines.litmuschaos.io` or `pods`: how real servers name a resource in messages."""
    return f"{plural}.{group}" if group else plural


def bad_request(message: str) -> ApiError:
    """400: the request itself is malformed."""
    return ApiError(400, "BadRequest", message)


def not_found(plural: str, group: str, name: str) -> ApiError:
    """404 for a named object, worded like the API server (`pods "x" not found`)."""
    return ApiError(
        404, "NotFound", f'{qualified(plural, group)} "{name}" not found',
        name=name, group=group, kind=plural,
    )


def path_not_found() -> ApiError:
    """404 for a path the twin does not serve."""
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed(method: str, what: str) -> ApiError:
    """405 for a verb the resource does not support."""
    return ApiError(405, "MethodNotAllowed", f"{method} is not supported on {what}")


def already_exists(plural: str, group: str, name: str) -> ApiError:
    """409 AlreadyExists on create of an existing name."""
    return ApiError(
        409, "AlreadyExists", f'{qualified(plural, group)} "{name}" already exists',
        name=name, group=group, kind=plural,
    )


def conflict(plural: str, group: str, name: str) -> ApiError:
    """409 Conflict on an update carrying a stale resourceVersion."""
    return ApiError(
        409, "Conflict",
        f'Operation cannot be fulfilled on {qualified(plural, group)} "{name}": the object has '
        "been modified; please apply your changes to the latest version and try again",
        name=name, group=group, kind=plural,
    )


def invalid(kind: str, group: str, name: str, causes: list[Cause]) -> ApiError:
    """422 Invalid, listing every failing field the way the API server words it."""
    qualified_kind = f"{kind}.{group}" if group else kind
    reasons = "; ".join(f"{c.field}: {c.message}" for c in causes)
    if len(causes) > 1:
        reasons = f"[{reasons}]"
    return ApiError(
        422, "Invalid", f'{qualified_kind} "{name}" is invalid: {reasons}',
        name=name, group=group, kind=kind, causes=causes,
    )
