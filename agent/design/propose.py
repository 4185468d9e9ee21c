"""The design step: a designer proposes, the policy guards, the survivors are saved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from agent.config import Policy
from agent.design.policy import screen
from agent.errors import SpecInvalid
from agent.models import Candidate, ExperimentSpec, Inventory, Proposal, Rejection
from agent.ports import Designer


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


def load_spec(path: Path) -> ExperimentSpec:
    """Read a saved spec; a bad file is a SpecInvalid naming the file and the field."""
    try:
        return ExperimentSpec.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecInvalid(f"{path}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise SpecInvalid(f"{path}: not UTF-8 text; save the spec as UTF-8 JSON") from None
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SpecInvalid(f"{path} {field}: {first['msg']} (got {first.get('input')!r})") from None
