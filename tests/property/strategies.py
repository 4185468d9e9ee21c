"""Hypothesis strategies shared by the property tests: random JSON and mutations of a document."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

HUGE = st.sampled_from([10**30, -(10**30), 2**63, -1, 0, float("inf"), float("-inf"), 1e308])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "kube-system", "ünïcødé ☃", "\x00\x1b[31m", "${HOME}", "null", "1e999", "-", "*"]),
)
JSON = st.recursive(
    SCALARS,
    lambda kids: st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=12), kids, max_size=4)),
    max_leaves=12,
)
KEYS = st.one_of(st.text(max_size=12), st.sampled_from(["base_dir", "version", "__class__", "model_config"]))


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node of a JSON-shaped document (the root is ``()``)."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, keys: st.SearchStrategy[Any] = KEYS) -> Any:
    """``base`` with one to three random edits: a value replaced, a key deleted or an unknown key added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(doc)))
        kind = draw(st.sampled_from(["replace", "delete", "add"]))
        if kind == "replace":
            value = draw(JSON)
            if not path:
                return value  # a top level that is not a mapping
            _parent(doc, path)[path[-1]] = value
        elif kind == "delete" and path:
            del _parent(doc, path)[path[-1]]
        else:
            node = doc
            for part in path:
                node = node[part]
            if isinstance(node, dict):
                node[draw(keys)] = draw(JSON)
            elif isinstance(node, list):
                node.append(draw(JSON))
    return doc
