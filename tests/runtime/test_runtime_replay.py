"""`replay` models: recorded answers found by prompt content hash and inputs."""

from __future__ import annotations

import hashlib
import json

import pytest
from runtime_loopback import parse_triage

from promptlang.runtime.call import call
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import MissingRecording
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.providers.replay import write_recording
from promptlang.runtime.record import PromptInfo

MESSAGES = [Message("user", "Triage: I was charged twice.")]
PROMPT = PromptInfo(name="support.triage", version="1.0.0", content_hash="c0ffee")
INPUTS = {"ticket": {"subject": "Charged twice", "body": "Order 1042, déjà vu"}, "lang": "en"}


def replay(folder) -> ModelConfig:
    return ModelConfig(provider="replay", recordings=str(folder))


def test_the_key_is_the_sha256_of_hash_newline_and_canonical_inputs():
    text = input_json(INPUTS)
    assert text == '{"lang":"en","ticket":{"body":"Order 1042, déjà vu","subject":"Charged twice"}}'
    expected = hashlib.sha256(f"c0ffee\n{text}".encode()).hexdigest()
    assert recording_key("c0ffee", text) == expected
    assert recording_key("c0ffee", input_json(dict(reversed(INPUTS.items())))) == expected
    assert recording_key("c0ffef", text) != expected


def test_a_recorded_answer_is_replayed(tmp_path, providers):
    key = recording_key(PROMPT.content_hash, input_json(INPUTS))
    answer = json.dumps({"category": "billing", "priority": "high", "summary": "Twice."})
    write_recording(tmp_path, key, answer, input_tokens=40, output_tokens=12)

    triage = call(replay(tmp_path), MESSAGES, output=parse_triage, prompt=PROMPT, inputs=INPUTS,
                  providers=providers)
    completion = providers.replay.complete(replay(tmp_path), MESSAGES, key=key)
    assert triage.summary == "Twice."
    assert (completion.text, completion.input_tokens, completion.output_tokens) == (answer, 40, 12)


def test_a_missing_recording_names_the_key_and_the_file(tmp_path, providers):
    key = recording_key(PROMPT.content_hash, input_json(INPUTS))
    with pytest.raises(MissingRecording) as caught:
        call(replay(tmp_path), MESSAGES, prompt=PROMPT, inputs=INPUTS, providers=providers)
    assert caught.value.key == key
    assert caught.value.path == tmp_path / f"{key}.json"
    assert key in str(caught.value) and str(tmp_path) in str(caught.value)


def test_other_inputs_miss(tmp_path, providers):
    write_recording(tmp_path, recording_key(PROMPT.content_hash, input_json(INPUTS)), "hi")
    with pytest.raises(MissingRecording):
        call(replay(tmp_path), MESSAGES, prompt=PROMPT, inputs={**INPUTS, "lang": "fr"},
             providers=providers)


def test_a_recorded_invalid_answer_stays_invalid(tmp_path, providers):
    write_recording(tmp_path, recording_key(PROMPT.content_hash, input_json(INPUTS)), "nope")
    with pytest.raises(InvalidOutput):
        call(replay(tmp_path), MESSAGES, output=parse_triage, prompt=PROMPT, inputs=INPUTS,
             providers=providers)


def test_replay_needs_the_prompt_and_its_inputs(tmp_path, providers):
    with pytest.raises(ConfigurationError, match="gave neither"):
        call(replay(tmp_path), MESSAGES, providers=providers)


def test_replay_needs_a_folder(providers):
    with pytest.raises(ConfigurationError, match="recordings"):
        call(ModelConfig(provider="replay"), MESSAGES, prompt=PROMPT, inputs=INPUTS,
             providers=providers)


def test_a_broken_recording_is_a_configuration_error(tmp_path, providers):
    key = recording_key(PROMPT.content_hash, input_json(INPUTS))
    (tmp_path / f"{key}.json").write_text('{"answer": "hi"}')
    with pytest.raises(ConfigurationError, match="no `text` string"):
        call(replay(tmp_path), MESSAGES, prompt=PROMPT, inputs=INPUTS, providers=providers)
