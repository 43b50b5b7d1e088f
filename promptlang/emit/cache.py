"""Generated files remembered between builds, so that a rebuild regenerates only the
modules a change can affect.

A module's generated code depends on its own `.pops` text, on the modules it imports
(transitively: types, templates, models it names) and on nothing else, with one
exception the emitter adds to the key itself: policies applied from modules it does
not import (`apply` lines). The driver gives each module a key of the former (the
check's module key plus any `file("...")` it reads); `EmitCache` stores text by keys
built from it."""

from __future__ import annotations

import attrs

from promptlang.cache import Cache
from promptlang.cache import key


@attrs.define
class EmitCache:
    """Emitted text by key, in the project's `.popsc-cache/emit/` (a miss when the
    project has no cache folder, or with `--no-cache`)."""

    cache: Cache
    module_keys: dict[str, str] = attrs.field(factory=dict)
    hits: int = 0
    misses: int = 0
    regenerated: list[str] = attrs.field(factory=list)  # what was generated anew, by name

    def key(self, target: str, module: str, *extra: str) -> str | None:
        """The key of `target`'s output for `module`, or None if the module is unknown."""
        base = self.module_keys.get(module)
        if base is None or any(e is None for e in extra):
            return None
        return key("emit", target, base, *extra)

    def get(self, name: str | None) -> str | None:
        value = self.cache.get("emit", name) if name is not None else None
        if isinstance(value, str):
            self.hits += 1
            return value
        self.misses += 1
        return None

    def put(self, name: str | None, text: str) -> None:
        if name is not None:
            self.cache.put("emit", name, text)


def no_cache() -> EmitCache:
    """A cache that never hits, for emitting without a project folder."""
    return EmitCache(Cache(None))
