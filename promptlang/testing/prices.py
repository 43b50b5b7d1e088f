"""What a call cost: its tokens times its model's list price.

The prices ship with popsc in `prices.json` (US dollars per million input and output
tokens, with the date they were taken); a project adds or overrides prices in
`pops.toml` under `[test.prices."model name"]`. A model is looked up by its provider and
`name` (an `azure_openai` model by its `name`, at OpenAI's prices); a model with no
price is not guessed: its `cost` assertions are skipped, naming the model."""

from __future__ import annotations

import functools
import importlib.resources
import json
import typing as t
from collections.abc import Mapping

import attrs

from promptlang.runtime.config import ModelConfig

PER_TOKENS = 1_000_000
_SAME_PRICES = {"azure_openai": "openai"}


@attrs.frozen
class Price:
    """US dollars per million input and output tokens."""

    input: float
    output: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The dollars `input_tokens` and `output_tokens` cost at this price."""
        return (input_tokens * self.input + output_tokens * self.output) / PER_TOKENS


@functools.cache
def table() -> dict[str, t.Any]:
    """The shipped price table (`prices.json`)."""
    text = importlib.resources.files("promptlang.testing").joinpath("prices.json").read_text("utf-8")
    return json.loads(text)


def lookup(model: ModelConfig, overrides: Mapping[str, Mapping[str, float]] | None = None
           ) -> Price | None:
    """The price of `model`: `overrides` (pops.toml's `[test.prices]`, by model name)
    first, then the shipped table by provider and name; None when neither has it."""
    name = model.name or ""
    if overrides and name in overrides:
        entry = overrides[name]
        return Price(float(entry["input"]), float(entry["output"]))
    provider = _SAME_PRICES.get(model.provider, model.provider)
    entry = table()["models"].get(provider, {}).get(name)
    return Price(float(entry["input"]), float(entry["output"])) if entry else None
