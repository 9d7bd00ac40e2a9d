"""The vendor SDK clients behind the LLM engine (summaries/llm.py), in their own module because the
Anthropic and OpenAI SDKs take seconds to import: llm.py imports this on the first model call, so a
process with no model configured (the demo, most tests) never pays for them.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import anthropic
import httpx2
import openai
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

if TYPE_CHECKING:
    from relaydesk.summaries.llm import LlmConfig

# Local OpenAI-compatible servers ignore the key, but the SDK refuses an empty one.
NO_KEY_PLACEHOLDER = "not-needed"


class NotConfigured(Exception):
    """The provider cannot be called as configured (no API key)."""

    pass


def build_model(config: LlmConfig, sent: list[str]) -> tuple[Model, Callable[[], Awaitable[None]]]:
    """The pydantic-ai model, and how to close its SDK client so no connection outlives the call.

    Every request body is appended to `sent` as it leaves, so the run records exactly what was sent.
    """

    async def record(request: httpx2.Request) -> None:
        sent.append((await request.aread()).decode("utf-8", errors="replace"))

    hooks = {"request": [record]}
    # max_retries=0 on both SDKs: they retry twice on their own by default; the count is ours (module doc).
    timeout = config.deadline_seconds
    if config.provider == "anthropic":
        key = config.api_key or os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise NotConfigured("no API key: set ANTHROPIC_API_KEY")
        anthropic_client = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=config.base_url,
            max_retries=0,
            timeout=timeout,
            # The SDK sends the key as a bearer token; x-api-key is the documented header, and the one
            # Anthropic-compatible endpoints behind a base_url check.
            default_headers={"x-api-key": key},
            http_client=anthropic.DefaultAsyncHttpxClient(event_hooks=hooks),
        )
        provider = AnthropicProvider(anthropic_client=anthropic_client)
        return AnthropicModel(config.model_name, provider=provider), anthropic_client.close

    key = config.api_key
    if not config.base_url:
        key = key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise NotConfigured("no API key: set OPENAI_API_KEY")
    openai_client = openai.AsyncOpenAI(
        api_key=key or NO_KEY_PLACEHOLDER,
        base_url=config.base_url,
        max_retries=0,
        timeout=timeout,
        http_client=openai.DefaultAsyncHttpxClient(event_hooks=hooks),
    )
    openai_provider: OpenAIProvider | OpenAICompatibleProvider
    if config.base_url:
        # Not OpenAI: the compatible provider picks generic model profiles rather than OpenAI's own.
        openai_provider = OpenAICompatibleProvider("openai-compatible", openai_client=openai_client)
    else:
        openai_provider = OpenAIProvider(openai_client=openai_client)
    return OpenAIChatModel(config.model_name, provider=openai_provider), openai_client.close
