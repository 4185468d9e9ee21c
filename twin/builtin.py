"""Validation and server-side defaults of the built-in kinds the twin accepts creates for.

Namespace, ServiceAccount, Secret, ConfigMap, Service, Deployment and the four RBAC kinds can be
created (and dry-run with `dryRun=All`), so `kubectl apply --dry-run=server -f deploy/` checks an
install of the agent itself. The checks are the API server's where they catch real mistakes,
worded as it words them, each naming its field in a 422 `Invalid` cause:

- metadata.name: a DNS-1123 subdomain (a DNS-1123 label for Namespaces, a DNS-1035 label for
  Services, a path segment for the RBAC kinds, whose names may hold colons);
- top-level fields the kind does not have (`rule:` for `rules:`) are rejected, as custom objects'
  unknown fields are; deeper unknown fields are stored as given;
- RBAC rules need verbs (and apiGroups and resources, or nonResourceURLs outside a Role);
  bindings need a roleRef with apiGroup, kind and name, and well-formed subjects;
- Secrets and ConfigMaps need valid keys and base64 binary values;
- Services and Deployments: see `builtin_workloads`.

Created objects are stored only: no controller acts on them. A Deployment created through the API
gets no ReplicaSet and no pods (it is served with 0 ready replicas and counts as a workload with
no endpoints in the twin's model); a ServiceAccount gets no token; RBAC is not enforced. Defaults
the API server would fill in that clients read back are set on create (a Service's clusterIP,
a Deployment's replicas and strategy, a Secret's `stringData` moved into `data`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from typing import Any

from twin.builtin_workloads import (
    FieldCauses,
    prepare_deployment,
    prepare_service,
    validate_deployment,
    validate_pod,
    validate_service,
)
from twin.errors import Cause
from twin.schema import validate_metadata, validate_name
from twin.state import KObj

RBAC_GROUP = "rbac.authorization.k8s.io"
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_HELP = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
_FIELDS: dict[str, frozenset[str]] = {
    "ServiceAccount": frozenset({"secrets", "imagePullSecrets", "automountServiceAccountToken"}),
    "Secret": frozenset({"data", "stringData", "type", "immutable"}),
    "ConfigMap": frozenset({"data", "binaryData", "immutable"}),
    "Service": frozenset({"spec", "status"}),
    "Deployment": frozenset({"spec", "status"}),
    "Pod": frozenset({"spec", "status"}),
    "Role": frozenset({"rules"}),
    "ClusterRole": frozenset({"rules", "aggregationRule"}),
    "RoleBinding": frozenset({"subjects", "roleRef"}),
    "ClusterRoleBinding": frozenset({"subjects", "roleRef"}),
}
_RBAC_KINDS = ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")


def validate(kind: str, obj: KObj) -> list[Cause]:
    """Every reason the API server would refuse to create `obj` (empty when it is valid)."""
    meta = obj["metadata"]
    causes = FieldCauses(_name(kind, meta.get("name")) + validate_metadata(meta))
    allowed = _FIELDS.get(kind)
    if allowed is not None:
        for key in sorted(set(obj) - allowed - {"apiVersion", "kind", "metadata"}):
            causes.append(Cause(key, f'Forbidden: unknown field "{key}": field not declared in '
                                     "schema", "FieldValueForbidden"))
    check = _CHECKS.get(kind)
    if check is not None:
        check(obj, causes)
    return list(causes)


def prepare(kind: str, obj: KObj, *, cluster_ip: Callable[[], str]) -> None:
    """Fill in what the API server sets on create; `cluster_ip()` draws a Service address."""
    if kind == "Service":
        prepare_service(obj, cluster_ip)
    elif kind == "Deployment":
        prepare_deployment(obj)
    elif kind == "Secret":
        data = obj.setdefault("data", {}) or {}
        for key, value in (obj.pop("stringData", None) or {}).items():
            data[key] = base64.b64encode(value.encode()).decode()
        obj["data"] = data
        obj.setdefault("type", "Opaque")


def _name(kind: str, name: Any) -> list[Cause]:
    if kind in _RBAC_KINDS:
        return _path_segment(name)
    if kind == "Service":
        causes = validate_name(name, namespace_name=True)
        if not causes and not _DNS1035_LABEL.match(name):
            return [Cause("metadata.name", f'Invalid value: "{name}": {_DNS1035_HELP}')]
        return causes
    return validate_name(name, namespace_name=kind == "Namespace")


def _path_segment(name: Any, path: str = "metadata.name") -> list[Cause]:
    """RBAC names are path segments: anything but '.', '..' and names holding '/' or '%'."""
    if not name:
        if path == "metadata.name":
            return [Cause(path, "Required value: name or generateName is required",
                          "FieldValueRequired")]
        return [Cause(path, "Required value", "FieldValueRequired")]
    if not isinstance(name, str):
        return [Cause(path, f'Invalid value: "{name}": must be a string')]
    if name in (".", ".."):
        return [Cause(path, f'Invalid value: "{name}": may not be \'{name}\'')]
    for bad in ("/", "%"):
        if bad in name:
            return [Cause(path, f'Invalid value: "{name}": may not contain \'{bad}\'')]
    return []


def _data_keys(obj: KObj, field: str, causes: FieldCauses, *, base64_values: bool) -> set[str]:
    values = causes.mapping(obj, field, field)
    for key, value in values.items():
        path = f"{field}[{key}]"
        if len(key) > 253 or not _CONFIG_KEY.match(key):
            causes.invalid(path, key, "a valid config key must consist of alphanumeric "
                                      "characters, '-', '_' or '.'")
        if not isinstance(value, str):
            causes.invalid(path, value, "must be a string")
        elif base64_values:
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                causes.invalid(path, "<value omitted>", "must be base64-encoded")
    return set(values)


def _secret(obj: KObj, causes: FieldCauses) -> None:
    _data_keys(obj, "data", causes, base64_values=True)
    _data_keys(obj, "stringData", causes, base64_values=False)
    if not isinstance(obj.get("type", "Opaque"), str):
        causes.invalid("type", obj["type"], "must be a string")


def _config_map(obj: KObj, causes: FieldCauses) -> None:
    text = _data_keys(obj, "data", causes, base64_values=False)
    binary = _data_keys(obj, "binaryData", causes, base64_values=True)
    for key in sorted(text & binary):
        causes.invalid(f"data[{key}]", key, "duplicate of key present in binaryData")


def _service_account(obj: KObj, causes: FieldCauses) -> None:
    automount = obj.get("automountServiceAccountToken")
    if automount is not None and not isinstance(automount, bool):
        causes.invalid("automountServiceAccountToken", automount, "must be a boolean")
    for field in ("secrets", "imagePullSecrets"):
        causes.items(obj, field, field)


def _rules(obj: KObj, causes: FieldCauses, *, namespaced: bool) -> None:
    for path, rule in causes.items(obj, "rules", "rules"):
        verbs = causes.strings(rule, "verbs", f"{path}.verbs")
        urls = causes.strings(rule, "nonResourceURLs", f"{path}.nonResourceURLs")
        groups = causes.strings(rule, "apiGroups", f"{path}.apiGroups")
        kinds = causes.strings(rule, "resources", f"{path}.resources")
        names = causes.strings(rule, "resourceNames", f"{path}.resourceNames")
        if not verbs:
            causes.required(f"{path}.verbs", "verbs must contain at least one value")
        if urls:
            if namespaced:
                causes.invalid(f"{path}.nonResourceURLs", urls,
                               "namespaced rules cannot apply to non-resource URLs")
            if groups or kinds or names:
                causes.invalid(f"{path}.nonResourceURLs", urls, "rules cannot apply to both "
                                                               "regular resources and non-resource URLs")
            continue
        if not groups:
            causes.required(f"{path}.apiGroups", "resource rules must supply at least one api group")
        if not kinds:
            causes.required(f"{path}.resources", "resource rules must supply at least one resource")


def _role(obj: KObj, causes: FieldCauses) -> None:
    _rules(obj, causes, namespaced=True)


def _cluster_role(obj: KObj, causes: FieldCauses) -> None:
    _rules(obj, causes, namespaced=False)
    causes.mapping(obj, "aggregationRule", "aggregationRule")


def _binding(obj: KObj, causes: FieldCauses, *, namespaced: bool) -> None:
    ref = causes.mapping(obj, "roleRef", "roleRef")
    if "roleRef" not in obj:
        causes.required("roleRef")
    if ref.get("apiGroup") != RBAC_GROUP:
        causes.unsupported("roleRef.apiGroup", ref.get("apiGroup", ""), [RBAC_GROUP])
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        causes.unsupported("roleRef.kind", ref.get("kind", ""), kinds)
    causes.extend(_path_segment(ref.get("name"), "roleRef.name"))
    for path, subject in causes.items(obj, "subjects", "subjects"):
        _subject(subject, path, causes, namespaced=namespaced)


def _subject(subject: Mapping[str, object], path: str, causes: FieldCauses, *,
             namespaced: bool) -> None:
    kind, group = subject.get("kind"), subject.get("apiGroup", "")
    if not subject.get("name"):
        causes.required(f"{path}.name")
    if kind == "ServiceAccount":
        if group != "":
            causes.unsupported(f"{path}.apiGroup", group, [""])
        if subject.get("name"):
            causes.extend(Cause(f"{path}.name", c.message, c.reason)
                          for c in validate_name(subject["name"]))
        if not namespaced and not subject.get("namespace"):
            causes.required(f"{path}.namespace")
    elif kind in ("User", "Group"):
        if group != RBAC_GROUP:
            causes.unsupported(f"{path}.apiGroup", group, [RBAC_GROUP])
    else:
        causes.unsupported(f"{path}.kind", kind or "", ["ServiceAccount", "User", "Group"])


def _role_binding(obj: KObj, causes: FieldCauses) -> None:
    _binding(obj, causes, namespaced=True)


def _cluster_role_binding(obj: KObj, causes: FieldCauses) -> None:
    _binding(obj, causes, namespaced=False)


_CHECKS: dict[str, Callable[[KObj, FieldCauses], None]] = {
    "ServiceAccount": _service_account,
    "Secret": _secret,
    "ConfigMap": _config_map,
    "Service": validate_service,
    "Deployment": validate_deployment,
    "Pod": validate_pod,
    "Role": _role,
    "ClusterRole": _cluster_role,
    "RoleBinding": _role_binding,
    "ClusterRoleBinding": _cluster_role_binding,
}
