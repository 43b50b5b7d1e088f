"""Where a project keeps the recorded answers of its tests, and how one is written.

Recordings live in the project (`tests/recordings/<prompt qname>/<key>.json`) so that
they are reviewed and versioned with the prompts. The key is the one the `replay`
provider computes (prompt content hash + canonical inputs), so a changed prompt has a
new key: its old recording is never reused, the test fails asking to re-record."""

from __future__ import annotations

from pathlib import Path

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.providers.replay import write_recording

FOLDER = Path("tests") / "recordings"
STALE = "no recording for this prompt version; re-record with --record"


def folder(root: Path, prompt: str) -> Path:
    """The folder of one prompt's recordings in the project at `root`."""
    return root / FOLDER / prompt


def replay_model(root: Path, prompt: str) -> ModelConfig:
    """The model a replayed test calls: answers come from the prompt's folder only."""
    return ModelConfig(provider="replay", name="replay", recordings=str(folder(root, prompt)))


def key(content_hash: str, inputs: dict[str, object]) -> str:
    """The replay key of a call, exactly as the runtime computes it."""
    return recording_key(content_hash, input_json(inputs))


def missing_message(root: Path, prompt: str) -> str:
    """Why a replayed test has no answer; says when other (stale) recordings exist."""
    others = list(folder(root, prompt).glob("*.json"))
    if others:
        return (f"{STALE} ({len(others)} recording(s) of other prompt versions or inputs "
                f"in {folder(root, prompt)})")
    return STALE


def save(root: Path, prompt: str, content_hash: str, inputs: dict[str, object], text: str,
         input_tokens: int, output_tokens: int, latency_s: float | None = None) -> Path:
    """Store a live answer (and how long the call took) where replay will look for it."""
    return write_recording(folder(root, prompt), key(content_hash, inputs), text,
                           input_tokens=input_tokens, output_tokens=output_tokens,
                           latency_s=latency_s)
