"""What kube-apiserver refuses before it touches an object, on the calls the agent (and kubectl)
makes: media types, options and preconditions. Each check names the upstream source it follows
(kubernetes/kubernetes, ``staging/src/k8s.io/...``; read at v1.30–1.33, unchanged there):

===============================================  ====  ==========================================
request                                          code  upstream
===============================================  ====  ==========================================
POST / PUT / DELETE body in a media type other   415   ``apiserver/pkg/endpoints/handlers/
than JSON or YAML (e.g. ``text/plain``)                negotiation/negotiate.go``
                                                       (NegotiateInputSerializerForMediaType →
                                                       NewUnsupportedMediaTypeError), called from
                                                       ``handlers/create.go``, ``update.go``,
                                                       ``delete.go``
PATCH with ``strategic-merge-patch+json`` on a   415   ``apiextensions-apiserver/pkg/apiserver/
custom resource (ChaosEngine, ChaosResult)             customresource_handler.go`` (its patch
                                                       types omit strategic merge) and
                                                       ``handlers/patch.go`` (415 for a type not
                                                       in the list); see ``twin.patch``
PATCH in any other unknown media type            415   ``handlers/patch.go``
Accept naming no type the server can write       406   ``negotiation/negotiate.go``
(e.g. ``application/xml``)                             (NegotiateOutputMediaType →
                                                       NewNotAcceptableError)
a body that is not JSON (create, update, merge   400   ``handlers/create.go`` (decode error →
patch or JSON patch, delete options)                   BadRequest), ``handlers/patch.go``
                                                       (``jsonpatch`` errors → BadRequest)
``dryRun`` other than ``All`` (query, or         422   ``apimachinery/pkg/apis/meta/v1/
DeleteOptions.dryRun)                                  validation/validation.go``
                                                       (ValidateDryRun: "supported values: All"),
                                                       raised as Invalid CreateOptions /
                                                       UpdateOptions / PatchOptions /
                                                       DeleteOptions by ``handlers/create.go``,
                                                       ``update.go``, ``patch.go``, ``delete.go``
``propagationPolicy`` other than Orphan,         422   same ``validation.go``
Background, Foreground                                 (ValidateDeleteOptions)
DELETE whose ``preconditions`` uid or            409   ``apiserver/pkg/storage/interfaces.go``
resourceVersion differ from the object's               (Preconditions.Check → InvalidObjError),
                                                       mapped to Conflict by
                                                       ``apiserver/pkg/storage/errors/storage.go``
                                                       (InterpretDeleteError)
a verb the resource does not serve (POST to a    405   ``apiserver/pkg/endpoints/installer.go``
named object, PATCH/PUT on a collection, a             (routes only the verbs its storage
write on a read-only kind)                             implements; go-restful answers 405)
===============================================  ====  ==========================================

Leniencies, on purpose: a request without a Content-Type is read as JSON (kube-apiserver would
answer 415; every client sends one), and a YAML body is read as YAML but answers are always JSON.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from twin import errors
from twin.errors import ApiError, Cause

META_GROUP = "meta.k8s.io"
INPUT_TYPES = ("application/json", "application/yaml")  # the twin serves no protobuf (nor CBOR)
OUTPUT_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")
PROPAGATION = ("Orphan", "Background", "Foreground")
OPTIONS_KIND = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions",
                "delete": "DeleteOptions"}


def media(content_type: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return content_type.split(";")[0].strip().lower()


def check_accept(accept: str) -> None:
    """406 when no entry of Accept is a type the API server writes (or a wildcard)."""
    wanted = [media(part) for part in accept.split(",") if part.strip()]
    if not wanted or any(w in ("*/*", "application/*", *OUTPUT_TYPES) for w in wanted):
        return
    raise ApiError(406, "NotAcceptable", "only the following media types are accepted: "
                   + ", ".join(OUTPUT_TYPES))


def body(verb: str, content_type: str, raw: bytes) -> Any:
    """The decoded request body (None when empty): 415 for a media type a create, update or
    delete does not take (a patch's type is checked by ``twin.patch``), 400 when it does not
    decode."""
    if not raw:
        return None
    kind = media(content_type)
    if verb != "patch" and kind not in INPUT_TYPES:
        raise ApiError(415, "UnsupportedMediaType",
                       "the body of the request was in an unknown format - accepted media types "
                       "include: " + ", ".join(INPUT_TYPES))
    try:
        if kind == "application/yaml":
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise errors.bad_request(f"the request body is not valid JSON: {error}") from error


def dry_run(verb: str, query: dict[str, str], decoded: Any) -> bool:
    """Whether ``dryRun=All`` was asked (query, or a DELETE's DeleteOptions); 422 for any other
    value, as kube-apiserver's ValidateDryRun."""
    values = [v for v in query.get("dryRun", "").split(",") if v]
    if verb == "delete" and isinstance(decoded, dict):
        listed = decoded.get("dryRun") or []
        values += [str(v) for v in listed] if isinstance(listed, list) else [str(listed)]
    bad = [v for v in values if v != "All"]
    if bad:
        raise _invalid_options(verb, Cause("dryRun", f'Unsupported value: "{bad[0]}": supported values: "All"',
                                           "FieldValueNotSupported"))
    return bool(values)


def delete_preconditions(decoded: Any, query: dict[str, str]) -> dict[str, str]:
    """A DELETE's preconditions (uid, resourceVersion) after ValidateDeleteOptions's checks on
    its options (the body's DeleteOptions, or the same fields in the query)."""
    options = decoded if isinstance(decoded, dict) else {}
    policy = options.get("propagationPolicy", query.get("propagationPolicy"))
    if policy is not None and policy not in PROPAGATION:
        raise _invalid_options("delete", Cause(
            "propagationPolicy", f'Unsupported value: "{policy}": supported values: '
            + ", ".join(f'"{p}"' for p in PROPAGATION), "FieldValueNotSupported"))
    pre = options.get("preconditions") or {}
    if not isinstance(pre, dict):
        raise errors.bad_request("DeleteOptions.preconditions must be an object")
    return {k: str(v) for k, v in pre.items() if k in ("uid", "resourceVersion") and v is not None}


def check_preconditions(plural: str, group: str, obj: dict[str, Any], pre: dict[str, str]) -> None:
    """409 Conflict when the stored object is not the one the preconditions name."""
    meta = obj.get("metadata") or {}
    for key, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        if key in pre and pre[key] != str(meta.get(key, "")):
            name = str(meta.get("name", ""))
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {errors.qualified(plural, group)} '
                           f'"{name}": Precondition failed: {label} in precondition: {pre[key]}, {label} in '
                           f"object meta: {meta.get(key, '')}", name=name, group=group, kind=plural)


def _invalid_options(verb: str, cause: Cause) -> ApiError:
    return errors.invalid(OPTIONS_KIND.get(verb, "CreateOptions"), META_GROUP, "", [cause])
