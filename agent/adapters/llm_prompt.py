"""The LLM designer's prompt: the instructions, the allowed actions with their limits, and the
inventory summary, kept within ``llm.max_prompt_tokens`` with the response schema counted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from agent.adapters.llm_schema import strict_schema
from agent.config import Policy
from agent.design.templates import prompt_lines
from agent.engines.catalog import CATALOG
from agent.inventory.summary import count_tokens, summarise
from agent.models import Inventory
from agent.models.template import ExperimentTemplate
from prompts import render

MIN_SUMMARY_TOKENS = 300  # the inventory always gets this much, even under a tiny budget
# Counts are cl100k's; gpt-4o's o200k came within 1% of them on these prompts, and chat framing
# adds a few tokens per message: keep 5% of llm.max_prompt_tokens in hand.
HEADROOM = 0.95


@dataclass(frozen=True)
class DesignPrompt:
    """The two messages of a design request, and what the response schema costs on top."""

    system: str
    user: str
    schema_tokens: int

    @property
    def message_tokens(self) -> int:
        return count_tokens(self.system) + count_tokens(self.user)

    @property
    def tokens(self) -> int:
        """Everything the request sends: messages and schema (what ``llm.max_prompt_tokens`` bounds)."""
        return self.message_tokens + self.schema_tokens



def build_prompt(inventory: Inventory, *, policy: Policy, count: int, max_tokens: int,
                 templates: Sequence[ExperimentTemplate] = ()) -> DesignPrompt:
    """The design prompt; the inventory summary gets whatever ``max_tokens`` leaves over after the
    instructions and the response schema."""
    system, actions = render("design_system"), allowed_actions(policy) + prompt_lines(templates, policy)

    def user(summary: str) -> str:
        return render("design", inventory=summary, count=count, actions=actions,
                      max_duration_s=policy.max_duration_s)

    schema = count_tokens(json.dumps(strict_schema([t.name for t in templates])))
    overhead = count_tokens(system) + count_tokens(user("")) + schema
    budget = int(max_tokens * HEADROOM) - overhead
    summary = summarise(inventory, budget_tokens=max(MIN_SUMMARY_TOKENS, budget))
    return DesignPrompt(system=system, user=user(summary), schema_tokens=schema)


def allowed_actions(policy: Policy) -> str:
    """One line per fault the policy allows: what it tests and the parameters it takes."""
    lines = []
    for info in CATALOG.values():
        if info.name not in policy.actions or (info.high_risk and not policy.allow_high_risk):
            continue
        params = ", ".join(_bounded(p, policy) for p in info.parameters)
        lines.append(f"- {info.name} (risk {info.risk}): tests {info.tests}. Parameters: {params}")
    return "\n".join(lines) or "- none: the policy allows no action; answer with no experiments"


def _bounded(parameter: str, policy: Policy) -> str:
    if parameter == "pods_affected_perc":
        return (f"pods_affected_perc (0 = one pod; at most {policy.max_pods_affected_perc} % "
                f"and {policy.max_pods_affected} pods)")
    return parameter
