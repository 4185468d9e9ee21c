"""Prompt templates as text files beside this module, rendered strictly.

``render(name, **vars)`` fills ``{placeholders}`` of ``<name>.txt`` and fails on a missing or an
unused variable, so a template and its caller cannot drift apart silently.
"""

from __future__ import annotations

import string
from pathlib import Path

HERE = Path(__file__).resolve().parent


class PromptError(KeyError):
    """A template and its variables do not match."""


def render(name: str, directory: Path = HERE, **variables: object) -> str:
    """The template ``<directory>/<name>.txt`` with ``variables`` filled in."""
    text = (directory / f"{name}.txt").read_text(encoding="utf-8")
    wanted = {field for _, field, _, _ in string.Formatter().parse(text) if field}
    missing = wanted - variables.keys()
    unused = variables.keys() - wanted
    if missing or unused:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unused {sorted(unused)}")
    return text.format(**variables)
