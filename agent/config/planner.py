"""The offline planner's section of stack.yaml (``planner:``)."""

from __future__ import annotations

from pydantic import Field

from agent.config.sections import Section

# An idea is a *weakness* when the manifests predict at least this share of requests fails (a
# single replica, a limit below the hog: 1; no readiness probe among r replicas: 1/r, down to 20
# replicas). Below it (every replica protected, or an injection whose harm depends on code the
# manifests do not show: agent.design.impact.NO_EVIDENCE) an idea is exploratory, not a weakness.
WEAKNESS_LIKELIHOOD = 0.05


class Planner(Section):
    """How the offline planner (``agent.design.planner``) tells a weakness from an exploratory idea."""

    weakness_likelihood: float = Field(
        WEAKNESS_LIKELIHOOD, gt=0, le=1,
        description="the least share of requests the manifests must predict to fail for an idea to count as a "
                    "weakness; when none reaches it, suggest says the top candidates are exploratory")
