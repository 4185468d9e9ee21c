"""The LLM narrator: a model writes the report's "What happened" and extra recommendations from a
compact evidence bundle; code keeps only the sentences whose numbers the evidence holds.

Flow of :meth:`LLMNarrator.narrate`::

    no spec / nothing injected / no API key -> None (no request)
    prompt (system rules; the evidence bundle, fenced as quoted data, <= EVIDENCE_TOKENS)
      -> one structured-output call (json_schema, strict)
      -> every sentence's numbers checked against the evidence (agent.report.number_check.check)
      -> "what_happened" left with something -> Narrative (dropped sentences listed)
      -> nothing usable left -> None
    endpoint down / timeout / HTTP error / not JSON for the schema -> None at once (max_retries=0)

None means the report is written from the data alone, so a failing model costs one request and
changes nothing else. There is no retry: the deterministic text is always there to fall back on.

Errors met here, and what becomes of them (none leaves this module)::

    openai.OpenAIError (timeout, connection, 4xx, 5xx)   -> None; ``notice`` names the cause
    answer not valid for the schema                      -> None; usage of the answer is kept

Token usage of every answer that arrived (even an unusable one) adds up in :attr:`LLMNarrator.usage`;
a Narrative carries its own call's usage.
"""

from __future__ import annotations

from typing import Any

import openai
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, ValidationError

from agent.adapters.llm_schema import ResponseFormat
from agent.adapters.openai_errors import usage_of
from agent.config import LLM
from agent.inventory.summary import clean
from agent.models import LLMUsage
from agent.report.evidence import bundle
from agent.report.number_check import Evidence, check
from agent.report.record import Narrative, RunRecord
from prompts import render

MAX_WHAT_HAPPENED = 2000  # characters kept of the narrative (a few paragraphs at most)
MAX_RECOMMENDATIONS = 3
MAX_RECOMMENDATION = 400  # characters per recommendation

SCHEMA: ResponseFormat = {
    "name": "narration",
    "description": "The report's prose, written from the evidence",
    "schema": {
        "type": "object",
        "properties": {
            "what_happened": {"type": "string"},
            "recommendations": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["what_happened", "recommendations"],
        "additionalProperties": False,
    },
    "strict": True,
}


class NarrationAnswer(BaseModel):
    """What the model answers (SCHEMA), checked once here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    what_happened: str
    recommendations: list[str]


def build_messages(evidence: Evidence) -> list[BaseMessage]:
    """The system rules, and the evidence as fenced data."""
    return [SystemMessage(render("narrate_system")), HumanMessage(render("narrate", evidence=evidence.text))]


class LLMNarrator:
    """Implements :class:`agent.ports.Narrator` with an OpenAI-compatible chat model."""

    def __init__(self, settings: LLM) -> None:
        self._settings = settings
        self.usage = LLMUsage()  # every call's tokens, usable answer or not
        self.notice: str | None = None  # why the last narrate() returned None, if it did

    def narrate(self, record: RunRecord) -> Narrative | None:
        """Checked prose for ``record``, or None (the report then uses its deterministic text)."""
        outcome = self._attempt(record)
        if isinstance(outcome, Narrative):
            self.notice = None
            return outcome
        self.notice = f"LLM narration skipped ({outcome}); the report is written from the data alone"
        return None

    def _attempt(self, record: RunRecord) -> Narrative | str:
        """The checked narrative, or why there is none."""
        if record.spec is None or not record.injected:
            return "nothing was injected, so there is nothing to narrate"
        if self._settings.api_key is None:
            return "no API key: set llm.api_key or OPENAI_API_KEY"
        evidence = bundle(record)
        try:
            result = self._model().invoke(build_messages(evidence))
        except openai.OpenAIError as e:
            return self._cause(e)
        assert isinstance(result, dict)
        raw = result["raw"]
        usage = usage_of(raw)
        self.usage = LLMUsage(prompt_tokens=self.usage.prompt_tokens + usage.prompt_tokens,
                              completion_tokens=self.usage.completion_tokens + usage.completion_tokens,
                              calls=self.usage.calls + 1)
        try:
            answer = NarrationAnswer.model_validate(result.get("parsed"))
        except ValidationError:
            return f"the answer was not JSON for the schema: {clean(str(result.get('parsing_error')), 120)}"
        model = clean(str((raw.response_metadata or {}).get("model_name") or self._settings.model), 60)
        narrative = _checked(answer, evidence, usage=usage, model=model)
        return narrative or "no sentence of the answer had all its numbers in the evidence"

    def _model(self) -> Runnable[list[BaseMessage], Any]:
        """The chat model bound to SCHEMA (as a dict, so an invalid answer still hands back the raw
        message and its usage); no client retries, so a failing endpoint costs one request."""
        s = self._settings
        chat = ChatOpenAI(model=s.model, temperature=s.temperature, base_url=s.base_url,
                          api_key=s.api_key, timeout=s.timeout_s, max_retries=0)
        return chat.with_structured_output(dict(SCHEMA), method="json_schema", include_raw=True)

    def _cause(self, e: openai.OpenAIError) -> str:
        s = self._settings
        if isinstance(e, openai.APITimeoutError):
            return f"the endpoint timed out after {s.timeout_s:g} s (llm.timeout_s)"
        if isinstance(e, openai.APIConnectionError):
            return f"the endpoint is unreachable at {s.base_url or 'the default OpenAI URL'}"
        if isinstance(e, openai.APIStatusError):
            return f"the endpoint failed with HTTP {e.status_code}: {clean(e.message, 120)}"
        return f"the endpoint failed: {type(e).__name__}: {clean(str(e), 120)}"


def _checked(answer: NarrationAnswer, evidence: Evidence, *, usage: LLMUsage, model: str) -> Narrative | None:
    """The answer with every sentence that cites a number outside the evidence removed."""
    story = check(_tidy(answer.what_happened, MAX_WHAT_HAPPENED), evidence)
    if not story.kept:
        return None
    dropped, recommendations = list(story.dropped), []
    for text in answer.recommendations[:MAX_RECOMMENDATIONS]:
        rec = check(_tidy(text, MAX_RECOMMENDATION).lstrip("-*• "), evidence)
        dropped += rec.dropped
        if rec.kept:
            recommendations.append(" ".join(rec.kept.splitlines()))
    return Narrative(what_happened=story.kept, recommendations=recommendations, dropped=dropped,
                     usage=usage, model=model)


def _tidy(text: str, limit: int) -> str:
    """Model text made safe for the Markdown report: no control characters or backticks, no
    headings, cut to ``limit`` characters."""
    lines = [clean(line, limit).lstrip("#").strip() for line in text[:limit].splitlines()]
    return "\n".join(line for line in lines if line)
