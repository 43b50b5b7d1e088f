"""When to try a failed request again, and how long to wait first."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable
from collections.abc import Callable

import attrs

from promptlang.runtime.errors import ProviderError


async def _asleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@attrs.frozen(kw_only=True)
class Backoff:
    """Exponential backoff with jitter: retry n (from 0) waits between half and all of
    `min(cap, base * 2**n)` seconds, so that clients failing together do not retry
    together. A server's `Retry-After` replaces that guess; one asking for more than
    `max_retry_after` seconds is not waited for (the call moves on to the fallbacks
    rather than hang). The sleeps and the jitter's random source are fields so that tests can
    observe them instead of waiting."""

    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = _asleep
    jitter: Callable[[], float] = random.random

    def delay(self, retry: int, error: ProviderError) -> float | None:
        """Seconds to wait before retry number `retry`, or None not to retry `error`."""
        if not error.retryable:
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        ceiling = min(self.cap, self.base * 2.0 ** retry)
        return ceiling / 2 + self.jitter() * ceiling / 2


DEFAULT_BACKOFF = Backoff()
