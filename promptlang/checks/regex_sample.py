"""One string a regular expression matches, for checks that try an example with a
value in its `{slot}` (`@pattern("^[0-9]{6}$")` gives `000000`). It walks the parsed
expression and takes the first choice everywhere; None for what it cannot honour
(lookarounds, back references), and the caller then leaves the example untried."""

from __future__ import annotations

try:  # Python 3.11+
    from re import _constants as c
    from re import _parser as parser
except ImportError:  # pragma: no cover
    import sre_constants as c  # type: ignore[no-redef]
    import sre_parse as parser  # type: ignore[no-redef]

import re

_CATEGORY = {c.CATEGORY_DIGIT: "0", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " ",
             c.CATEGORY_NOT_DIGIT: "a", c.CATEGORY_NOT_WORD: "-", c.CATEGORY_NOT_SPACE: "a"}


class _Unsampled(Exception):
    pass


def sample_of(pattern: str) -> str | None:
    """A string `re.search(pattern, s)` finds whole, or None."""
    try:
        text = _walk(parser.parse(pattern))
    except (_Unsampled, re.error, RecursionError, TypeError, ValueError):
        return None
    try:
        return text if re.fullmatch(pattern.lstrip("^").rstrip("$") or "", text) else None
    except re.error:
        return None


def _walk(items) -> str:
    return "".join(_item(op, arg) for op, arg in items)


def _item(op, arg) -> str:
    if op is c.LITERAL:
        return chr(arg)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = arg
        return _walk(sub) * max(low, 1) if low else ""
    if op is c.SUBPATTERN:
        return _walk(arg[-1])
    if op is c.BRANCH:
        return _walk(arg[1][0])
    if op is c.IN:
        return _in(arg)
    if op is c.ANY:
        return "a"
    if op is c.AT:
        return ""
    if op is c.CATEGORY:
        return _CATEGORY.get(arg, "a")
    raise _Unsampled(op)


def _in(items) -> str:
    if items and items[0][0] is c.NEGATE:
        excluded = {chr(a) for op, a in items[1:] if op is c.LITERAL}
        return next(ch for ch in "a0-_ " if ch not in excluded)
    op, arg = items[0]
    if op is c.LITERAL:
        return chr(arg)
    if op is c.RANGE:
        return chr(arg[0])
    if op is c.CATEGORY:
        return _CATEGORY.get(arg, "a")
    raise _Unsampled(op)
