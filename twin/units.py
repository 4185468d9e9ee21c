"""Kubernetes resource quantities (`300m`, `1`, `500Mi`, `1G`) as plain numbers."""

from __future__ import annotations

import re

_QUANTITY = re.compile(r"^\s*([0-9.]+)\s*([A-Za-z]*)\s*$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"": 1.0, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9,
            "T": 1e12, "P": 1e15, "E": 1e18}


def quantity(value: object) -> float | None:
    """A quantity in base units (cores, bytes); None when absent or unparseable."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match:
        return None
    number, suffix = float(match.group(1)), match.group(2)
    factor = _BINARY.get(suffix, _DECIMAL.get(suffix))
    return None if factor is None else number * factor


def cpu_millicores(value: object) -> float | None:
    """`300m` -> 300.0, `1` -> 1000.0."""
    cores = quantity(value)
    return None if cores is None else cores * 1000


def memory_mib(value: object) -> float | None:
    """`500Mi` -> 500.0, `1G` -> 953.7."""
    size = quantity(value)
    return None if size is None else size / 2**20
