"""The design step: a designer proposes, the policy guards, the survivors are saved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from agent.config import Paths, Policy
from agent.config.files import FileRefused, read_text
from agent.design.policy import screen
from agent.errors import SpecInvalid
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


def save(candidates: list[Candidate], directory: Path) -> list[Candidate]:
    """Write each spec to ``<directory>/<slug>.json`` in the seed's shape; return them with paths."""
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for c in candidates:
        path = directory / f"{c.spec.slug}.json"
        path.write_text(json.dumps(c.spec.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
        out.append(c.model_copy(update={"saved_path": str(path)}))
    return out


def load_spec(path: Path, *, max_bytes: int = DEFAULT_MAX_SPEC_BYTES) -> ExperimentSpec:
    """Read a saved spec; a bad file is a SpecInvalid naming the file and the field.

    ``max_bytes`` is ``paths.max_spec_bytes``; FIFOs, devices and directories are refused unread.
    """
    try:
        text = read_text(path, limit=max_bytes, limit_name="paths.max_spec_bytes")
    except FileRefused as e:
        raise SpecInvalid(f"{path}: {e.reason}; pass a spec file (UTF-8 JSON, as `suggest` saves it)") from None
    try:
        return ExperimentSpec.model_validate_json(text)
    except ValidationError as e:
        first = e.errors()[0]
        field = "".join(f"[{p}]" if isinstance(p, int) else p if p == "[key]" else f".{str(p)[:40]}"
                        for p in first["loc"]).lstrip(".")
        msg = first["msg"].removeprefix("Value error, ")
        raise SpecInvalid(
            f"{path} {field or '(top level)'}: {msg} (got {_short(first.get('input'))}); "
            "the spec's shape: python -m agent schema"
        ) from None


def _short(value: object) -> str:
    """The bad value, cut to a readable length (a 4 KB description is not worth repeating)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
