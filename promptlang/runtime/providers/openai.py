"""The OpenAI chat completions API, which OpenAI, Azure OpenAI, vLLM, Ollama and
llama.cpp servers all speak: `POST {base}/chat/completions`, messages as they are,
structured output through `response_format` with a strict JSON Schema."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from collections.abc import Sequence

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.base import HttpProvider
from promptlang.runtime.providers.base import HttpRequest
from promptlang.runtime.providers.base import JsonSchema
from promptlang.runtime.providers.base import api_key
from promptlang.runtime.providers.base import count
from promptlang.runtime.providers.base import put
from promptlang.runtime.providers.base import shape_error

OPENAI_URL = "https://api.openai.com/v1"
OLLAMA_URL = "http://localhost:11434/v1"
# The first generally available Azure API version with structured outputs.
AZURE_API_VERSION = "2024-10-21"
# Providers whose base URL may come from OPENAI_BASE_URL, the variable OpenAI's own
# clients read; Ollama has its own well-known address and Azure needs the resource's.
_ENV_BASE_URL = ("openai", "openai_compatible")


class OpenAIChat(HttpProvider):
    """The chat completions API for the providers openai, azure_openai, ollama and
    openai_compatible; they differ only in URL and authentication."""

    def request(self, config: ModelConfig, messages: Sequence[Message],
                json_schema: JsonSchema | None) -> HttpRequest:
        """URL and headers by provider, the same body for all."""
        body = request_body(config, messages, json_schema)
        if config.provider == "azure_openai":
            return _azure(config, body)
        headers = {"content-type": "application/json"}
        key = api_key(config, required=config.provider == "openai")
        if key is not None:
            headers["authorization"] = f"Bearer {key}"
        if config.organization:
            headers["openai-organization"] = config.organization
        return HttpRequest(url=f"{base_url(config)}/chat/completions", headers=headers, body=body)

    def completion(self, config: ModelConfig, data: Mapping[str, object],
                   json_schema: JsonSchema | None) -> Completion:
        """The first choice's message. A refusal (structured output the model declined to
        give) comes back as the text, which then fails to parse like any wrong answer."""
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise shape_error(config, "no `choices`")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise shape_error(config, "the first choice has no `message`")
        text = message.get("content")
        if text is None:
            text = message.get("refusal") or ""
        if not isinstance(text, str):
            raise shape_error(config, "the message `content` is not a string")
        usage = data.get("usage")
        return Completion(text=text, model=str(data.get("model") or config.name),
                          input_tokens=count(usage, "prompt_tokens"),
                          output_tokens=count(usage, "completion_tokens"), raw=data)


def base_url(config: ModelConfig) -> str:
    """The model's `base_url`, else OPENAI_BASE_URL (openai, openai_compatible), else
    the provider's well-known address; without trailing slash."""
    url = config.base_url
    if url is None and config.provider in _ENV_BASE_URL:
        url = os.environ.get("OPENAI_BASE_URL") or None
    if url is None:
        url = {"openai": OPENAI_URL, "ollama": OLLAMA_URL}.get(config.provider)
    if url is None:
        raise ConfigurationError(f"model {config.describe()} needs a `base_url` "
                                 f"(or the OPENAI_BASE_URL variable)")
    return url.rstrip("/")


def request_body(config: ModelConfig, messages: Sequence[Message],
                 json_schema: JsonSchema | None) -> dict[str, object]:
    """The chat completions body. OpenAI itself gets `max_completion_tokens` (its
    reasoning models refuse `max_tokens`); the others get `max_tokens`, which every
    compatible server reads. Azure names the model by deployment, not in the body."""
    body: dict[str, object] = {}
    if config.provider != "azure_openai":
        body["model"] = config.name
    body["messages"] = [{"role": m.role, "content": m.content} for m in messages]
    put(body, "temperature", config.temperature)
    put(body, "top_p", config.top_p)
    max_key = "max_completion_tokens" if config.provider == "openai" else "max_tokens"
    put(body, max_key, config.max_tokens)
    put(body, "stop", config.stop)
    put(body, "seed", config.seed)
    if json_schema is not None:
        body["response_format"] = response_format(json_schema)
    return body


def response_format(json_schema: JsonSchema) -> dict[str, object]:
    """Strict structured output with the schema; its name, which the API requires, from
    the schema's `title` made to fit `^[a-zA-Z0-9_-]{1,64}$`."""
    title = json_schema.get("title")
    name = re.sub(r"[^a-zA-Z0-9_-]", "_", title)[:64] if isinstance(title, str) and title else ""
    return {"type": "json_schema",
            "json_schema": {"name": name or "output", "schema": dict(json_schema), "strict": True}}


def _azure(config: ModelConfig, body: dict[str, object]) -> HttpRequest:
    """`{base}/openai/deployments/{deployment}/chat/completions?api-version=...`, the key
    in an `api-key` header."""
    if not config.base_url or not config.deployment:
        raise ConfigurationError(f"model {config.describe()} needs a `base_url` and a "
                                 f"`deployment` (Azure OpenAI)")
    key = api_key(config, required=True)
    assert key is not None
    url = f"{config.base_url.rstrip('/')}/openai/deployments/{config.deployment}/chat/completions"
    return HttpRequest(url=url, headers={"content-type": "application/json", "api-key": key},
                       body=body, params={"api-version": config.api_version or AZURE_API_VERSION})
