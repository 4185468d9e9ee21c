"""Custom experiment templates in the design: the planner's ideas from them, the LLM's use of them,
and their bounds narrowed to the policy.

- :func:`within_policy`: a template's duration and pods-affected bounds capped by the policy (its
  default moved inside), so no designer picks beyond what may run; the policy still checks the spec.
- :func:`template_idea`: a template on a target it fits, as a planner idea. It scores as the
  planner scores its fault there (the same harm model as the built-in idea of that fault), or,
  where the planner has no idea of that fault there, as a restart or an injection.
- :func:`apply_template`: an LLM proposal that names a template, held to it (its fault, its
  fits, its parameter bounds) and given its hypothesis; ValueError says what to fix.

Every spec built from a template says so: its rationale starts "from template <name>".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from agent.config import Policy
from agent.design.facts import Facts
from agent.design.ideas import EDGE_LATENCY_ABORT_MS, MAX_AFFECTED, SEED_EDGE_ERROR_ABORT_PCT, Idea, builders
from agent.design.impact import injection, restart
from agent.design.risk import assessed_risk
from agent.models import (
    AbortThreshold,
    ExpectedSignal,
    ExperimentSpec,
    Fault,
    Hypothesis,
    Inventory,
    Parameters,
    Target,
)
from agent.models.template import ExperimentTemplate

_CAPPED = {"duration_s": "max_duration_s", "pods_affected_perc": "max_pods_affected_perc"}


@dataclass(frozen=True)
class TemplateIdea(Idea):
    """An idea built from a template: for the planner's variety, its own kind of experiment."""

    template: str = ""


def variety(idea: Idea) -> str:
    """What the planner shows one of before repeating: a fault, or a template."""
    return f"template {idea.template}" if isinstance(idea, TemplateIdea) else str(idea.spec.action)


def fits(template: ExperimentTemplate, target: Target) -> bool:
    """Whether the template fits ``target``: its name, tier and kind in every list the template gives."""
    f = template.fits
    return ((not f.services or target.name in f.services) and (not f.tiers or target.tier in f.tiers)
            and (not f.types or target.type in f.types))


def origin(template: ExperimentTemplate) -> str:
    """The words a spec built from ``template`` carries in its rationale."""
    return f"from template {template.name}"


def within_policy(template: ExperimentTemplate, policy: Policy) -> ExperimentTemplate:
    """``template`` with its duration and pods-affected bounds no wider than ``policy`` allows and
    each default inside them. A template whose least value is above the policy's cap is returned
    as it is: its specs are refused by the policy, with the rule, where a person sees them."""
    update = {}
    for name, cap_field in _CAPPED.items():
        bounds = template.bounds().get(name)
        cap = getattr(policy, cap_field)
        if bounds is None or (bounds.min is not None and bounds.min > cap):
            continue
        high = cap if bounds.max is None else min(bounds.max, cap)
        update[name] = bounds.model_copy(update={"max": high, "default": min(bounds.default, high)})
    if not update:
        return template
    return template.model_copy(update={"parameters": template.parameters.model_copy(update=update)})


def template_ideas(f: Facts, templates: Sequence[ExperimentTemplate], actions: Iterable[Fault]) -> list[Idea]:
    """The ideas of every template that fits ``f``'s target and whose fault ``actions`` allows."""
    allowed = set(actions)
    return [idea for t in templates if t.fault in allowed and (idea := template_idea(f, t)) is not None]


def template_idea(f: Facts, t: ExperimentTemplate) -> Idea | None:
    """``t`` on ``f``'s target as a scored idea, or None when it does not fit the target."""
    if not fits(t, f.target):
        return None
    entry = t.fault.entry
    own = builders().get(t.fault)
    base = own(f) if own else None
    if base is not None:
        score, likelihood, reasons = base.score, base.likelihood, base.spec.rationale
    else:
        impact = restart(f) if entry.kind == "instant" else injection(f, f"{t.fault} tests {entry.tests}")
        score, likelihood, reasons = impact.score, impact.likelihood, "; ".join(impact.reasons())
    params = t.defaults()
    names = {"service": f.name, "edge": f.edge}
    return TemplateIdea(score, ExperimentSpec(
        title=f"{f.name} {t.name}"[:120],
        description=(t.description or f"{t.fault} on {f.name}, as template {t.name} describes it")[:4000],
        action=t.fault, target_selector=f.selector(), parameters=params,
        abort_threshold=_abort(t, names, latency=entry.chart_signal == "latency_p95_ms"),
        expected_impact=f"{entry.chart_signal} of {f.name} and its callers may move: {entry.tests}"[:2000],
        risk_level=assessed_risk(t.fault, f.target),
        rationale=f"{origin(t)}; {reasons}"[:4000],
        hypothesis=_hypothesis(t, names, affected=[f.name, *f.reach], duration_s=params.duration_s),
    ), likelihood, t.name)


def apply_template(spec: ExperimentSpec, t: ExperimentTemplate, target: Target | None) -> ExperimentSpec:
    """An LLM's ``spec`` that names template ``t``: held to the template (ValueError says what is
    off) and carrying its hypothesis, with ``{edge}`` the service its abort condition watches."""
    if spec.action != t.fault:
        raise ValueError(f"template {t.name} uses fault {t.fault}, not {spec.action}; set action to {t.fault}")
    if target is not None and not fits(t, target):
        raise ValueError(f"template {t.name} does not fit {target.name} (it fits {describe_fits(t)})")
    given = spec.parameters.model_dump()
    for name in Parameters.model_fields:
        low, high = t.limits(name)
        value = given.get(name)
        if isinstance(value, int | float) and ((low is not None and value < low) or (high is not None and value > high)):
            raise ValueError(f"parameters.{name}: {value} is outside template {t.name}'s bounds {low}..{high}")
    names = {"service": spec.target_selector.service,
             "edge": spec.abort_threshold.service if spec.abort_threshold else spec.target_selector.service}
    affected = spec.hypothesis.affected_services if spec.hypothesis else [spec.target_selector.service]
    return spec.model_copy(update={
        "rationale": f"{origin(t)}; {spec.rationale}"[:4000],
        "hypothesis": _hypothesis(t, names, affected=affected, duration_s=spec.parameters.duration_s),
    })


def held_to(spec: ExperimentSpec, name: str | None, templates: Mapping[str, ExperimentTemplate],
            inventory: Inventory) -> ExperimentSpec:
    """``spec`` as the LLM proposed it, held to the template it names (none: as it is); ValueError
    when the name is unknown or the spec strays from the template."""
    if name is None:
        return spec
    if name not in templates:
        raise ValueError(f"no template {name!r}; use one of {', '.join(templates) or 'none (set null)'}")
    return apply_template(spec, templates[name], inventory.target(spec.target_selector.service))


def prompt_lines(templates: Sequence[ExperimentTemplate], policy: Policy) -> str:
    """The templates the LLM may follow (their fault allowed by ``policy``), one line each; "" for none."""
    lines = []
    for t in templates:
        if t.fault not in policy.actions or (t.fault.entry.high_risk and not policy.allow_high_risk):
            continue
        params = ", ".join(_bounds_text(t, name, b.default) for name, b in t.bounds().items())
        lines.append(f"- {t.name}: {t.fault} on services that fit ({describe_fits(t)}). Parameters: {params}. "
                     f"Hypothesis: {t.hypothesis.statement}")
    if not lines:
        return ""
    return ("\n\nCustom templates (to follow one, set template to its name and action to its fault, and keep "
            "each parameter within its bounds; otherwise template is null):\n" + "\n".join(lines))


def _bounds_text(t: ExperimentTemplate, name: str, default: object) -> str:
    low, high = t.limits(name)
    span = "" if (low, high) == (None, None) else f" {'' if low is None else low}..{'' if high is None else high}"
    return f"{name}{span} (default {default})"


def describe_fits(t: ExperimentTemplate) -> str:
    """What ``t`` fits, in words: "services payment; tiers business"."""
    f = t.fits
    parts = [f"{what} {', '.join(items)}" for what, items in
             (("services", f.services), ("tiers", f.tiers), ("kinds", f.types)) if items]
    return "; ".join(parts)


def _abort(t: ExperimentTemplate, names: dict[str, str], *, latency: bool) -> AbortThreshold:
    if t.abort is None:  # as the planner's own ideas: the seed's 5% at the edge, and p95 for a slowing fault
        return AbortThreshold(service=names["edge"], error_rate_pct=SEED_EDGE_ERROR_ABORT_PCT,
                              latency_p95_ms=EDGE_LATENCY_ABORT_MS if latency else None)
    a = t.abort
    return AbortThreshold(service=a.service.format_map(names), error_rate_pct=a.error_rate_pct,
                          latency_p95_ms=a.latency_p95_ms, reason=a.reason)


def _hypothesis(t: ExperimentTemplate, names: dict[str, str], *, affected: list[str], duration_s: int) -> Hypothesis:
    h = t.hypothesis
    return Hypothesis(
        statement=h.statement.format_map(names)[:2000],
        affected_services=affected[:MAX_AFFECTED],
        expected=[ExpectedSignal(service=e.service.format_map(names), signal=e.signal, peak=e.peak) for e in h.expected],
        recovery_s=h.recovery_s if h.recovery_s is not None else duration_s + 5,
    )
