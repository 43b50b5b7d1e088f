"""The providers, and the set of them a process shares."""

from __future__ import annotations

import threading

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.providers.anthropic import AnthropicMessages
from promptlang.runtime.providers.base import Provider
from promptlang.runtime.providers.openai import OpenAIChat
from promptlang.runtime.providers.replay import ReplayProvider

OPENAI_FORMAT = ("openai", "azure_openai", "ollama", "openai_compatible")


class Providers:
    """One instance per wire format, each with its own pooled HTTP connections; the
    models of a program share them. Cheap to create: clients open on first use."""

    def __init__(self) -> None:
        self.openai = OpenAIChat()
        self.anthropic = AnthropicMessages()
        self.replay = ReplayProvider()

    def for_config(self, config: ModelConfig) -> Provider:
        """The provider that speaks to `config`'s model."""
        if config.provider in OPENAI_FORMAT:
            return self.openai
        if config.provider == "anthropic":
            return self.anthropic
        if config.provider == "replay":
            return self.replay
        raise ConfigurationError(f"unknown provider {config.provider!r} of model {config.describe()}")

    def close(self) -> None:
        """Release every provider's connections."""
        self.openai.close()
        self.anthropic.close()

    async def aclose(self) -> None:
        """Release every provider's connections, asynchronous ones included."""
        await self.openai.aclose()
        await self.anthropic.aclose()


_default: Providers | None = None
_default_lock = threading.Lock()


def default_providers() -> Providers:
    """The process-wide providers calls use unless given others."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Providers()
        return _default


__all__ = ["OPENAI_FORMAT", "Provider", "Providers", "default_providers"]
