"""The OpenAI chat completions format end to end over HTTP: OpenAI itself, Azure,
Ollama and other compatible servers, against recorded response shapes."""

from __future__ import annotations

import asyncio

import pytest
from runtime_loopback import OPENAI_KEY
from runtime_loopback import TRIAGE_SCHEMA
from runtime_loopback import Reply
from runtime_loopback import Triage
from runtime_loopback import data
from runtime_loopback import parse_triage

from promptlang.runtime.call import acall
from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import MissingApiKey
from promptlang.runtime.errors import ProviderError
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.openai import OLLAMA_URL
from promptlang.runtime.providers.openai import OPENAI_URL
from promptlang.runtime.providers.openai import base_url

MESSAGES = [Message("system", "You are a support agent."), Message("user", "Hi, where is my order?")]


def openai(server, **settings) -> ModelConfig:
    defaults = dict(provider="openai", name="gpt-4o", api_key_env="TEST_OPENAI_KEY",
                    base_url=f"{server.url}/v1")
    return ModelConfig(**{**defaults, **settings})


def test_a_completion_sends_the_settings_and_reads_text_and_usage(server, providers):
    server.reply(Reply(data("openai_chat_completion")))
    config = openai(server, temperature=0.2, top_p=0.9, max_tokens=300, stop=("END",), seed=7,
                    organization="org-test")
    completion = providers.openai.complete(config, MESSAGES)

    [seen] = server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert seen.headers["openai-organization"] == "org-test"
    assert seen.headers["content-type"] == "application/json"
    assert seen.body == {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": "You are a support agent."},
                     {"role": "user", "content": "Hi, where is my order?"}],
        "temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 300, "stop": ["END"], "seed": 7,
    }
    assert completion.text == "Hello! How can I help you with your order today?"
    assert completion.model == "gpt-4o-2024-08-06"
    assert (completion.input_tokens, completion.output_tokens) == (19, 12)
    assert completion.latency_s > 0
    assert completion.raw["id"] == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"


def test_unset_settings_are_left_out_of_the_body(server, providers):
    server.reply(Reply(data("openai_chat_completion")))
    providers.openai.complete(openai(server), MESSAGES)
    assert set(server.requests[0].body) == {"model", "messages"}


def test_structured_output_asks_for_the_strict_schema_and_parses_the_answer(server, providers):
    server.reply(Reply(data("openai_structured_completion")))
    triage = call(openai(server), MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
                  providers=providers)

    assert triage == Triage("billing", "high", "Customer was charged twice for order 1042.")
    assert server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Triage", "schema": TRIAGE_SCHEMA, "strict": True},
    }


def test_a_schema_title_is_made_a_valid_response_format_name(server, providers):
    server.reply(Reply(data("openai_structured_completion")))
    schema = {**TRIAGE_SCHEMA, "title": "support.Triage result"}
    providers.openai.complete(openai(server), MESSAGES, json_schema=schema)
    assert server.requests[0].body["response_format"]["json_schema"]["name"] == "support_Triage_result"


def test_a_refusal_is_an_answer_that_does_not_parse(server, providers, backoff):
    server.reply(Reply(data("openai_refusal")), Reply(data("openai_refusal")))
    with pytest.raises(InvalidOutput) as caught:
        call(openai(server), MESSAGES, output=parse_triage, json_schema=TRIAGE_SCHEMA,
             providers=providers, backoff=backoff)
    assert caught.value.raw == "I'm sorry, I cannot assist with that request."


def test_the_base_url_comes_from_OPENAI_BASE_URL_when_the_model_sets_none(server, providers,
                                                                           monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/proxy/v1/")
    server.reply(Reply(data("openai_chat_completion")))
    assert call(openai(server, base_url=None), MESSAGES, providers=providers).startswith("Hello!")
    assert server.requests[0].path == "/proxy/v1/chat/completions"


def test_the_model_base_url_wins_over_OPENAI_BASE_URL(server, providers, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/never")
    server.reply(Reply(data("openai_chat_completion")))
    call(openai(server), MESSAGES, providers=providers)
    assert server.requests[0].path == "/v1/chat/completions"


def test_well_known_base_urls():
    assert base_url(ModelConfig(provider="openai", name="gpt-4o")) == OPENAI_URL
    assert base_url(ModelConfig(provider="ollama", name="llama3.2")) == OLLAMA_URL
    with pytest.raises(ConfigurationError, match="base_url"):
        base_url(ModelConfig(provider="openai_compatible", name="qwen"))


def test_azure_names_the_deployment_in_the_url_and_sends_an_api_key_header(server, providers):
    server.reply(Reply(data("azure_chat_completion")))
    config = ModelConfig(provider="azure_openai", name="gpt-4o", base_url=server.url + "/",
                         deployment="support-gpt4o", api_key_env="TEST_AZURE_KEY", max_tokens=200)
    answer = call(config, MESSAGES, providers=providers)

    [seen] = server.requests
    assert answer == "Your refund was issued on the original payment method."
    assert seen.path == "/openai/deployments/support-gpt4o/chat/completions"
    assert seen.query == {"api-version": ["2024-10-21"]}
    assert seen.headers["api-key"] == "azure-test-key"
    assert "authorization" not in seen.headers
    assert "model" not in seen.body and seen.body["max_tokens"] == 200


def test_azure_api_version_is_the_models(server, providers):
    server.reply(Reply(data("azure_chat_completion")))
    config = ModelConfig(provider="azure_openai", name="gpt-4o", base_url=server.url,
                         deployment="d", api_version="2025-01-01-preview", api_key_env="TEST_AZURE_KEY")
    call(config, MESSAGES, providers=providers)
    assert server.requests[0].query == {"api-version": ["2025-01-01-preview"]}


def test_azure_without_a_deployment_is_a_configuration_error(providers):
    config = ModelConfig(provider="azure_openai", name="gpt-4o", base_url="http://127.0.0.1:9",
                         api_key_env="TEST_AZURE_KEY")
    with pytest.raises(ConfigurationError, match="deployment"):
        call(config, MESSAGES, providers=providers)


@pytest.mark.parametrize("provider", ["ollama", "openai_compatible"])
def test_local_servers_need_no_key_and_get_max_tokens(server, providers, provider):
    server.reply(Reply(data("ollama_chat_completion")))
    config = ModelConfig(provider=provider, name="llama3.2", base_url=f"{server.url}/v1",
                         max_tokens=64)
    completion = providers.openai.complete(config, MESSAGES)

    [seen] = server.requests
    assert "authorization" not in seen.headers
    assert seen.body["max_tokens"] == 64 and "max_completion_tokens" not in seen.body
    assert completion.text == "Sure. Your parcel left the warehouse yesterday."
    assert (completion.model, completion.input_tokens, completion.output_tokens) == ("llama3.2", 33, 11)


def test_a_compatible_server_gets_the_key_when_the_model_names_one(server, providers):
    server.reply(Reply(data("ollama_chat_completion")))
    config = ModelConfig(provider="openai_compatible", name="qwen", base_url=server.url,
                         api_key_env="TEST_OPENAI_KEY")
    providers.openai.complete(config, MESSAGES)
    assert server.requests[0].headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_a_missing_api_key_names_the_variable_and_sends_nothing(server, providers):
    config = openai(server, api_key_env="NOT_SET_ANYWHERE")
    with pytest.raises(MissingApiKey) as caught:
        call(config, MESSAGES, providers=providers)
    assert caught.value.env_var == "NOT_SET_ANYWHERE"
    assert "NOT_SET_ANYWHERE" in str(caught.value)
    assert server.requests == []


def test_openai_without_a_named_key_is_a_missing_key(server, providers, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-read")  # keys come from named variables only
    with pytest.raises(MissingApiKey, match="names none"):
        call(openai(server, api_key_env=None), MESSAGES, providers=providers)
    assert server.requests == []


def test_a_bad_request_is_not_retried_and_carries_the_providers_message(server, providers, backoff):
    server.reply(Reply(data("openai_error_invalid_request"), status=400))
    with pytest.raises(ProviderError) as caught:
        call(openai(server, retries=3), MESSAGES, providers=providers, backoff=backoff)
    assert caught.value.status == 400 and not caught.value.retryable
    assert "'additionalProperties' is required" in str(caught.value)
    assert len(server.requests) == 1


def test_a_response_that_is_not_a_completion_is_a_provider_error(server, providers):
    server.reply(Reply({"object": "list", "data": []}))
    with pytest.raises(ProviderError, match="no `choices`"):
        providers.openai.complete(openai(server), MESSAGES)


def test_async_calls_reuse_the_client_within_a_loop(server, providers):
    server.reply(Reply(data("openai_chat_completion")), Reply(data("openai_structured_completion")))

    async def main():
        try:
            text = await acall(openai(server), MESSAGES, providers=providers)
            triage = await acall(openai(server), MESSAGES, output=parse_triage,
                                 json_schema=TRIAGE_SCHEMA, providers=providers)
            return text, triage, providers.openai._async_client()
        finally:
            await providers.aclose()

    text, triage, client = asyncio.run(main())
    assert text.startswith("Hello!") and triage.priority == "high"
    assert client.is_closed
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2


def test_each_event_loop_gets_its_own_async_client(server, providers):
    server.reply(Reply(data("openai_chat_completion")), Reply(data("openai_chat_completion")))

    async def once():
        return await acall(openai(server), MESSAGES, providers=providers)

    assert asyncio.run(once()) == asyncio.run(once())


def test_calls_share_the_providers_pooled_connection(server, providers):
    server.reply(Reply(data("openai_chat_completion")), Reply(data("ollama_chat_completion")))
    call(openai(server), MESSAGES, providers=providers)
    local = ModelConfig(provider="ollama", name="llama3.2", base_url=f"{server.url}/v1")
    call(local, MESSAGES, providers=providers)
    first, second = server.requests
    assert first.client_port == second.client_port


def test_an_unknown_provider_is_a_configuration_error(providers):
    with pytest.raises(ConfigurationError, match="unknown provider 'bedrock'"):
        call(ModelConfig(provider="bedrock", name="x"), MESSAGES, providers=providers)
