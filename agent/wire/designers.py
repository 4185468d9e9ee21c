"""The designers, built from ``llm``, ``planner``, ``policy`` and the custom experiment templates
(``design.templates_dir``, read here once: :mod:`agent.config.templates`)."""

from __future__ import annotations

from agent.config import Settings
from agent.config.templates import load_templates
from agent.ports import Designer


def build_designer(settings: Settings) -> Designer:
    """The LLM designer (the planner its fallback) when ``llm.enabled``; else the planner. Both
    may use the valid templates, their bounds narrowed to the policy; a refused one is left out
    (``python -m agent templates`` says why)."""
    from agent.design.planner import PlannerDesigner
    from agent.design.templates import within_policy

    folder = load_templates(settings.path(settings.design.templates_dir))
    templates = [within_policy(t, settings.policy) for t in folder.templates]
    planner = PlannerDesigner(actions=settings.policy.actions, weakness_likelihood=settings.planner.weakness_likelihood,
                              templates=templates)
    if not settings.llm.enabled:
        return planner
    from agent.adapters.llm_designer import LLMDesigner

    return LLMDesigner(settings.llm, fallback=planner, policy=settings.policy, templates=templates)
