"""The helpers compiled templates call: how a value renders, and the filters that are more
than a method call. Generated code reaches them as `_t` (`from promptlang.runtime import
text as _t`); `upper`, `lower`, `trim` and `length` compile to `str.upper()`, `str.lower()`,
`str.strip()` and `len()` and need nothing here.

Each helper renders what Jinja renders for the same template, with two deliberate
differences, both because a prompt is not a web page:

- an enum member renders as its value, which is the member's name in the `.pops` file
  (`high`); Jinja would print `str(member)` (`Priority.high`);
- `json` is plain `json.dumps` with sorted keys and the text kept as it is
  (`ensure_ascii=False`, the default `", "` and `": "` separators); Jinja's `tojson` is
  made for HTML and escapes `<`, `>`, `&` and `'` as `\\u003c`...
"""

from __future__ import annotations

import enum
import json
import re
import typing as t
from builtins import enumerate as enumerate  # noqa: F401 - `_t.enumerate` and `_t.len`
from builtins import len as len  # noqa: F401 - for code whose parameters hide the builtins
from collections.abc import Container
from collections.abc import Iterable

import attrs

REDACTED = "[redacted]"

T = t.TypeVar("T")

# Where Jinja's `title` starts a new word: after dashes, spaces and opening brackets.
_WORD_BEGINNING = re.compile(r"([-\s({\[<]+)")


def text(value: object) -> str:
    """`{{ value }}` for a value whose type the compiler did not know: `str(value)` as
    Jinja prints it (`True`, `3`, `0.5`), an enum member as its value."""
    if type(value) is str:
        return value
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def key(value: object) -> object:
    """A value as it compares with a string literal in a template: an enum member as its
    value, so that `priority == "high"` holds for `Priority.high`; others unchanged."""
    return value.value if isinstance(value, enum.Enum) else value


def keys(values: Container[object]) -> Container[object]:
    """A container as `"high" in values` sees it: the items of a list through `key`;
    strings and maps (substrings, keys) unchanged."""
    if isinstance(values, (list, tuple)):
        return [key(value) for value in values]
    return values


def default(value: T | None, fallback: T) -> T:
    """`value | default(fallback)`: the fallback when the value is null. (Jinja's own
    `default` replaces only undefined values; a template never sees one.)"""
    return fallback if value is None else value


def redact(value: object) -> str:
    """`value | redact`: a placeholder in place of the value, whatever it is."""
    return REDACTED


def truncate(s: str, length: int = 255, killwords: bool = False, end: str = "...",
             leeway: int = 5) -> str:
    """`s | truncate(length)` exactly as Jinja's `do_truncate` with its default policies:
    text at most `leeway` characters too long is kept; otherwise it is cut to
    `length - len(end)` characters, back to the last space unless `killwords`, and
    `end` is appended. Jinja asserts what is raised here as a ValueError."""
    if length < len(end):
        raise ValueError(f"expected length >= {len(end)}, got {length}")
    if leeway < 0:
        raise ValueError(f"expected leeway >= 0, got {leeway}")
    if len(s) <= length + leeway:
        return s
    if killwords:
        return s[: length - len(end)] + end
    return s[: length - len(end)].rsplit(" ", 1)[0] + end


def title(s: str) -> str:
    """`s | title` as Jinja's `do_title`: each word's first character upper case and the
    rest lower case, words starting after a space, a dash or an opening bracket (unlike
    `str.title`, which also starts one after an apostrophe or a digit)."""
    return "".join(part[0].upper() + part[1:].lower()
                   for part in _WORD_BEGINNING.split(s) if part)


def join(items: Iterable[object], sep: str = "") -> str:
    """`items | join(sep)` for items that are not all strings: each as `text` shows it."""
    return sep.join(map(text, items))


def length(value: t.Sized) -> int:
    """`value | length`; generated code writes `len(value)` unless a parameter hides it."""
    return len(value)


def to_plain(value: object) -> object:
    """A value as JSON data: attrs records as objects of their fields (named as in the
    `.pops` file: a field the SDK calls `class_` carries its name `class` in metadata),
    enum members as their values, lists, tuples and maps item by item."""
    if isinstance(value, enum.Enum):
        return value.value
    cls = type(value)
    if attrs.has(cls):
        return {field.metadata.get("name", field.name): to_plain(getattr(value, field.name))
                for field in attrs.fields(cls)}
    if isinstance(value, dict):
        return {name: to_plain(item) for name, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(item) for item in value]
    return value


def json_text(value: object) -> str:
    """`value | json`: `json.dumps` of `to_plain(value)`, keys sorted so that the text
    (and a prompt's content hash) does not depend on field order, text not escaped."""
    return json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False)
