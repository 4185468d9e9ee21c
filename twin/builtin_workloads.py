"""Validation and create-time defaults of Services and Deployments written through the twin's API.

Checked as the API server checks them: a Service's type, ports (number, protocol, target port,
unique names when there are several) and selector; a Deployment's replicas, its selector (required,
non-empty, and matching `spec.template.metadata.labels`), its strategy, and the pod template:
containers (name, image, ports, env, volume mounts naming a declared volume), volumes and
restartPolicy (only `Always`). `FieldCauses` collects the failures with the server's wording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from twin.errors import Cause
from twin.schema import validate_metadata, validate_name
from twin.selectors import Operator, Requirement
from twin.state import KObj

_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
_PROTOCOLS = ["TCP", "UDP", "SCTP"]
_OPERATORS: dict[str, Operator] = {"In": "in", "NotIn": "notin", "Exists": "exists",
                                   "DoesNotExist": "!exists"}
_IANA_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 200 else f"{text[:200]}..."


class FieldCauses(list[Cause]):
    """The causes of a 422 being collected, with readers that report badly typed fields."""

    def required(self, path: str, detail: str = "") -> None:
        """`path: Required value[: detail]`."""
        self.append(Cause(path, f"Required value: {detail}" if detail else "Required value",
                          "FieldValueRequired"))

    def invalid(self, path: str, value: Any, why: str) -> None:
        """`path: Invalid value: <value>: why`."""
        self.append(Cause(path, f"Invalid value: {_shown(value)}: {why}"))

    def unsupported(self, path: str, value: Any, allowed: list[str]) -> None:
        """`path: Unsupported value: <value>: supported values: ...`."""
        self.append(Cause(path, f"Unsupported value: {_shown(value)}: supported values: "
                                f"{', '.join(_shown(a) for a in allowed)}", "FieldValueNotSupported"))

    def unique(self, path: str, value: Any, seen: set[Any]) -> None:
        """`path: Duplicate value: <value>` when `value` was seen before; remembers it."""
        if not isinstance(value, (str, int)):  # reported as badly typed elsewhere
            return
        if value in seen:
            self.append(Cause(path, f"Duplicate value: {_shown(value)}", "FieldValueDuplicate"))
        seen.add(value)

    def mapping(self, parent: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        """`parent[key]` as an object ({} when absent or of the wrong type, which is reported);
        its members are unchecked request JSON, hence `object`."""
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.invalid(path, value, "must be an object")
            return {}
        return value

    def items(self, parent: Mapping[str, object], key: str,
              path: str) -> list[tuple[str, Mapping[str, object]]]:
        """The objects of the list `parent[key]`, each with its path (`path[i]`)."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.invalid(path, value, "must be a list")
            return []
        found: list[tuple[str, Mapping[str, object]]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                found.append((f"{path}[{index}]", item))
            else:
                self.invalid(f"{path}[{index}]", item, "must be an object")
        return found

    def strings(self, parent: Mapping[str, object], key: str, path: str) -> list[str]:
        """The list of strings `parent[key]` ([] when absent)."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.invalid(path, value, "must be a list of strings")
            return []
        return value

    def port(self, value: Any, path: str) -> None:
        """A port number: an integer from 1 to 65535 (a missing one counts as 0)."""
        number = 0 if value is None else value
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 65535:
            self.invalid(path, number, "must be between 1 and 65535, inclusive")

    def port_name(self, value: Any, path: str) -> None:
        """An IANA service name (a named port): at most 15 characters, at least one letter."""
        if not isinstance(value, str) or len(value) > 15 or not _IANA_NAME.match(value) or (
                "--" in value or not re.search("[a-z]", value)):
            self.invalid(path, value, "must be no more than 15 characters, contain only "
                                      "lowercase alphanumerics and '-', and at least one letter")

    def labels(self, labels: Any, path: str) -> None:
        """A label map, checked like metadata.labels and reported under `path`."""
        for cause in validate_metadata({"labels": labels}):
            self.append(Cause(path + cause.field.removeprefix("metadata.labels"), cause.message,
                              cause.reason))


def validate_service(obj: KObj, causes: FieldCauses) -> None:
    """A Service's spec: type, ports, selector."""
    spec = causes.mapping(obj, "spec", "spec")
    kind = spec.get("type", "ClusterIP")
    if kind not in _SERVICE_TYPES:
        causes.unsupported("spec.type", kind, _SERVICE_TYPES)
    if kind == "ExternalName" and not spec.get("externalName"):
        causes.required("spec.externalName")
    ports = causes.items(spec, "ports", "spec.ports")
    if not ports and kind != "ExternalName" and spec.get("clusterIP") != "None":
        causes.required("spec.ports")
    names: set[Any] = set()
    for path, port in ports:
        if port.get("name"):
            causes.unique(f"{path}.name", port["name"], names)
            causes.extend(Cause(f"{path}.name", c.message, c.reason)
                          for c in validate_name(port["name"], namespace_name=True))
        elif len(ports) > 1:
            causes.required(f"{path}.name")
        causes.port(port.get("port"), f"{path}.port")
        if port.get("protocol", "TCP") not in _PROTOCOLS:
            causes.unsupported(f"{path}.protocol", port["protocol"], _PROTOCOLS)
        target = port.get("targetPort")
        if isinstance(target, str):
            causes.port_name(target, f"{path}.targetPort")
        elif target is not None:
            causes.port(target, f"{path}.targetPort")
        if "nodePort" in port and kind not in ("NodePort", "LoadBalancer"):
            causes.invalid(f"{path}.nodePort", port["nodePort"],
                           f"may not be used when `type` is '{kind}'")
    causes.labels(causes.mapping(spec, "selector", "spec.selector"), "spec.selector")


def prepare_service(obj: KObj, cluster_ip: Callable[[], str]) -> None:
    """The defaults a client reads back: type, clusterIP(s), protocol, targetPort, status."""
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    if spec["type"] != "ExternalName" and not spec.get("clusterIP"):
        spec["clusterIP"] = cluster_ip()
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("sessionAffinity", "None")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port["port"])
    obj["status"] = {"loadBalancer": {}}


def _selects(selector: Mapping[str, object], labels: Mapping[str, object],
             causes: FieldCauses) -> bool:
    """Whether a LabelSelector selects `labels` (malformed expressions are reported)."""
    strings = {k: v for k, v in labels.items() if isinstance(v, str)}  # others are reported already
    match_labels = causes.mapping(selector, "matchLabels", "spec.selector.matchLabels")
    causes.labels(match_labels, "spec.selector.matchLabels")
    ok = all(strings.get(k) == v for k, v in match_labels.items())
    for path, expr in causes.items(selector, "matchExpressions", "spec.selector.matchExpressions"):
        name = expr.get("operator")
        operator = _OPERATORS.get(name) if isinstance(name, str) else None
        values = causes.strings(expr, "values", f"{path}.values")
        if not expr.get("key"):
            causes.required(f"{path}.key")
        if operator is None:
            causes.unsupported(f"{path}.operator", expr.get("operator", ""), list(_OPERATORS))
            continue
        if operator in ("in", "notin") and not values:
            causes.required(f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'")
        ok = ok and Requirement(str(expr.get("key")), operator, frozenset(values)).matches(strings)
    return ok


def validate_deployment(obj: KObj, causes: FieldCauses) -> None:
    """A Deployment's spec: replicas, selector vs template labels, strategy, pod template."""
    spec = causes.mapping(obj, "spec", "spec")
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        causes.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
    template = causes.mapping(spec, "template", "spec.template")
    meta = causes.mapping(template, "metadata", "spec.template.metadata")
    labels = meta.get("labels") or {}
    causes.labels(labels, "spec.template.metadata.labels")
    selector = causes.mapping(spec, "selector", "spec.selector")
    if "selector" not in spec:
        causes.required("spec.selector")
    elif not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.invalid("spec.selector", selector, "empty selector is invalid for deployment")
    elif isinstance(labels, dict) and not _selects(selector, labels, causes):
        causes.invalid("spec.template.metadata.labels", labels,
                       "`selector` does not match template `labels`")
    strategy = causes.mapping(spec, "strategy", "spec.strategy")
    if strategy.get("type", "RollingUpdate") not in ("RollingUpdate", "Recreate"):
        causes.unsupported("spec.strategy.type", strategy["type"], ["Recreate", "RollingUpdate"])
    _pod_spec(causes.mapping(template, "spec", "spec.template.spec"), "spec.template.spec", causes)


def validate_pod(obj: KObj, causes: FieldCauses) -> None:
    """A bare Pod (how Litmus makes its runner and helper pods): its spec as a template's, with
    any restartPolicy a pod may have."""
    spec = dict(causes.mapping(obj, "spec", "spec"))
    policy = spec.pop("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.unsupported("spec.restartPolicy", policy, ["Always", "Never", "OnFailure"])
    _pod_spec(spec, "spec", causes)


def _pod_spec(spec: Mapping[str, object], path: str, causes: FieldCauses) -> None:
    volumes: set[Any] = set()
    for vpath, volume in causes.items(spec, "volumes", f"{path}.volumes"):
        _dns_label(volume.get("name"), f"{vpath}.name", causes, volumes)
    containers = causes.items(spec, "containers", f"{path}.containers")
    if not containers:
        causes.required(f"{path}.containers")
    names: set[Any] = set()
    for cpath, container in causes.items(spec, "initContainers", f"{path}.initContainers") + containers:
        _container(container, cpath, causes, volumes=volumes, names=names)
    if spec.get("restartPolicy", "Always") != "Always":
        causes.unsupported(f"{path}.restartPolicy", spec["restartPolicy"], ["Always"])
    if spec.get("serviceAccountName"):
        causes.extend(Cause(f"{path}.serviceAccountName", c.message, c.reason)
                      for c in validate_name(spec["serviceAccountName"]))


def _dns_label(name: Any, path: str, causes: FieldCauses, seen: set[Any]) -> None:
    if not name:
        causes.required(path)
        return
    causes.extend(Cause(path, c.message, c.reason) for c in validate_name(name, namespace_name=True))
    causes.unique(path, name, seen)


def _container(container: Mapping[str, object], path: str, causes: FieldCauses, *, volumes: set[Any],
               names: set[Any]) -> None:
    _dns_label(container.get("name"), f"{path}.name", causes, names)
    if not container.get("image"):
        causes.required(f"{path}.image")
    port_names: set[Any] = set()
    for ppath, port in causes.items(container, "ports", f"{path}.ports"):
        causes.port(port.get("containerPort"), f"{ppath}.containerPort")
        if port.get("name"):
            causes.port_name(port["name"], f"{ppath}.name")
            causes.unique(f"{ppath}.name", port["name"], port_names)
    for epath, env in causes.items(container, "env", f"{path}.env"):
        if not env.get("name"):
            causes.required(f"{epath}.name")
        source = causes.mapping(env, "valueFrom", f"{epath}.valueFrom")
        for ref in ("secretKeyRef", "configMapKeyRef"):
            if ref in source and not causes.mapping(source, ref, f"{epath}.valueFrom.{ref}").get("key"):
                causes.required(f"{epath}.valueFrom.{ref}.key")
    for mpath, mount in causes.items(container, "volumeMounts", f"{path}.volumeMounts"):
        if not isinstance(mount.get("name"), str) or mount["name"] not in volumes:
            causes.append(Cause(f"{mpath}.name", f"Not found: {_shown(mount.get('name'))}",
                                "FieldValueNotFound"))
        if not mount.get("mountPath"):
            causes.required(f"{mpath}.mountPath")


def prepare_deployment(obj: KObj) -> None:
    """The defaults a client reads back; status is rendered from pods (there are none)."""
    spec = obj["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    obj.pop("status", None)
