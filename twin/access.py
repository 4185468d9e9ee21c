"""SelfSubjectAccessReview (``POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews``):
"may I do this?", as ``kubectl auth can-i`` and ``python -m agent doctor`` ask it.

The twin enforces no RBAC, so it answers ``allowed: true``, except when started without the
agent's grants (``without={"rbac"}``): then every review answers ``allowed: false`` with the
reason a real API server gives for a verb no role grants. The body is checked as the API server
checks it (``spec.resourceAttributes`` or ``spec.nonResourceAttributes``, not both), so a
malformed review is a 422, not a silent yes.
"""

from __future__ import annotations

from typing import Any

from twin import errors
from twin.errors import Cause

GROUP, VERSION = "authorization.k8s.io", "v1"
PATH = ["apis", GROUP, VERSION, "selfsubjectaccessreviews"]
KIND = "SelfSubjectAccessReview"


def review(body: Any, *, allowed: bool) -> dict[str, Any]:
    """The answered review: the request's spec with ``status`` filled in."""
    if not isinstance(body, dict) or body.get("kind", KIND) != KIND:
        raise errors.bad_request(f"the body must be a {KIND} object")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise errors.invalid(KIND, GROUP, "", [Cause("spec", "Required value", "FieldValueRequired")])
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if (resource is None) == (non_resource is None):
        raise errors.invalid(KIND, GROUP, "", [Cause(
            "spec.resourceAttributes",
            "Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified")])
    for name, value in (resource or non_resource or {}).items():
        if not isinstance(value, str):
            raise errors.invalid(KIND, GROUP, "", [Cause(f"spec.{name}", "Invalid value: must be a string")])
    status: dict[str, Any] = {"allowed": allowed}
    if not allowed:
        status["reason"] = "no RBAC policy matched (the twin was started without the agent's grants)"
    return {"kind": KIND, "apiVersion": f"{GROUP}/{VERSION}", "metadata": {"creationTimestamp": None},
            "spec": spec, "status": status}
