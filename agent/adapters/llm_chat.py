"""The chat's model: ChatOpenAI with the house settings, its errors mapped to one project error.

``chat_model(settings)`` is what ``agent.chat.agent.ChatAgent`` binds the tools to. No client
retries (``max_retries=0``) and ``llm.timeout_s`` per request, so a dead endpoint costs one short
wait and the person at the terminal sees why at once.

Errors met here, and what becomes of them (none leaves this module)::

    openai.APITimeoutError                          -> ChatUnavailable "timed out after N s"
    openai.APIConnectionError                       -> ChatUnavailable "unreachable at URL"
    openai.AuthenticationError, PermissionDenied    -> ChatUnavailable "refused the API key (HTTP 401)"
    openai.RateLimitError                           -> ChatUnavailable "rate-limited (HTTP 429)"
    openai.NotFoundError                            -> ChatUnavailable "does not serve model M"
    openai.APIStatusError (5xx, other 4xx)          -> ChatUnavailable "failed with HTTP N"
"""

from __future__ import annotations

from typing import Any

import openai
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_openai import ChatOpenAI

from agent.adapters.openai_errors import cause
from agent.config import LLM
from agent.errors import ChaosAdvisorError, ConfigError


class ChatUnavailable(ChaosAdvisorError):
    """The chat model's endpoint gave no answer; the message says why and what to check."""


class _MappedChatOpenAI(ChatOpenAI):
    """ChatOpenAI whose endpoint failures arrive as ChatUnavailable (``bind_tools`` keeps it)."""

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except openai.OpenAIError as e:
            raise ChatUnavailable(
                f"LLM endpoint {cause(e, timeout_s=self.request_timeout, base_url=self.openai_api_base, model=self.model_name)}"
            ) from e


def chat_model(settings: LLM) -> BaseChatModel:
    """The chat model ``settings`` describe; ConfigError when it has no API key."""
    if settings.api_key is None:
        raise ConfigError("llm.api_key: not set (nor OPENAI_API_KEY); set one, or llm.enabled: false "
                          "to chat with /commands only")
    return _MappedChatOpenAI(model=settings.model, temperature=settings.temperature, base_url=settings.base_url,
                             api_key=settings.api_key, timeout=settings.timeout_s, max_retries=0)
