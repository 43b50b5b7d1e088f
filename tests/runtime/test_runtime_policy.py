"""Runtime policy rules: inputs refused before anything is sent, answers refused before
the caller sees them."""

from __future__ import annotations

import json

import pytest
from runtime_loopback import Reply
from runtime_loopback import data
from runtime_loopback import openai_answer

from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import PolicyViolation
from promptlang.runtime.messages import Message
from promptlang.runtime.policy import DenyPattern
from promptlang.runtime.policy import DenyWords
from promptlang.runtime.policy import Policy

CREDENTIALS = Policy("credential_paste_guard", (
    DenyPattern("input", r"\b(?:password|api[_-]?key|token)\s*[:=]\s*\S{6,}", "i"),
    DenyWords("input", ("BEGIN PRIVATE KEY",)),
))
BRAND = Policy("brand_safety", (
    DenyWords("output", ("guarantee", "free of charge forever")),
    DenyPattern("output", r"\bJIRA-[0-9]+\b", "i"),
))
DATES = Policy("no_delivery_dates", (DenyPattern("output", r"\bby\s+(?:monday|friday)\b", "i"),),
               severity="warning")


def openai(server) -> ModelConfig:
    return ModelConfig(provider="openai", name="gpt-4o", api_key_env="TEST_OPENAI_KEY",
                       base_url=f"{server.url}/v1", retries=0)


def test_an_input_rule_refuses_before_anything_is_sent(server, providers):
    messages = [Message("system", "Help the reader."), Message("user", "my API_KEY: hunter2hunter2")]
    with pytest.raises(PolicyViolation) as caught:
        call(openai(server), messages, policies=[CREDENTIALS, BRAND], providers=providers)
    assert (caught.value.policy, caught.value.where) == ("credential_paste_guard", "input")
    assert caught.value.rule.startswith("deny input matches /")
    assert "hunter2" not in str(caught.value)
    assert server.requests == []


def test_output_rules_do_not_look_at_inputs(server, providers):
    server.reply(Reply(data("openai_chat_completion")))
    messages = [Message("user", "Do you guarantee delivery?")]
    assert call(openai(server), messages, policies=[BRAND], providers=providers)


def test_an_output_rule_refuses_the_answer(server, providers):
    server.reply(Reply(openai_answer("We Guarantee a refund within 3 days.")))
    with pytest.raises(PolicyViolation) as caught:
        call(openai(server), [Message("user", "Refund?")], policies=[BRAND], providers=providers)
    assert (caught.value.policy, caught.value.where) == ("brand_safety", "output")
    assert caught.value.rule == 'deny words ["guarantee", "free of charge forever"] in output'


def test_a_rule_finds_text_inside_a_json_answer(server, providers):
    answer = json.dumps({"summary": "see jira-1234 for\nthe fix"})
    server.reply(Reply(openai_answer(answer)))
    with pytest.raises(PolicyViolation, match="JIRA"):
        call(openai(server), [Message("user", "Status?")], output=json.loads,
             json_schema={"type": "object"}, policies=[BRAND], providers=providers)


def test_a_warning_policy_lets_the_answer_through(server, providers):
    records = []
    server.reply(Reply(openai_answer("It ships by Friday.")))
    answer = call(openai(server), [Message("user", "When?")], policies=[DATES, BRAND],
                  providers=providers, on_metrics=records.append)
    assert answer == "It ships by Friday."
    [violation] = records[0].violations
    assert (violation.policy, violation.where, violation.severity) == ("no_delivery_dates", "output", "warning")


@pytest.mark.parametrize(("text", "refused"), [
    ("We guarantee it.", True),
    ("GUARANTEE", True),
    ("It is guaranteed.", False),  # words, not substrings: policies list both forms
    ("free of  charge\nforever", True),  # any spacing inside a phrase
    ("carefree of charge forever", False),
    ("no such promise", False),
])
def test_deny_words_matches_whole_words_and_phrases_ignoring_case(text, refused):
    assert BRAND.rules[0].finds(text) is refused


def test_regex_flags():
    assert DenyPattern("output", "^done$", "im").finds("ok\nDONE\n")
    assert not DenyPattern("output", "^done$").finds("ok\nDONE\n")
    assert DenyPattern("output", "a.b", "s").finds("a\nb")
