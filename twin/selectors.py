"""Label and field selectors, parsed the way the API server parses them.

Label selectors accept equality (`a=b`, `a==b`, `a!=b`), existence (`a`, `!a`) and set-based
(`a in (x,y)`, `a notin (x,y)`) requirements, comma-separated and ANDed. Field selectors only
know `metadata.name` and `metadata.namespace` (with `=`, `==`, `!=`); other fields are ignored
rather than rejected, which is what the agent needs and keeps kubectl happy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from twin.errors import bad_request

Operator = Literal["=", "!=", "in", "notin", "exists", "!exists"]

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    """One ANDed term of a selector."""

    key: str
    op: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label map satisfies this term (missing key passes `!=` and `notin`)."""
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        return not present or value not in self.values


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside a `( ... )` value set."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [t for t in terms if t.strip()]


def _parse_term(term: str) -> Requirement:
    if match := _SET_RE.match(term):
        if match.group(1):
            raise bad_request(f"unable to parse requirement: {term!r}")
        values = frozenset(v.strip() for v in match.group(4).split(",") if v.strip())
        return Requirement(match.group(2), match.group(3), values)  # type: ignore[arg-type]
    if match := _EQ_RE.match(term):
        op: Operator = "!=" if match.group(2) == "!=" else "="
        return Requirement(match.group(1), op, frozenset({match.group(3)}))
    if match := _EXISTS_RE.match(term):
        return Requirement(match.group(2), "!exists" if match.group(1) else "exists")
    raise bad_request(f"unable to parse requirement: {term!r}")


def parse_label_selector(text: str) -> list[Requirement]:
    """Parse a `labelSelector` query value; raises BadRequest (400) like the API server."""
    return [_parse_term(term) for term in _split_terms(text or "")]


def labels_match(requirements: list[Requirement], labels: Mapping[str, str] | None) -> bool:
    """Whether every requirement holds for the labels (an empty selector matches everything)."""
    return all(r.matches(labels or {}) for r in requirements)


def match_labels_selector(match_labels: Mapping[str, str]) -> list[Requirement]:
    """The requirements of a `matchLabels` map (how Services and workloads select pods)."""
    return [Requirement(k, "=", frozenset({v})) for k, v in match_labels.items()]


@dataclass(frozen=True)
class FieldSelector:
    """The supported subset of a `fieldSelector`: name and namespace (in)equality."""

    terms: tuple[tuple[str, bool, str], ...]  # (field, negated, value)

    def matches(self, name: str, namespace: str) -> bool:
        """Whether an object with this name and namespace passes every supported term."""
        fields = {"metadata.name": name, "metadata.namespace": namespace}
        return all((fields[f] == v) != negated for f, negated, v in self.terms)


def parse_field_selector(text: str) -> FieldSelector:
    """Parse a `fieldSelector`; terms on fields other than name/namespace are ignored."""
    terms = []
    for term in _split_terms(text or ""):
        match = _EQ_RE.match(term)
        if not match:
            raise bad_request(f"invalid field selector: {term!r}")
        if match.group(1) in ("metadata.name", "metadata.namespace"):
            terms.append((match.group(1), match.group(2) == "!=", match.group(3)))
    return FieldSelector(tuple(terms))
