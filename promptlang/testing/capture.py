"""Keeping the answer a call received, so that `--record` (and the judge's recorded
verdicts) store exactly what replay will give back."""

from __future__ import annotations

from promptlang.runtime.messages import Completion
from promptlang.runtime.providers import Providers


class _Tap:
    """A provider that remembers each answer it returns."""

    def __init__(self, inner, seen: list[Completion]):
        self.inner, self.seen = inner, seen

    def complete(self, *args, **kwargs) -> Completion:
        completion = self.inner.complete(*args, **kwargs)
        self.seen.append(completion)
        return completion


class Capturing(Providers):
    """Providers for one recorded call: the last answer received is the one to store
    (after a repair, the earlier invalid ones are not what replay should give)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Completion] = []

    def for_config(self, config):
        return _Tap(super().for_config(config), self.seen)
