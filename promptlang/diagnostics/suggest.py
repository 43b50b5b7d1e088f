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


def meant(unknown: t.Iterable[str], candidates: t.Iterable[str]) -> set[str]:
    """The candidates that unknown names were most likely meant to be (what `did_you_mean`
    suggests for them). A misspelt name is one mistake: the field or parameter it was
    meant to be is not reported as missing as well."""
    pool = list(candidates)
    return {match for match in (closest(name, pool) for name in unknown) if match is not None}


def one_of(names: t.Iterable[str], limit: int = 8) -> str:
    """A choice between alternatives: "`a`, `b` or `c`" ("did you mean one of ...")."""
    return _listed(names, limit, "or")


def all_of(names: t.Iterable[str], limit: int = 8) -> str:
    """Every one of them, not a choice: "`a`, `b` and `c`" ("its fields are ...",
    "missing fields ...")."""
    return _listed(names, limit, "and")


def _listed(names: t.Iterable[str], limit: int, conjunction: str) -> str:
    items = [f"`{x}`" for x in names]
    if len(items) > limit:
        items = items[:limit] + [f"{len(items) - limit} more"]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]
