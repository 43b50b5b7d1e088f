"""Did-you-mean: the one suggester every "unknown X" diagnostic goes through."""

from __future__ import annotations

import difflib
import typing as t


def closest(name: str, candidates: t.Iterable[str]) -> str | None:
    """The candidate most like `name`, if one is close enough to be worth saying."""
    pool = sorted({c for c in candidates if c and c != name})
    if not pool:
        return None
    lowered = name.lower()
    for candidate in pool:
        if candidate.lower() == lowered:
            return candidate
    cutoff = 0.6 if len(name) > 3 else 0.5
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: t.Iterable[str]) -> str | None:
    """`did you mean `x`?` or None."""
    match = closest(name, candidates)
    return f"did you mean `{match}`?" if match else None


def one_of(names: t.Iterable[str], limit: int = 8) -> str:
    """A short backticked list: "`a`, `b` or `c`"."""
    items = [f"`{x}`" for x in names]
    if len(items) > limit:
        items = items[:limit] + [f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
