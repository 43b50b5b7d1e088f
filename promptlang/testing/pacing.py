"""How `popsc test` paces and shows its run: a rate limit shared by the workers
(`--rate-limit`), and the one-line progress counter on a terminal."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class Limiter:
    """At most `rate` calls per second across threads: a token bucket holding one
    token, so calls are spaced `1/rate` seconds apart. `clock` and `sleep` are
    replaceable (tests count the sleeps instead of waiting)."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        if rate <= 0:
            raise ValueError("the rate limit must be positive")
        self.interval = 1.0 / rate
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()
        self.next_free = float("-inf")

    def acquire(self) -> float:
        """Wait for this call's slot; returns how long it waited (seconds)."""
        with self.lock:
            now = self.clock()
            slot = max(self.next_free, now)
            self.next_free = slot + self.interval
        wait = slot - now
        if wait > 0:
            self.sleep(wait)
        return max(wait, 0.0)


class Progress:
    """`[done/total] N passed, N failed` rewritten in place with `\\r` on `stream` (a
    terminal), cleared by `finish`. Safe to call from the worker threads."""

    def __init__(self, stream: TextIO, every: float = 0.05, clock=time.monotonic):
        """The line is redrawn at most once per `every` seconds (and at the last result)."""
        self.stream, self.every, self.clock = stream, every, clock
        self.shown_at = float("-inf")
        self.lock = threading.Lock()
        self.total = self.done = self.width = 0
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def start(self, total: int) -> None:
        with self.lock:
            self.total = total
            self._show()

    def result(self, result) -> None:
        with self.lock:
            self.done += 1
            self.counts[result.status] = self.counts.get(result.status, 0) + 1
            if self.done == self.total or self.clock() - self.shown_at >= self.every:
                self._show()

    def finish(self) -> None:
        with self.lock:
            if self.width:
                self.stream.write("\r" + " " * self.width + "\r")
                self.stream.flush()
            self.width = 0

    def line(self) -> str:
        text = (f"[{self.done}/{self.total}] {self.counts['passed']} passed, "
                f"{self.counts['failed']} failed")
        if self.counts.get("skipped"):
            text += f", {self.counts['skipped']} skipped"
        return text

    def _show(self) -> None:
        text = self.line()
        self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
        self.stream.flush()
        self.width = max(self.width, len(text))
        self.shown_at = self.clock()
