"""The design step: a designer proposes, the policy guards, the survivors are saved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from agent.config import Paths, Policy
from agent.config.files import FileRefused, read_text
from agent.design.policy import screen
from agent.errors import SpecInvalid, SpecRejected
from agent.models import Candidate, ExperimentSpec, Inventory, Proposal, Rejection
from agent.ports import Designer

DEFAULT_MAX_SPEC_BYTES: int = Paths.model_fields["max_spec_bytes"].default


@dataclass(frozen=True)
class Design:
    """The outcome of the design step."""

    candidates: list[Candidate]
    rejected: list[Rejection]
    proposal: Proposal


def design(inventory: Inventory, designer: Designer, policy: Policy, *, count: int) -> Design:
    """Ranked, policy-checked candidates and the rejected ones (never silently dropped)."""
    proposal = designer.propose(inventory, count)
    allowed, rejected = screen(proposal.candidates, inventory, policy)
    return Design(candidates=allowed, rejected=rejected, proposal=proposal)


WRITTEN = ".suggest-written"  # in the experiments folder (JSON, not *.json): each spec file's digest as last written


def save(
    candidates: list[Candidate], directory: Path, *, force: bool = False, dialect: Literal["native", "seed"] = "native"
) -> tuple[list[Candidate], list[str]]:
    """Write each spec to ``<directory>/<slug>.json``; return them with their paths, and a note
    for each file kept. ``dialect`` "seed" writes the origin document's shape
    (:func:`agent.models.seed.to_seed`), which ``run`` reads back as the same native spec.

    A file is replaced only when it still reads as this function last wrote it: a spec a person
    edited (or one written by something else) is kept, and the new one goes to ``<slug>-2.json``
    (the next free name), unless ``force``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = _written(directory)
    out, notes = [], []
    for c in candidates:
        text = json.dumps(_dump(c.spec, dialect), indent=2) + "\n"
        path = directory / f"{c.spec.slug}.json"
        if path.exists() and not force and written.get(path.name) != _digest(path.read_bytes()):
            kept, path = path, _free(directory, c.spec.slug)
            notes.append(f"kept {kept} (changed since suggest wrote it); wrote {path.name} instead (--force replaces it)")
        path.write_text(text, encoding="utf-8")
        written[path.name] = _digest(text.encode("utf-8"))
        out.append(c.model_copy(update={"saved_path": str(path)}))
    (directory / WRITTEN).write_text(json.dumps(written, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return out, notes


def _dump(spec: ExperimentSpec, dialect: Literal["native", "seed"]) -> object:
    if dialect == "native":
        return spec.model_dump(mode="json")
    from agent.models.seed import to_seed

    try:
        return to_seed(spec).model_dump(mode="json", exclude_none=True)
    except ValueError as e:  # no abort threshold: the policy refuses such a spec before it gets here
        raise SpecInvalid(f"cannot write {spec.title!r} in the seed's shape: {e}") from None


def _written(directory: Path) -> dict[str, str]:
    try:
        data = json.loads((directory / WRITTEN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _free(directory: Path, slug: str) -> Path:
    n = 2
    while (directory / f"{slug}-{n}.json").exists():
        n += 1
    return directory / f"{slug}-{n}.json"


def load_spec(path: Path, *, max_bytes: int = DEFAULT_MAX_SPEC_BYTES) -> ExperimentSpec:
    """Read a spec file, native or in the seed's shape (:mod:`agent.models.seed`), as a native spec.

    A bad file is a SpecInvalid naming the file and the field. ``max_bytes`` is
    ``paths.max_spec_bytes``; FIFOs, devices and directories are refused unread.
    """
    from agent.models.seed import SeedSpec, is_seed

    try:
        text = read_text(path, limit=max_bytes, limit_name="paths.max_spec_bytes")
    except FileRefused as e:
        raise SpecInvalid(f"{path}: {e.reason}; pass a spec file (UTF-8 JSON, as `suggest` saves it)") from None
    try:
        seed = is_seed(json.loads(text))
    except (ValueError, RecursionError):
        seed = False  # not JSON (or nested too deep for json): the native model says where
    try:
        return SeedSpec.model_validate_json(text).to_native() if seed else ExperimentSpec.model_validate_json(text)
    except ValidationError as e:
        first = e.errors()[0]
        field = "".join(f"[{p}]" if isinstance(p, int) else p if p == "[key]" else f".{str(p)[:40]}"
                        for p in first["loc"]).lstrip(".")
        msg = first["msg"].removeprefix("Value error, ")
        raise SpecInvalid(
            f"{path} {field or '(top level)'}: {msg} (got {_short(first.get('input'))}); "
            f"the spec's shape: python -m agent schema{' --dialect seed' if seed else ''}"
        ) from None
    except ValueError as e:  # a seed spec that has no native form (the message names the field)
        raise SpecInvalid(f"{path} {e}; the spec's shape: python -m agent schema --dialect seed") from None


def _short(value: object) -> str:
    """The bad value, cut to a readable length (a 4 KB description is not worth repeating)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


class DefaultEngine:
    """A designer whose specs that name no ``chaos_engine`` get ``engines.default`` (stack.yaml), before
    the policy sees them: so the policy checks, and the saved file names, the engine that will run it."""

    def __init__(self, inner: Designer, engine: str, *, cluster: str | None = None) -> None:
        self._inner, self._engine, self._cluster, self.name = inner, engine, cluster, inner.name

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        p = self._inner.propose(inventory, count)
        for c in p.candidates:  # `run SPEC` goes to the spec's cluster: another one here is a wiring bug
            if c.spec.cluster is not None and c.spec.cluster != self._cluster:
                raise SpecRejected("cluster", f"{c.spec.title!r} names cluster {c.spec.cluster!r}, but this run is on "
                                   f"{self._cluster or 'the k8s section'!r}; run it with --context {c.spec.cluster}")
        return p.model_copy(update={"candidates": [c.model_copy(update={"spec": c.spec.model_copy(update=(
            {} if "chaos_engine" in c.spec.model_fields_set else {"chaos_engine": self._engine})
            | ({"cluster": self._cluster} if self._cluster else {}))}) for c in p.candidates]})  # the cluster it is designed on
