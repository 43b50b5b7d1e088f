"""Recorded responses instead of a model, so that tests run offline and the same every
time: the answer for a prompt and its inputs is the file `<recordings>/<key>.json`,
where the key hashes the prompt's content hash and the inputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.errors import MissingRecording
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.providers.base import JsonSchema


def input_json(inputs: Mapping[str, object]) -> str:
    """The canonical JSON of a call's inputs (plain data): keys sorted, no spaces, text
    as is, so that a key does not depend on field order or formatting."""
    return json.dumps(inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def recording_key(prompt_hash: str, input_json: str) -> str:
    """The SHA-256 (hex) of the prompt's content hash, a newline and the inputs' JSON:
    a new prompt text or other inputs need a new recording."""
    return hashlib.sha256(f"{prompt_hash}\n{input_json}".encode()).hexdigest()


def recording_path(config: ModelConfig, key: str) -> Path:
    """Where the recording of `key` lives for this model."""
    if not config.recordings:
        raise ConfigurationError(f"model {config.describe()} needs a `recordings` folder")
    return Path(config.recordings) / f"{key}.json"


def write_recording(folder: str | Path, key: str, text: str, *, input_tokens: int = 0,
                    output_tokens: int = 0, latency_s: float | None = None) -> Path:
    """Record an answer where `replay` will find it; returns the file written.
    `latency_s`, when given, is how long the live call took (seconds): replay returns it
    as the answer's `latency_s`, so that latency budgets can be checked offline."""
    path = Path(folder) / f"{key}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, object] = {"text": text, "input_tokens": input_tokens,
                               "output_tokens": output_tokens}
    if latency_s is not None:
        data["latency_s"] = round(float(latency_s), 6)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


class ReplayProvider:
    """Answers from recordings. Messages and schema are ignored: the key already stands
    for the prompt's text and inputs."""

    def complete(self, config: ModelConfig, messages: Sequence[Message], *,
                 json_schema: JsonSchema | None = None, key: str | None = None) -> Completion:
        """The recorded answer of `key`, or `MissingRecording` naming the file."""
        if key is None:
            raise ConfigurationError(f"model {config.describe()} replays recordings by prompt "
                                     f"and inputs; this call gave neither")
        path = recording_path(config, key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MissingRecording(key, path) from None
        except ValueError as error:
            raise ConfigurationError(f"recording {path} is not valid JSON: {error}") from error
        return _completion(config, data, path)

    async def acomplete(self, config: ModelConfig, messages: Sequence[Message], *,
                        json_schema: JsonSchema | None = None,
                        key: str | None = None) -> Completion:
        """`complete`: reading a small local file does not need a thread."""
        return self.complete(config, messages, json_schema=json_schema, key=key)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""


def _completion(config: ModelConfig, data: object, path: Path) -> Completion:
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise ConfigurationError(f"recording {path} has no `text` string")
    tokens = [data.get(name, 0) for name in ("input_tokens", "output_tokens")]
    if not all(isinstance(n, int) for n in tokens):
        raise ConfigurationError(f"recording {path}: token counts must be whole numbers")
    latency = data.get("latency_s", 0.0)  # absent in recordings made before it was stored
    if isinstance(latency, bool) or not isinstance(latency, (int, float)) or latency < 0:
        raise ConfigurationError(f"recording {path}: `latency_s` must be a number of seconds")
    return Completion(text=data["text"], model=str(data.get("model") or config.name or "replay"),
                      input_tokens=tokens[0], output_tokens=tokens[1], latency_s=float(latency),
                      raw=data)
