"""Machine-readable output, shared by the commands: ``-o table|json|yaml`` (kubectl's spelling).

``table`` (the default) is the human view. ``json`` and ``yaml`` print the same pydantic models
the tools return, dumped in JSON mode, alone on stdout (no colour, no wrapping), so
``python -m agent runs -o json | jq`` works. ``suggest``'s ``--output DIR`` (where specs are
saved, as in the seed) keeps its long name; there the format is ``-o/--output-format``.

This module is imported when the CLI starts, so it imports no pydantic model at the top:
``--help`` must stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from pydantic import BaseModel

    from agent.models.spec import Suggestions


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


FormatOpt = Annotated[
    Format, typer.Option("-o", "--output-format", help="table (for people), json or yaml (for programs).")
]


def __getattr__(name: str) -> type[Suggestions]:
    # ``Suggestions`` lives with the models it holds; kept importable from here, loaded on first use.
    if name == "Suggestions":
        from agent.models.spec import Suggestions

        return Suggestions
    raise AttributeError(name)


def emit(data: BaseModel | Sequence[BaseModel] | Sequence[DataclassInstance], fmt: Format) -> None:
    """Print one model, or a list of models or frozen dataclasses, alone on stdout as JSON or YAML."""
    import json

    import yaml
    from pydantic_core import to_jsonable_python

    dumped = to_jsonable_python(data)  # pydantic models as model_dump(mode="json"), dataclasses field by field
    text = json.dumps(dumped, indent=2) if fmt == Format.JSON else yaml.safe_dump(dumped, sort_keys=False)
    typer.echo(text.rstrip("\n"))
