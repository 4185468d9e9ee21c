"""Reading stack.yaml into :class:`Settings`, with errors a person can act on.

Every failure is a :class:`ConfigError` naming the file, the field path (``k8s.target_services[0]
.tier``), the bad value and the fix; an unknown key gets a did-you-mean from the keys known there.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agent.config.files import FileRefused, read_text, yaml_problem
from agent.config.settings import OpenAIEnv, Settings
from agent.errors import ConfigError

MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a stack of 100,000 services is 8 MB; more is the wrong file


def load_settings(path: Path) -> Settings:
    """Read stack.yaml (and the environment) into Settings, or raise a ConfigError that names
    the file, the field path, the bad value and the fix."""
    try:
        text = read_text(path, limit=MAX_CONFIG_BYTES, limit_name="the limit for stack.yaml")
    except FileRefused as e:
        fix = "pass --config FILE or create stack.yaml" if e.missing else "pass --config FILE (a UTF-8 YAML file)"
        raise ConfigError(f"{path}: {e.reason}; {fix}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}{yaml_problem(e)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML (nested too deeply)") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, not {type(data).__name__}")
    for key in data:  # Settings(**data) would raise TypeError on these
        if not isinstance(key, str) or key in ("base_dir", "source", "source_sha256"):
            raise ConfigError(f"{path} {key!r}: unknown key; known keys here: {', '.join(_known_fields(()))}")
    try:
        settings = Settings(**data, base_dir=path.resolve().parent, source=path.resolve(),
                            source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    except ValidationError as e:
        raise ConfigError(_describe(path, e)) from None
    env = OpenAIEnv()
    llm = settings.llm.model_copy(
        update={"api_key": settings.llm.api_key or env.api_key, "base_url": settings.llm.base_url or env.base_url}
    )
    return settings.model_copy(update={"llm": llm})


def _describe(path: Path, error: ValidationError) -> str:
    lines = [_one(path, err) for err in error.errors()[:5]]
    more = error.error_count() - len(lines)
    return "\n".join(lines + ([f"... and {more} more"] if more > 0 else []))


def _one(path: Path, err: ErrorDetails) -> str:
    loc: tuple[str | int, ...] = tuple(err["loc"])
    field = _dotted(loc)
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if "at" in ctx:  # a section's own check names the entry it means (k8s.dependencies[3].target)
        return f"{path} {field}.{ctx['at']}: {ctx.get('value')!r} is {err['msg']}"
    if err["type"] == "extra_forbidden":
        known = _known_fields(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        fix = f"did you mean {guess[0]!r}?" if guess else f"known keys here: {', '.join(known)}"
        return f"{path} {field}: unknown key; {fix}"
    fix = _hint(err)
    return f"{path} {field}: {_short(value)} is not valid ({err['msg']}); {fix}"


def _short(value: object) -> str:
    """The bad value, cut to a readable length (a whole section is not a value to show)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _hint(err: ErrorDetails) -> str:
    ctx = err.get("ctx")
    if err["type"] == "literal_error" and isinstance(ctx, dict):
        return f"use one of {ctx.get('expected')}"
    if err["type"] == "enum" and isinstance(ctx, dict):
        return f"use one of {ctx.get('expected')}"
    if err["type"] == "missing":
        return "add this key"
    return "fix the value (see the README's configuration section)"


def _known_fields(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] | None = Settings
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field else None
    if model is None:
        return []
    return [name for name, f in model.model_fields.items() if not f.exclude]  # base_dir, source...: not for users


def _model_of(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found:
            return found
    return None
