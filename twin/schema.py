"""Validation of written objects: metadata rules and a small openAPIV3Schema validator.

The validator covers what the Litmus CRDs actually use (type, properties, additionalProperties,
items, required, pattern, enum, oneOf, length and range bounds) and rejects fields a schema
does not declare unless the node carries `x-kubernetes-preserve-unknown-fields`. That is the
API server's strict field validation; rejecting (422) rather than silently pruning is deliberate,
so a typo in a ChaosEngine fails loudly instead of running a different experiment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypedDict

from twin.errors import Cause
from twin.state import KObj

SchemaNode = TypedDict("SchemaNode", {
    "type": str,
    "nullable": bool,
    "properties": "dict[str, SchemaNode]",
    "additionalProperties": "SchemaNode | bool",
    "items": "SchemaNode",
    "required": list[str],
    "enum": list[Any],  # any JSON values
    "oneOf": "list[SchemaNode]",
    "pattern": str,
    "minLength": int,
    "maxLength": int,
    "minimum": float,
    "maximum": float,
    "x-kubernetes-int-or-string": bool,
    "x-kubernetes-preserve-unknown-fields": bool,
}, total=False)
"""A node of a CRD's openAPIV3Schema: the keywords the validator reads (others are ignored).
Functional form for the `x-kubernetes-*` keys."""

_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SUBDOMAIN_HELP = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_HELP = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float),
}


def _shown(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else json.dumps(str(value))


def validate_name(name: Any, *, namespace_name: bool = False) -> list[Cause]:
    """metadata.name must be a DNS-1123 subdomain (a DNS-1123 label for namespaces)."""
    if not name:
        return [Cause("metadata.name", "Required value: name or generateName is required",
                      "FieldValueRequired")]
    if not isinstance(name, str):
        return [Cause("metadata.name", f"Invalid value: {_shown(name)}: must be a string")]
    pattern, limit, help_text = (
        (_DNS1123_LABEL, 63, _LABEL_HELP) if namespace_name
        else (_DNS1123_SUBDOMAIN, 253, _SUBDOMAIN_HELP)
    )
    if len(name) > limit:
        return [Cause("metadata.name", f"Invalid value: {_shown(name)}: must be no more than "
                                       f"{limit} characters")]
    if not pattern.match(name):
        return [Cause("metadata.name", f"Invalid value: {_shown(name)}: {help_text}")]
    return []


def validate_metadata(metadata: Any) -> list[Cause]:
    """Labels and annotations must be string maps; label values follow the label rules."""
    causes: list[Cause] = []
    if not isinstance(metadata, dict):
        return [Cause("metadata", "Invalid value: metadata must be an object")]
    for key in ("labels", "annotations"):
        values = metadata.get(key) or {}
        if not isinstance(values, dict):
            causes.append(Cause(f"metadata.{key}", "Invalid value: must be a map of strings"))
            continue
        for k, v in values.items():
            if not isinstance(v, str):
                causes.append(Cause(f"metadata.{key}.{k}", f"Invalid value: {_shown(v)}: "
                                                           "must be a string"))
            elif key == "labels" and (len(v) > 63 or not _LABEL_VALUE.match(v)):
                causes.append(Cause("metadata.labels", f"Invalid value: {_shown(v)}: a valid "
                                    "label must be an empty string or consist of alphanumeric "
                                    "characters, '-', '_' or '.', at most 63 characters"))
    return causes


def _type_ok(value: Any, schema: SchemaNode) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    expected = schema.get("type")
    if expected is None:
        return True
    if value is None:
        return bool(schema.get("nullable"))
    if isinstance(value, bool) and expected != "boolean":
        return False
    return isinstance(value, _TYPES.get(expected, (object,)))


def _scalar_checks(value: Any, schema: SchemaNode, path: str) -> list[Cause]:
    causes = []
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(_shown(v) for v in schema["enum"])
        causes.append(Cause(path, f"Unsupported value: {_shown(value)}: supported values: "
                                  f"{allowed}", "FieldValueNotSupported"))
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            causes.append(Cause(path, f"Invalid value: {_shown(value)}: {path} in body should "
                                      f"match '{schema['pattern']}'"))
        if len(value) < schema.get("minLength", 0):
            causes.append(Cause(path, f"Invalid value: {_shown(value)}: {path} in body should "
                                      f"be at least {schema['minLength']} chars long"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(Cause(path, f"Too long: may not be longer than {schema['maxLength']}",
                                "FieldValueTooLong"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            causes.append(Cause(path, f"Invalid value: {value}: {path} in body should be "
                                      f"greater than or equal to {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(Cause(path, f"Invalid value: {value}: {path} in body should be "
                                      f"less than or equal to {schema['maximum']}"))
    return causes


def _object_checks(value: Mapping[str, object], schema: SchemaNode, path: str,
                   strict: bool) -> list[Cause]:
    causes = [Cause(f"{path}.{key}", "Required value", "FieldValueRequired")
              for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
    for key, item in value.items():
        child = f"{path}.{key}" if path else key
        if key in properties:
            causes += validate_value(item, properties[key], child, strict=strict)
        elif isinstance(extra, dict):
            causes += validate_value(item, extra, child, strict=strict)
        # a node that lists no properties is free-form here (lenient where a schema is vague)
        elif strict and properties and not preserve and extra is not True:
            causes.append(Cause(child, f'Forbidden: unknown field "{key}": field not declared '
                                       "in schema", "FieldValueForbidden"))
    return causes


def validate_value(value: Any, schema: SchemaNode, path: str, *,
                   strict: bool = True) -> list[Cause]:
    """Validate a value against an openAPIV3Schema node; returns every failing field."""
    if not _type_ok(value, schema):
        kind = "null" if value is None else type(value).__name__.replace("dict", "object")
        return [Cause(path, f"Invalid value: {_shown(kind)}: {path} in body must be of type "
                            f"{schema.get('type')}: {_shown(kind)}", "FieldValueTypeInvalid")]
    causes = _scalar_checks(value, schema, path)
    if isinstance(value, dict):
        causes += _object_checks(value, schema, path, strict)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            causes += validate_value(item, schema["items"], f"{path}[{index}]", strict=strict)
    if "oneOf" in schema:
        passing = sum(not validate_value(value, sub, path, strict=False)
                      for sub in schema["oneOf"])
        if passing != 1:
            causes.append(Cause(path, f"Invalid value: {path} must validate one and only one "
                                      "schema (oneOf)"))
    return causes


def validate_custom_object(obj: KObj, schema: SchemaNode) -> list[Cause]:
    """Validate a custom object's body (everything but metadata) against its CRD schema."""
    body = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
    return validate_value(body, schema, "")
