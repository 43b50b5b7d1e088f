"""The Anthropic messages API end to end over HTTP, against recorded response shapes."""

from __future__ import annotations

import asyncio

import pytest
from runtime_loopback import ANTHROPIC_KEY
from runtime_loopback import TRIAGE_SCHEMA
from runtime_loopback import Reply
from runtime_loopback import Triage
from runtime_loopback import data
from runtime_loopback import parse_triage

from promptlang.runtime.call import acall
from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import MissingApiKey
from promptlang.runtime.errors import RateLimited
from promptlang.runtime.messages import Message

MESSAGES = [Message("system", "You are a support agent."),
            Message("system", "Answer in English."),
            Message("user", "Hi, where is my order?")]


def claude(server, **settings) -> ModelConfig:
    defaults = dict(provider="anthropic", name="claude-sonnet-4-5",
                    api_key_env="TEST_ANTHROPIC_KEY", base_url=server.url)
    return ModelConfig(**{**defaults, **settings})


def test_a_message_puts_system_text_on_top_and_reads_text_and_usage(server, providers):
    server.reply(Reply(data("anthropic_message")))
    config = claude(server, temperature=0.3, top_p=0.8, top_k=40, stop=("###",))
    completion = providers.anthropic.complete(config, MESSAGES)

    [seen] = server.requests
    assert seen.path == "/v1/messages"
    assert seen.headers["x-api-key"] == ANTHROPIC_KEY
    assert seen.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in seen.headers
    assert seen.body == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "system": "You are a support agent.\n\nAnswer in English.",
        "messages": [{"role": "user", "content": "Hi, where is my order?"}],
        "temperature": 0.3, "top_p": 0.8, "top_k": 40, "stop_sequences": ["###"],
    }
    assert completion.text == "Hello! I can help with your order."
    assert completion.model == "claude-sonnet-4-5-20250929"
    assert (completion.input_tokens, completion.output_tokens) == (25, 11)  # 21 + 4 cache reads


def test_max_tokens_is_the_models_when_set(server, providers):
    server.reply(Reply(data("anthropic_message")))
    providers.anthropic.complete(claude(server, max_tokens=200), MESSAGES[2:])
    assert server.requests[0].body["max_tokens"] == 200
    assert "system" not in server.requests[0].body


def test_structured_output_forces_one_tool_with_the_output_schema(server, providers):
    server.reply(Reply(data("anthropic_tool_use")))
    triage = call(claude(server), MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
                  providers=providers)

    body = server.requests[0].body
    assert body["tools"] == [{"name": "output", "description": "Give your answer as this tool's input.",
                              "input_schema": TRIAGE_SCHEMA}]
    assert body["tool_choice"] == {"type": "tool", "name": "output"}
    assert triage == Triage("billing", "high", "Customer was charged twice for order 1042.")


def test_overloaded_529_is_retried(server, providers, backoff, sleeps):
    server.reply(Reply(data("anthropic_error_overloaded"), status=529), Reply(data("anthropic_message")))
    assert call(claude(server), MESSAGES, providers=providers, backoff=backoff).startswith("Hello!")
    assert len(server.requests) == 2 and len(sleeps) == 1


def test_rate_limit_carries_the_providers_message_and_retry_after(server, providers, backoff, sleeps):
    server.reply(*[Reply(data("anthropic_error_rate_limit"), status=429, headers={"retry-after": "3"})] * 2)
    with pytest.raises(RateLimited) as caught:
        call(claude(server, retries=1), MESSAGES, providers=providers, backoff=backoff)
    assert "50,000 input tokens per minute" in str(caught.value)
    assert caught.value.retry_after == 3.0 and sleeps == [3.0]


def test_a_missing_key_sends_nothing(server, providers):
    with pytest.raises(MissingApiKey, match="NO_SUCH_KEY"):
        call(claude(server, api_key_env="NO_SUCH_KEY"), MESSAGES, providers=providers)
    assert server.requests == []


def test_async_structured_output(server, providers):
    server.reply(Reply(data("anthropic_tool_use")))

    async def main():
        try:
            return await acall(claude(server), MESSAGES, output=parse_triage,
                               json_schema=TRIAGE_SCHEMA, providers=providers)
        finally:
            await providers.aclose()

    assert asyncio.run(main()).category == "billing"
