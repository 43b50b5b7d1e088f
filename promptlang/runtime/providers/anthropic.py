"""The Anthropic messages API: `POST {base}/v1/messages`, system text as the top-level
`system`, structured output through one tool whose input schema is the output schema
and which `tool_choice` forces the model to call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from collections.abc import Sequence

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.base import HttpProvider
from promptlang.runtime.providers.base import HttpRequest
from promptlang.runtime.providers.base import JsonSchema
from promptlang.runtime.providers.base import api_key
from promptlang.runtime.providers.base import count
from promptlang.runtime.providers.base import put
from promptlang.runtime.providers.base import shape_error

ANTHROPIC_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
# The API requires `max_tokens`; this is what a model without the setting asks for.
DEFAULT_MAX_TOKENS = 1024
OUTPUT_TOOL = "output"


class AnthropicMessages(HttpProvider):
    """The messages API. `base_url`, like the Anthropic SDK's, excludes `/v1`."""

    def request(self, config: ModelConfig, messages: Sequence[Message],
                json_schema: JsonSchema | None) -> HttpRequest:
        """The request, keyed by `x-api-key` and pinned to one API version."""
        key = api_key(config, required=True)
        assert key is not None
        headers = {"content-type": "application/json", "x-api-key": key,
                   "anthropic-version": ANTHROPIC_VERSION}
        url = f"{(config.base_url or ANTHROPIC_URL).rstrip('/')}/v1/messages"
        return HttpRequest(url=url, headers=headers, body=request_body(config, messages, json_schema))

    def completion(self, config: ModelConfig, data: Mapping[str, object],
                   json_schema: JsonSchema | None) -> Completion:
        """The forced tool's input as JSON text for structured output, else the text
        blocks joined. Input tokens include those read from or written to the cache."""
        content = data.get("content")
        if not isinstance(content, list):
            raise shape_error(config, "no `content` list")
        blocks = [block for block in content if isinstance(block, dict)]
        usage = data.get("usage")
        inputs = sum(count(usage, name) for name in
                     ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
        return Completion(text=_answer(blocks, json_schema is not None),
                          model=str(data.get("model") or config.name), input_tokens=inputs,
                          output_tokens=count(usage, "output_tokens"), raw=data)


def request_body(config: ModelConfig, messages: Sequence[Message],
                 json_schema: JsonSchema | None) -> dict[str, object]:
    """The messages body: system messages joined into `system`, the rest in order."""
    body: dict[str, object] = {"model": config.name,
                               "max_tokens": config.max_tokens or DEFAULT_MAX_TOKENS}
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    put(body, "system", system or None)
    body["messages"] = [{"role": m.role, "content": m.content}
                        for m in messages if m.role != "system"]
    put(body, "temperature", config.temperature)
    put(body, "top_p", config.top_p)
    put(body, "top_k", config.top_k)
    put(body, "stop_sequences", config.stop)
    if json_schema is not None:
        body["tools"] = [{"name": OUTPUT_TOOL,
                          "description": "Give your answer as this tool's input.",
                          "input_schema": dict(json_schema)}]
        body["tool_choice"] = {"type": "tool", "name": OUTPUT_TOOL}
    return body


def _answer(blocks: list[dict[str, object]], structured: bool) -> str:
    if structured:
        for block in blocks:
            if block.get("type") == "tool_use" and block.get("name") == OUTPUT_TOOL:
                return json.dumps(block.get("input"), ensure_ascii=False)
    return "".join(str(block.get("text", "")) for block in blocks if block.get("type") == "text")
