"""The LLM designer: a model proposes experiments; code checks, converts and ranks them.

Flow of :meth:`LLMDesigner.propose`::

    prompt (inventory summary as quoted data, allowed actions, limits, count)
      -> one structured-output call (json_schema, strict)
      -> valid?  -> ExperimentSpecs (selectors from the inventory) -> ranked by score_spec
      -> invalid -> ONE retry carrying the validation errors -> still invalid -> fallback
      -> valid, but an abort or prediction on a signal nothing can measure (agent.design.measurable)
         -> ONE retry naming where to look -> still so, or failing -> the valid answer, those predictions dropped
    endpoint down / timeout / HTTP 429, 5xx, auth -> fallback at once (max_retries=0)

The prompt is built in :mod:`agent.adapters.llm_prompt`. The fallback (the offline planner) answers with a notice naming the cause, so the user always
gets candidates and knows who designed them. At most two requests are made per proposal.

Errors met here, and what becomes of them (none leaves this module)::

    openai.APITimeoutError                          -> fallback: "timed out after N s"
    openai.APIConnectionError                       -> fallback: "unreachable at URL"
    openai.AuthenticationError, PermissionDenied    -> fallback: "refused the API key (HTTP 401)"
    openai.RateLimitError                           -> fallback: "rate-limited the request (HTTP 429)"
    openai.APIStatusError (5xx, other 4xx)          -> fallback: "failed with HTTP N"
    LLMOutputInvalid (JSON, schema, unknown action) -> one retry, then fallback

The schema is sent as a JSON schema built from the pydantic models below (not the class itself):
with a class, the openai client validates the answer inside the request, so an invalid answer
raises a pydantic error before LangChain hands back the raw message and its token usage.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from pydantic import ValidationError

from agent.adapters.llm_prompt import build_prompt
from agent.adapters.llm_schema import LLMDesign, LLMExperiment, strict_schema
from agent.adapters.openai_errors import cause, usage_of
from agent.config import LLM, Policy
from agent.design.measurable import measurable_only, unmeasurable
from agent.design.planner import score_spec
from agent.design.risk import assessed_risk
from agent.design.templates import held_to
from agent.errors import ChaosAdvisorError, LLMOutputInvalid
from agent.inventory.summary import clean
from agent.models import (
    Candidate,
    ExperimentSpec,
    Inventory,
    LLMUsage,
    Proposal,
    TargetSelector,
)
from agent.models.template import ExperimentTemplate
from agent.ports import Designer
from prompts import render

MAX_ERRORS = 8  # validation errors quoted back to the model


class _EndpointFailed(ChaosAdvisorError):
    """The endpoint gave no usable answer (never leaves this module: the fallback takes over)."""


@dataclass(frozen=True)
class _Answer:
    text: str
    parsed: object | None
    parse_error: str | None
    usage: LLMUsage


class LLMDesigner:
    """Implements :class:`agent.ports.Designer` with an OpenAI-compatible chat model."""

    name = "llm"

    def __init__(self, settings: LLM, *, fallback: Designer, policy: Policy,
                 templates: Sequence[ExperimentTemplate] = ()) -> None:
        self._settings = settings
        self._fallback = fallback
        self._policy = policy
        self._templates = {t.name: t for t in templates}  # custom templates the model may follow

    def propose(self, inventory: Inventory, count: int) -> Proposal:
        usage = LLMUsage()
        if self._settings.api_key is None:
            return self._fall_back(inventory, count, "has no API key (set llm.api_key or OPENAI_API_KEY)", usage)
        prompt = build_prompt(inventory, policy=self._policy, count=count,
                              max_tokens=self._settings.max_prompt_tokens, templates=list(self._templates.values()))
        messages: list[BaseMessage] = [SystemMessage(prompt.system), HumanMessage(prompt.user)]
        model, problem = self._model(), ""
        usable: list[ExperimentSpec] = []  # a valid answer whose predictions could not all be measured
        for attempt in range(2):
            try:
                answer = self._ask(model, messages)
            except _EndpointFailed as e:
                if usable:
                    break
                return self._fall_back(inventory, count, str(e), usage)
            usage = usage.plus(answer.usage)
            try:
                specs = _specs(answer, inventory, self._templates)
            except LLMOutputInvalid as e:
                problem = str(e)
                messages += [AIMessage(answer.text), HumanMessage(render("design_retry", errors=problem))]
                continue
            blind = [f"experiments[{i}].{w}" for i, spec in enumerate(specs) for w in unmeasurable(spec, inventory)]
            if blind and attempt == 0:  # asked once to fix them; the answer is kept if the second is worse
                usable = specs
                messages += [AIMessage(answer.text), HumanMessage(render("design_retry", errors="\n".join(blind)))]
                continue
            return self._ranked(inventory, specs, count, usage)
        if usable:
            return self._ranked(inventory, usable, count, usage)
        short = clean(problem.splitlines()[0] if problem else "no answer", 160)
        return self._fall_back(inventory, count, f"output invalid twice ({short})", usage, prefix="LLM")

    def _ranked(self, inventory: Inventory, specs: list[ExperimentSpec], count: int, usage: LLMUsage) -> Proposal:
        specs = [measurable_only(spec, inventory) for spec in specs]
        scored = sorted(((score_spec(inventory, s), s) for s in specs), key=lambda x: (-x[0][0], x[1].title))
        candidates = [
            Candidate(rank=n, score=round(score, 2),
                      spec=spec.model_copy(update={"rationale": _with_reasons(spec.rationale, reasons)}))
            for n, ((score, reasons), spec) in enumerate(scored[:count], 1)
        ]
        notice = (f"the model proposed {len(specs)} experiments; the {count} best by score are shown"
                  if len(specs) > count else None)
        return Proposal(designer=self.name, candidates=candidates, notice=notice, usage=usage)

    def _fall_back(self, inventory: Inventory, count: int, why: str, usage: LLMUsage,
                   *, prefix: str = "LLM endpoint") -> Proposal:
        proposal = self._fallback.propose(inventory, count)
        notice = f"{prefix} {why}; the offline {self._fallback.name} designed these"
        return proposal.model_copy(update={"notice": notice, "usage": usage})

    def _model(self) -> Runnable[list[BaseMessage], Any]:
        """The chat model bound to the response schema; no client retries (we retry only on
        invalid output, once), so a failing endpoint costs one request."""
        s = self._settings
        chat = ChatOpenAI(model=s.model, temperature=s.temperature, base_url=s.base_url,
                          api_key=s.api_key, timeout=s.timeout_s, max_retries=0)
        return chat.with_structured_output(strict_schema(list(self._templates)), method="json_schema", include_raw=True)

    def _ask(self, model: Runnable[list[BaseMessage], Any], messages: list[BaseMessage]) -> _Answer:
        """One request; endpoint failures become _EndpointFailed with a readable cause."""
        try:
            result = model.invoke(messages)
        except openai.OpenAIError as e:
            raise _EndpointFailed(cause(e, timeout_s=self._settings.timeout_s, base_url=self._settings.base_url, model=self._settings.model)) from e
        assert isinstance(result, dict)
        raw = result["raw"]
        error = result.get("parsing_error")
        return _Answer(
            text=raw.content if isinstance(raw.content, str) else str(raw.content),
            parsed=result.get("parsed"),
            parse_error=f"not valid JSON for the schema ({clean(str(error), 200)})" if error else None,
            usage=usage_of(raw),
        )


def _with_reasons(rationale: str, reasons: list[str]) -> str:
    return f"{rationale} [ranked by code: {'; '.join(reasons)}]" if rationale else f"ranked by code: {'; '.join(reasons)}"


# --- model output -> specs -----------------------------------------------------------------------


def _specs(answer: _Answer, inventory: Inventory, templates: dict[str, ExperimentTemplate] | None = None) -> list[ExperimentSpec]:
    """The answer as ExperimentSpecs, or LLMOutputInvalid listing what to fix."""
    if answer.parse_error or answer.parsed is None:
        raise LLMOutputInvalid(answer.parse_error or "the answer was empty")
    try:
        design = LLMDesign.model_validate(answer.parsed)
    except ValidationError as e:
        raise LLMOutputInvalid(_describe(e, "")) from None
    if not design.experiments:
        raise LLMOutputInvalid("experiments: the list is empty; propose at least one experiment")
    specs, errors = [], []
    for i, item in enumerate(design.experiments):
        try:
            specs.append(held_to(to_spec(item, inventory), item.template, templates or {}, inventory))
        except ValidationError as e:
            errors.append(_describe(e, f"experiments[{i}]."))
        except ValueError as e:  # held to its template (agent.design.templates)
            errors.append(f"experiments[{i}].template: {e}")
    if errors:
        raise LLMOutputInvalid("\n".join(errors))
    return specs


def to_spec(item: LLMExperiment, inventory: Inventory) -> ExperimentSpec:
    """One proposal as a spec. Namespace, labels and kind come from the inventory, never the model;
    an unknown service keeps its name (in the inventory's namespace) so the policy refuses it visibly.
    Free text is cleaned and cut; a ValidationError names the field (e.g. ``abort_threshold``)."""
    h, abort = item.hypothesis, item.abort_threshold
    return ExperimentSpec.model_validate({
        "title": clean(item.title, 120),
        "description": clean(item.description, 400),
        "action": item.action,
        "target_selector": _selector(item.target_service, inventory),
        "parameters": item.parameters.model_dump(exclude_none=True),
        "abort_threshold": {"service": clean(abort.service, 63), "error_rate_pct": abort.error_rate_pct,
                            "latency_p95_ms": abort.latency_p95_ms},
        "expected_impact": clean(item.expected_impact, 400),
        # The model's own risk word is ignored: the catalog and the target decide it.
        "risk_level": assessed_risk(item.action, inventory.target(item.target_service)),
        "rationale": clean(item.rationale, 600),
        "hypothesis": {
            "statement": clean(h.statement, 400),
            "affected_services": [clean(s, 63) for s in h.affected_services[:20]],
            "expected": [{"service": clean(x.service, 63), "signal": x.signal, "peak": x.peak}
                         for x in h.expected[:20]],
            "recovery_s": h.recovery_s,
        },
    })


def _selector(service: str, inventory: Inventory) -> TargetSelector:
    target = inventory.target(service)
    if target is None:
        namespaces = Counter(t.namespace for t in inventory.targets).most_common(1)
        name = clean(service, 63) or "(empty)"
        # A label value the API would accept, so the policy (not the parser) refuses the target.
        label = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-_.")[:63].strip("-_.") or "unknown"
        return TargetSelector(service=name, namespace=namespaces[0][0] if namespaces else "unknown",
                              labels={"name": label})
    kind = "statefulset" if target.workload and target.workload.kind == "StatefulSet" else "deployment"
    return TargetSelector(service=target.name, namespace=target.namespace, labels=target.selector, kind=kind)


def _describe(error: ValidationError, prefix: str) -> str:
    lines = []
    for err in error.errors()[:MAX_ERRORS]:
        where = prefix + ".".join(str(p) for p in err["loc"]) if err["loc"] else prefix.rstrip(".") or "(top level)"
        got = clean(repr(err.get("input")), 80)
        lines.append(f"{where}: {err['msg']} (got {got})")
    more = error.error_count() - len(lines)
    return "\n".join(lines + ([f"... and {more} more"] if more > 0 else []))
