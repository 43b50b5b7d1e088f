"""The gateway's providers: the runtime's, except that under `--recordings` a recorded
answer is read from disk once and then kept, as a live provider keeps its connections:
the gateway answers the same inputs many times, and replayed calls (demos, load tests)
should cost what the gateway costs, not a file read."""

from __future__ import annotations

from collections.abc import Sequence

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.providers import Providers
from promptlang.runtime.providers.base import JsonSchema
from promptlang.runtime.providers.replay import ReplayProvider

KEPT = 4096  # recordings kept in memory; past that, the oldest is read again when asked


class KeptReplay(ReplayProvider):
    """`ReplayProvider` that keeps the answers it has read (missing ones are not kept:
    a recording added later is found)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str | None, str | None], Completion] = {}

    def complete(self, config: ModelConfig, messages: Sequence[Message], *,
                 json_schema: JsonSchema | None = None, key: str | None = None) -> Completion:
        where = (config.recordings, key)  # what names the file, without building its path
        kept = self._kept.get(where)
        if kept is not None:
            return kept
        completion = super().complete(config, messages, json_schema=json_schema, key=key)
        if len(self._kept) >= KEPT:
            self._kept.pop(next(iter(self._kept)))
        self._kept[where] = completion
        return completion


def gateway_providers() -> Providers:
    """The providers of one gateway (closed when it shuts down)."""
    providers = Providers()
    providers.replay = KeptReplay()
    return providers
