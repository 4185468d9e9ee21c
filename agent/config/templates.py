"""The custom experiment templates: stack.yaml's ``design:`` section and the reading of the folder.

Every ``*.yaml`` / ``*.yml`` file of ``design.templates_dir`` (``templates/`` next to stack.yaml by
default) is one :class:`agent.models.template.ExperimentTemplate`. A file that is not one (not
YAML, a field missing or wrong, a name used twice) is refused with a message naming the file, the
field and the problem, and leaves the others loaded: a bad template changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from agent.config.files import FileRefused, read_text, yaml_problem
from agent.config.sections import Section
from agent.models.template import ExperimentTemplate

MAX_TEMPLATE_BYTES = 64 * 1024  # a template is a few hundred bytes; a bigger file is the wrong one
MAX_TEMPLATES = 200  # files read from the folder; more are refused by name
_LIMITS = ("less_than", "less_than_equal", "greater_than", "greater_than_equal")
SCHEMA_FILE = "template.schema.json"  # shipped beside the templates, for editors (not read here)


class DesignSettings(Section):
    """How experiments are designed, beyond the planner's threshold (``planner:``)."""

    templates_dir: str = Field(
        "templates", description="folder of custom experiment templates (*.yaml), relative to stack.yaml; "
        "missing: no templates (python -m agent templates lists them and says why one is refused)")


@dataclass(frozen=True)
class Refused:
    """A template file that was not loaded, and why: ``reason`` is " field: problem" (or ": problem")
    after the path."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}{self.reason}"


@dataclass(frozen=True)
class LoadedTemplate:
    path: Path
    template: ExperimentTemplate


@dataclass(frozen=True)
class TemplateFolder:
    """What the templates folder holds: the valid templates (by file name) and the refused files."""

    directory: Path
    loaded: list[LoadedTemplate] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    @property
    def templates(self) -> list[ExperimentTemplate]:
        return [t.template for t in self.loaded]


def load_templates(directory: Path) -> TemplateFolder:
    """Every template of ``directory`` (none when it does not exist), the refused ones with why."""
    if not directory.is_dir():
        return TemplateFolder(directory)
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    loaded: list[LoadedTemplate] = []
    refused = [Refused(p, f": not read, over the limit of {MAX_TEMPLATES} template files") for p in files[MAX_TEMPLATES:]]
    for path in files[:MAX_TEMPLATES]:
        try:
            template = read_template(path)
        except TemplateInvalid as e:
            refused.append(Refused(path, e.reason))
            continue
        first = next((t.path for t in loaded if t.template.name == template.name), None)
        if first is not None:
            refused.append(Refused(path, f" name: {template.name!r} is used by {first.name} already; rename one"))
        else:
            loaded.append(LoadedTemplate(path, template))
    return TemplateFolder(directory, loaded, refused)


class TemplateInvalid(Exception):  # noqa: N818 (a reason, turned into a Refused entry; never reaches the CLI)
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_template(path: Path) -> ExperimentTemplate:
    """One template file, or TemplateInvalid whose reason names the field and the problem."""
    try:
        text = read_text(path, limit=MAX_TEMPLATE_BYTES, limit_name="the limit for a template")
        data = yaml.safe_load(text)
    except FileRefused as e:
        raise TemplateInvalid(f": {e.reason}") from None
    except yaml.YAMLError as e:
        raise TemplateInvalid(yaml_problem(e)) from None
    except RecursionError:
        raise TemplateInvalid(": not valid YAML (nested too deeply)") from None
    if not isinstance(data, dict):
        raise TemplateInvalid(f": the top level must be a mapping (name, fault, fits, ...), not {type(data).__name__}")
    try:
        return ExperimentTemplate.model_validate(data)
    except ValidationError as e:
        raise TemplateInvalid(_describe(e)) from None


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        msg = "missing; add it"
    elif first["type"] in _LIMITS and where.startswith("parameters."):
        msg += " (the parameter's own limit: a template's bounds stay within it)"
    elif first["type"] == "extra_forbidden":
        msg = "unknown key" + (f"; the fault's parameters are the fields of {SCHEMA_FILE}" if where.startswith("parameters.") else "")
    got = "" if first["type"] in ("missing", "extra_forbidden") or not where else f" (got {_short(first.get('input'))})"
    if not where and ":" in msg.split(" ", 1)[0]:  # the model's own check names its field (parameters.x: ...)
        where, msg = msg.split(": ", 1)
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f" {where or '(top level)'}: {msg}{got}{more}; the shape: {SCHEMA_FILE}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
