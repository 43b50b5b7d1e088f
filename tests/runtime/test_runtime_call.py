"""What `call` adds to a provider: retries with backoff, Retry-After, timeouts, the
fallback chain, and the repair of an invalid structured answer."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from email.utils import format_datetime

import httpx
import pytest
from runtime_loopback import TRIAGE_SCHEMA
from runtime_loopback import Reply
from runtime_loopback import Triage
from runtime_loopback import data
from runtime_loopback import openai_answer
from runtime_loopback import parse_triage

from promptlang.runtime.backoff import Backoff
from promptlang.runtime.call import acall
from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.config import model_chain
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import MissingApiKey
from promptlang.runtime.errors import ProviderError
from promptlang.runtime.errors import RateLimited
from promptlang.runtime.errors import Timeout
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.base import retry_after

MESSAGES = [Message("user", "Triage: I was charged twice for order 1042.")]
VALID = json.dumps({"category": "billing", "priority": "high", "summary": "Charged twice."})


def openai(server, **settings) -> ModelConfig:
    defaults = dict(provider="openai", name="gpt-4o", api_key_env="TEST_OPENAI_KEY",
                    base_url=f"{server.url}/v1", retries=2)
    return ModelConfig(**{**defaults, **settings})


def claude(server, **settings) -> ModelConfig:
    defaults = dict(provider="anthropic", name="claude-sonnet-4-5",
                    api_key_env="TEST_ANTHROPIC_KEY", base_url=server.url, retries=0)
    return ModelConfig(**{**defaults, **settings})


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- structured output ------------------------------------------------------------------

def test_an_invalid_answer_is_sent_back_with_the_validation_error(server, providers, backoff):
    invalid = json.dumps({"category": "billing", "priority": "urgent", "summary": "x"})
    server.reply(Reply(openai_answer(invalid)), Reply(openai_answer(VALID)))
    triage = call(openai(server), MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
                  providers=providers, backoff=backoff)

    assert triage == Triage("billing", "high", "Charged twice.")
    first, second = (r.body["messages"] for r in server.requests)
    assert first == [{"role": "user", "content": MESSAGES[0].content}]
    assert second[:2] == [first[0], {"role": "assistant", "content": invalid}]
    assert second[2]["role"] == "user"
    assert "'priority' must be in ('low', 'normal', 'high') (got 'urgent')" in second[2]["content"]
    assert server.requests[1].body["response_format"] == server.requests[0].body["response_format"]


def test_an_answer_invalid_twice_raises_invalid_output(server, providers, backoff):
    server.reply(Reply(openai_answer("not json")), Reply(openai_answer('{"category": 3}')))
    with pytest.raises(InvalidOutput) as caught:
        call(openai(server), MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
             providers=providers, backoff=backoff)
    assert caught.value.raw == '{"category": 3}'
    assert "priority" in caught.value.error
    assert len(server.requests) == 2


def test_an_invalid_answer_does_not_fall_back(servers, providers, backoff):
    primary, secondary = servers(), servers()
    primary.reply(Reply(openai_answer("no")), Reply(openai_answer("still no")))
    with pytest.raises(InvalidOutput):
        call(openai(primary, fallback=(claude(secondary),)), MESSAGES, output=parse_triage,
             providers=providers, backoff=backoff)
    assert secondary.requests == []


# --- retries ------------------------------------------------------------------------------

def test_429_waits_as_long_as_retry_after_says(server, providers, backoff, sleeps):
    server.reply(Reply(data("openai_error_rate_limit"), status=429, headers={"retry-after": "7"}),
                 Reply(data("openai_chat_completion")))
    assert call(openai(server), MESSAGES, providers=providers, backoff=backoff).startswith("Hello!")
    assert sleeps == [7.0]
    assert len(server.requests) == 2


def test_429_prefers_retry_after_ms(server, providers, backoff, sleeps):
    server.reply(Reply(data("openai_error_rate_limit"), status=429,
                       headers={"retry-after-ms": "250", "retry-after": "1"}),
                 Reply(data("openai_chat_completion")))
    call(openai(server), MESSAGES, providers=providers, backoff=backoff)
    assert sleeps == [0.25]


def test_429_asking_for_too_long_a_wait_is_not_retried(server, providers, backoff, sleeps):
    server.reply(Reply(data("openai_error_rate_limit"), status=429, headers={"retry-after": "3600"}))
    with pytest.raises(RateLimited) as caught:
        call(openai(server), MESSAGES, providers=providers, backoff=backoff)
    assert caught.value.retry_after == 3600.0
    assert "Rate limit reached for gpt-4o" in str(caught.value)
    assert sleeps == [] and len(server.requests) == 1


def test_429_without_retry_after_backs_off_exponentially(server, providers, backoff, sleeps):
    server.reply(*[Reply(data("openai_error_rate_limit"), status=429)] * 3)
    with pytest.raises(RateLimited):
        call(openai(server), MESSAGES, providers=providers, backoff=backoff)
    assert len(server.requests) == 3  # the first attempt and `retries` = 2 more
    assert 0.005 <= sleeps[0] <= 0.01 and 0.01 <= sleeps[1] <= 0.02


def test_500_then_success(server, providers, backoff, sleeps):
    server.reply(Reply(data("openai_error_server"), status=500), Reply(data("openai_chat_completion")))
    assert call(openai(server), MESSAGES, providers=providers, backoff=backoff).startswith("Hello!")
    assert len(sleeps) == 1


def test_server_errors_until_retries_run_out(server, providers, backoff, sleeps):
    server.reply(*[Reply(data("openai_error_server"), status=503)] * 4)
    with pytest.raises(ProviderError) as caught:
        call(openai(server, retries=3), MESSAGES, providers=providers, backoff=backoff)
    assert caught.value.status == 503 and caught.value.retryable
    assert len(server.requests) == 4 and len(sleeps) == 3


def test_a_slow_server_times_out_and_is_retried(server, providers, backoff):
    server.reply(Reply(data("openai_chat_completion"), delay=1.0),
                 Reply(data("openai_chat_completion"), delay=1.0))
    with pytest.raises(Timeout) as caught:
        call(openai(server, timeout=0.1, retries=1), MESSAGES, providers=providers, backoff=backoff)
    assert "no answer within 0.1s" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert len(server.requests) == 2


def test_a_timeout_then_an_answer(server, providers, backoff):
    server.reply(Reply(data("openai_chat_completion"), delay=1.0), Reply(data("openai_chat_completion")))
    assert call(openai(server, timeout=0.2), MESSAGES, providers=providers, backoff=backoff)


def test_retry_after_as_an_http_date():
    later = datetime.now(timezone.utc) + timedelta(seconds=30)
    seconds = retry_after(httpx.Headers({"retry-after": format_datetime(later, usegmt=True)}))
    assert 28 <= seconds <= 30
    assert retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert retry_after(httpx.Headers({})) is None


def test_backoff_grows_to_its_cap_with_jitter():
    low, high = Backoff(base=1, cap=8, jitter=lambda: 0.0), Backoff(base=1, cap=8, jitter=lambda: 1.0)
    error = ProviderError("boom", status=500, retryable=True)
    assert [low.delay(n, error) for n in range(5)] == [0.5, 1, 2, 4, 4]
    assert [high.delay(n, error) for n in range(5)] == [1, 2, 4, 8, 8]
    assert low.delay(0, ProviderError("bad", status=400)) is None


# --- fallback -----------------------------------------------------------------------------

def test_a_failing_model_falls_back_to_the_next(servers, providers, backoff, sleeps):
    primary, secondary = servers(), servers()
    primary.reply(*[Reply(data("openai_error_server"), status=503)] * 2)
    secondary.reply(Reply(data("anthropic_message")))
    config = openai(primary, retries=1, fallback=(claude(secondary),))

    assert call(config, MESSAGES, providers=providers, backoff=backoff) == "Hello! I can help with your order."
    assert len(primary.requests) == 2 and len(secondary.requests) == 1
    assert secondary.requests[0].body["model"] == "claude-sonnet-4-5"


def test_a_refused_connection_is_retried(providers, backoff, sleeps):
    dead = ModelConfig(provider="ollama", name="llama3.2", retries=1,
                       base_url=f"http://127.0.0.1:{unused_port()}/v1")
    with pytest.raises(ProviderError) as caught:
        call(dead, MESSAGES, providers=providers, backoff=backoff)
    assert caught.value.retryable and caught.value.status is None
    assert "ConnectError" in str(caught.value) and len(sleeps) == 1


def test_an_unreachable_model_falls_back(server, providers, backoff):
    server.reply(Reply(data("openai_chat_completion")))
    config = openai(server, base_url=f"http://127.0.0.1:{unused_port()}/v1", retries=1,
                    fallback=(openai(server),))
    assert call(config, MESSAGES, providers=providers, backoff=backoff).startswith("Hello!")
    assert len(server.requests) == 1


def test_when_every_model_fails_the_last_error_is_raised(servers, providers, backoff):
    primary, secondary = servers(), servers()
    primary.reply(Reply(data("openai_error_server"), status=500))
    secondary.reply(Reply(data("anthropic_error_rate_limit"), status=429))
    with pytest.raises(RateLimited):
        call(openai(primary, retries=0, fallback=(claude(secondary),)), MESSAGES,
             providers=providers, backoff=backoff)


def test_a_configuration_error_does_not_fall_back(servers, providers):
    primary, secondary = servers(), servers()
    config = openai(primary, api_key_env="UNSET_KEY", fallback=(claude(secondary),))
    with pytest.raises(MissingApiKey):
        call(config, MESSAGES, providers=providers)
    assert primary.requests == [] and secondary.requests == []


def test_the_chain_is_depth_first_and_visits_each_model_once():
    d = ModelConfig(provider="ollama", name="d")
    c = ModelConfig(provider="ollama", name="c")
    b = ModelConfig(provider="ollama", name="b", fallback=(d,))
    a = ModelConfig(provider="ollama", name="a", fallback=(b, c, d))
    assert [m.name for m in model_chain(a)] == ["a", "b", "d", "c"]


def test_async_retries_and_fallback(servers, providers, backoff, sleeps):
    primary, secondary = servers(), servers()
    primary.reply(Reply(data("openai_error_rate_limit"), status=429, headers={"retry-after": "2"}),
                  Reply(data("openai_error_server"), status=500))
    secondary.reply(Reply(data("anthropic_tool_use")))
    config = openai(primary, retries=1, fallback=(claude(secondary),))

    async def main():
        try:
            return await acall(config, MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
                               providers=providers, backoff=backoff)
        finally:
            await providers.aclose()

    assert asyncio.run(main()).priority == "high"
    assert sleeps == [2.0]
    assert len(primary.requests) == 2 and len(secondary.requests) == 1


def test_async_timeout(server, providers, backoff):
    server.reply(Reply(data("openai_chat_completion"), delay=1.0))

    async def main():
        try:
            return await acall(openai(server, timeout=0.1, retries=0), MESSAGES,
                               providers=providers, backoff=backoff)
        finally:
            await providers.aclose()

    with pytest.raises(Timeout):
        asyncio.run(main())
