"""What observers get: Prometheus metrics by prompt and version, and audit lines with
`@pii` inputs redacted."""

from __future__ import annotations

import io
import json

import pytest
from prometheus_client import CollectorRegistry
from runtime_loopback import Reply
from runtime_loopback import data
from runtime_loopback import openai_answer
from runtime_loopback import parse_triage

from promptlang.runtime.audit import AuditLog
from promptlang.runtime.audit import redact
from promptlang.runtime.call import call
from promptlang.runtime.call import observers
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import PolicyViolation
from promptlang.runtime.messages import Message
from promptlang.runtime.metrics import Metrics
from promptlang.runtime.policy import DenyWords
from promptlang.runtime.policy import Policy
from promptlang.runtime.record import PromptInfo

PROMPT = PromptInfo(name="support.triage", version="1.2.0", content_hash="ab12",
                    pii=("customer.email", "tickets.author", "phone"))
INPUTS = {"customer": {"name": "Ada", "email": "ada@example.com"},
          "tickets": [{"author": "Ada L.", "text": "charged twice"}, {"author": "A.", "text": "still"}],
          "phone": None, "lang": "en"}
MESSAGES = [Message("user", "Triage this.")]
LABELS = {"prompt": "support.triage", "version": "1.2.0"}


def openai(server, **settings) -> ModelConfig:
    return ModelConfig(**{**dict(provider="openai", name="gpt-4o", api_key_env="TEST_OPENAI_KEY",
                                 base_url=f"{server.url}/v1", retries=0), **settings})


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, {**LABELS, **labels})


def test_metrics_count_calls_tokens_errors_and_violations(server, providers, backoff):
    metrics = Metrics()
    brand = Policy("brand_safety", (DenyWords("output", ("guarantee",)),))
    server.reply(Reply(data("openai_chat_completion")),                 # 19 in, 12 out
                 Reply(openai_answer("bad", prompt_tokens=5, completion_tokens=1)),
                 Reply(openai_answer("worse", prompt_tokens=6, completion_tokens=2)),
                 Reply(openai_answer("We guarantee it", prompt_tokens=7, completion_tokens=3)))
    common = dict(prompt=PROMPT, providers=providers, backoff=backoff, on_metrics=metrics.observe,
                  policies=[brand])
    call(openai(server), MESSAGES, **common)
    with pytest.raises(InvalidOutput):
        call(openai(server), MESSAGES, output=parse_triage, **common)
    with pytest.raises(PolicyViolation):
        call(openai(server), MESSAGES, **common)

    assert value(metrics, "popsc_prompt_latency_seconds_count") == 3
    assert value(metrics, "popsc_prompt_latency_seconds_sum") > 0
    assert value(metrics, "popsc_prompt_tokens_total", direction="input") == 19 + 5 + 6 + 7
    assert value(metrics, "popsc_prompt_tokens_total", direction="output") == 12 + 1 + 2 + 3
    assert value(metrics, "popsc_prompt_errors_total", kind="invalid_output") == 1
    assert value(metrics, "popsc_prompt_errors_total", kind="policy_violation") == 1
    assert value(metrics, "popsc_policy_violations_total", policy="brand_safety") == 1
    assert b'popsc_prompt_errors_total{kind="invalid_output",prompt="support.triage",version="1.2.0"} 1.0' \
        in metrics.exposition()


def test_rate_limit_errors_are_counted_by_kind(server, providers, backoff):
    metrics = Metrics()
    server.reply(Reply(data("openai_error_rate_limit"), status=429))
    with pytest.raises(Exception):
        call(openai(server), MESSAGES, prompt=PROMPT, providers=providers, backoff=backoff,
             on_metrics=metrics.observe)
    assert value(metrics, "popsc_prompt_errors_total", kind="rate_limited") == 1
    assert value(metrics, "popsc_prompt_latency_seconds_count") == 1


def test_each_metrics_has_its_own_registry_unless_given_one():
    Metrics(), Metrics()
    registry = CollectorRegistry()
    assert Metrics(registry).registry is registry


def test_audit_lines_redact_pii_inputs(server, providers, backoff):
    stream = io.StringIO()
    audit, metrics = AuditLog(stream), Metrics()
    server.reply(Reply(data("openai_chat_completion")))
    call(openai(server), MESSAGES, prompt=PROMPT, inputs=INPUTS, providers=providers, backoff=backoff,
         on_metrics=observers(metrics.observe, audit.write))

    [line] = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["inputs"] == {
        "customer": {"name": "Ada", "email": "[redacted]"},
        "tickets": [{"author": "[redacted]", "text": "charged twice"},
                    {"author": "[redacted]", "text": "still"}],
        "phone": "[redacted]", "lang": "en"}
    assert "ada@example.com" not in line and "Ada L." not in line
    assert {k: entry[k] for k in ("prompt", "version", "content_hash", "provider", "model",
                                   "attempts", "input_tokens", "output_tokens", "outcome", "error")} == {
        "prompt": "support.triage", "version": "1.2.0", "content_hash": "ab12",
        "provider": "openai", "model": "gpt-4o", "attempts": 1, "input_tokens": 19,
        "output_tokens": 12, "outcome": "ok", "error": None}
    assert entry["latency_s"] > 0 and entry["time"].endswith("+00:00")
    assert value(metrics, "popsc_prompt_latency_seconds_count") == 1
    assert INPUTS["customer"]["email"] == "ada@example.com"  # the caller's data is left alone


def test_audit_file_gets_one_line_per_call_with_the_outcome(tmp_path, server, providers, backoff):
    path = tmp_path / "audit.jsonl"
    server.reply(Reply(data("openai_chat_completion")), Reply(data("openai_error_server"), status=500))
    with AuditLog(path) as audit:
        call(openai(server), MESSAGES, prompt=PROMPT, providers=providers, on_metrics=audit.write)
        with pytest.raises(Exception):
            call(openai(server), MESSAGES, prompt=PROMPT, providers=providers,
                 on_metrics=audit.write)
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert (first["outcome"], second["outcome"]) == ("ok", "provider_error")
    assert "HTTP 500" in second["error"] and second["inputs"] is None


def test_redact_leaves_unknown_paths_alone():
    assert redact({"a": {"b": 1}}, ["a.c", "x.y", "a.b.c"]) == {"a": {"b": 1}}
    assert redact({"a": [1, 2]}, ["a"]) == {"a": "[redacted]"}


def test_a_failing_observer_does_not_fail_the_call(server, providers, caplog):
    def broken(record):
        raise RuntimeError("disk full")

    server.reply(Reply(data("openai_chat_completion")))
    assert call(openai(server), MESSAGES, providers=providers, on_metrics=broken)
    assert "observer of prompt calls failed" in caplog.text


def test_a_call_refused_before_sending_is_recorded_against_its_model(providers):
    records = []
    guard = Policy("guard", (DenyWords("input", ("Triage",)),))
    with pytest.raises(PolicyViolation):
        call(ModelConfig(provider="ollama", name="llama3.2"), MESSAGES, policies=[guard],
             providers=providers, on_metrics=records.append)
    [record] = records
    assert (record.provider, record.model, record.attempts) == ("ollama", "llama3.2", 0)
    assert record.error.kind == "policy_violation" and not record.ok
