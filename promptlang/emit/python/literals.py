"""JSON data as Python source: what a person would write for a schema or a default.

`repr` would do for the values, but not for the layout: a schema printed on one line is
unreadable and changes as a whole when one field changes. Containers that fit stay on
one line; longer ones get one item per line, with a trailing comma."""

from __future__ import annotations

import functools
import json

WIDTH = 96


def py_literal(value: object, indent: int = 0) -> str:
    """`value` (JSON data: dict, list, tuple, str, int, float, bool, None) as Python
    source, continuation lines indented for a statement at `indent` spaces."""
    flat = _flat(value)
    if indent + len(flat) <= WIDTH or not isinstance(value, (dict, list, tuple)) or not value:
        return flat
    inner = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{inner}{_flat(k)}: {py_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{inner}{py_literal(v, indent + 4)}," for v in value]
    open_, close = ("(", ")") if isinstance(value, tuple) else ("[", "]")
    return open_ + "\n" + "\n".join(items) + "\n" + " " * indent + close


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flat(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_flat(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    raise TypeError(f"not JSON data: {value!r}")


@functools.lru_cache(maxsize=4096)  # schemas repeat "type", "string", ...
def _string(text: str) -> str:
    """A double-quoted literal: JSON's escapes (`\\"`, `\\n`, `\\u001b`) are Python's too."""
    return json.dumps(text, ensure_ascii=False)


def wrapped(open_: str, items: list[str], close: str, indent: int, room: int) -> str:
    """Item sources between brackets: on one line when they fit in `room` characters,
    else one per line with a trailing comma, for a statement at `indent` spaces. A
    tuple of one item gets its comma."""
    if open_ == "(" and len(items) == 1:
        one = f"({items[0]},)"
    else:
        one = open_ + ", ".join(items) + close
    if len(one) <= room or not items:
        return one
    inner = " " * (indent + 4)
    return open_ + "\n" + "".join(f"{inner}{item},\n" for item in items) + " " * indent + close
