"""A model's settings as the generated SDK passes them to the runtime."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class ModelConfig:
    """A `model` declaration, resolved: what the providers need to build a request.

    `provider` is one of openai, anthropic, azure_openai, ollama, openai_compatible and
    replay. `timeout` is in seconds; `retries` counts the attempts after the first.
    `api_key_env` names the environment variable holding the key: the runtime reads
    keys from there and nowhere else. `fallback` lists the models tried, in order, when
    this one keeps failing. Keyword-only, so that generated code stays readable and
    adding a setting breaks nothing.
    """

    provider: str
    name: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    timeout: float = 60.0
    retries: int = 2
    api_key_env: str | None = None
    base_url: str | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    top_k: int | None = None
    deployment: str | None = None
    api_version: str | None = None
    organization: str | None = None
    recordings: str | None = None
    fallback: tuple[ModelConfig, ...] = ()

    def describe(self) -> str:
        """How errors name the model: provider and name (`openai gpt-4o`)."""
        return f"{self.provider} {self.name}" if self.name else self.provider


def model_chain(config: ModelConfig) -> tuple[ModelConfig, ...]:
    """The models a call may try, in order: the model, then each fallback followed by its
    own fallbacks (depth first), each model once even if the declarations loop."""
    chain: list[ModelConfig] = []

    def visit(model: ModelConfig) -> None:
        if model in chain:
            return
        chain.append(model)
        for fallback in model.fallback:
            visit(fallback)

    visit(config)
    return tuple(chain)
