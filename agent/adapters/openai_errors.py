"""What the LLM adapters share about OpenAI-compatible endpoints: the one-line cause of a
failure (with the setting to check) and the token usage a response reports."""

from __future__ import annotations

from typing import Any

import openai

from agent.inventory.summary import clean
from agent.models import LLMUsage


def cause(e: openai.OpenAIError, *, timeout_s: object, base_url: str | None, model: str) -> str:
    """Why a request failed, as the tail of "LLM endpoint ..."."""
    if isinstance(e, openai.APITimeoutError):
        return f"timed out after {timeout_s:g} s (llm.timeout_s)" if isinstance(timeout_s, int | float) else "timed out (llm.timeout_s)"
    if isinstance(e, openai.APIConnectionError):
        where = base_url or "the default OpenAI URL"
        return f"is unreachable at {where} ({clean(str(e.__cause__ or e), 120)}); check llm.base_url"
    if isinstance(e, openai.AuthenticationError | openai.PermissionDeniedError):
        return f"refused the API key (HTTP {e.status_code}); check llm.api_key or OPENAI_API_KEY"
    if isinstance(e, openai.RateLimitError):
        return "rate-limited the request (HTTP 429); wait and ask again"
    if isinstance(e, openai.NotFoundError):
        return f"does not serve model {model!r} (HTTP 404); check llm.model"
    if isinstance(e, openai.APIStatusError):
        return f"failed with HTTP {e.status_code} ({clean(e.message, 120)})"
    return f"failed ({type(e).__name__}: {clean(str(e), 120)})"


def usage_of(raw: Any) -> LLMUsage:
    """The tokens one response reports (LangChain's usage_metadata), as one call."""
    meta = getattr(raw, "usage_metadata", None) or {}
    return LLMUsage(prompt_tokens=meta.get("input_tokens", 0), completion_tokens=meta.get("output_tokens", 0), calls=1)
