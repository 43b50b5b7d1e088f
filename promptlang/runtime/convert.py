"""Turning a model's JSON answer into the typed output the SDK promises.

The generated SDK builds one converter per output type from these pieces
(`list_of(member(Priority))`, `Reply.from_data`, ...). A converter takes the decoded
JSON value and `where` (the path that error messages name, `output.items[2].price`) and
returns the typed value or raises `ValueError`/`TypeError` with a message the model can
act on: the runtime shows it to the model once to repair the answer, then raises
`InvalidOutput` with it. The `.pops` annotations (`@max_len`, `@range`, ...) are checked
by the attrs validators of the record classes, so the converters only check types.
"""

from __future__ import annotations

import enum
import json
import re
import typing as t
from typing import Any
from collections.abc import Callable
from collections.abc import Mapping

import attrs

from promptlang.runtime.text import to_plain

T = t.TypeVar("T")
E = t.TypeVar("E", bound=enum.Enum)
Converter = Callable[[object, str], T]

# The key a non-record output is wrapped in: providers want an object at the root of a
# structured-output schema, so `-> list<string>` is asked for as `{"value": [...]}`.
WRAPPED = "value"


def parse_json(text: str) -> object:
    """The JSON value of an answer; `ValueError` (with the position) when it is not JSON.
    A Markdown code fence around the JSON, which some models add, is tolerated."""
    stripped = text.strip()
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0]
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as error:
        raise ValueError(f"the answer is not JSON ({error.msg} at line {error.lineno} "
                         f"column {error.colno})") from None


def unwrap(data: object) -> object:
    """The value of a wrapped answer, `{"value": ...}`."""
    fields_ = fields(data, "output", (WRAPPED,))
    return fields_[WRAPPED]


def fields(data: object, where: str, required: tuple[str, ...] = ()) -> Mapping[str, object]:
    """`data` as a JSON object holding every `required` key. Keys not declared are
    ignored: the schema forbids them, but a model adding one has still answered."""
    if not isinstance(data, dict):
        raise TypeError(f"{where}: expected an object, got {_kind(data)}")
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{where}: missing field{'s' if len(missing) > 1 else ''} "
                         + ", ".join(f"`{name}`" for name in missing))
    return t.cast("Mapping[str, object]", data)


def string(value: object, where: str) -> str:
    """A JSON string."""
    if not isinstance(value, str):
        raise TypeError(f"{where}: expected a string, got {_kind(value)}")
    return value


def integer(value: object, where: str) -> int:
    """A JSON integer (`3.0` counts: JSON does not tell them apart; `true` does not)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{where}: expected an integer, got {_kind(value)}")
    return value


def number(value: object, where: str) -> float:
    """A JSON number, as a float."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{where}: expected a number, got {_kind(value)}")
    return float(value)


def boolean(value: object, where: str) -> bool:
    """A JSON `true` or `false`."""
    if not isinstance(value, bool):
        raise TypeError(f"{where}: expected true or false, got {_kind(value)}")
    return value


def anything(value: object, where: str) -> object:
    """Any JSON value, as it is (`any` in `.pops`)."""
    return value


def member(cls: type[E]) -> Converter[E]:
    """A converter to a member of the enum `cls`, given its value."""
    def convert(value: object, where: str) -> E:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(json.dumps(m.value) for m in cls)
            raise ValueError(f"{where}: expected one of {allowed}, got {_shown(value)}") from None
    return convert


def list_of(item: Converter[T]) -> Converter[list[T]]:
    """A converter to a list whose items `item` converts."""
    def convert(value: object, where: str) -> list[T]:
        if not isinstance(value, list):
            raise TypeError(f"{where}: expected a list, got {_kind(value)}")
        return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return convert


def map_of(item: Converter[T]) -> Converter[dict[str, T]]:
    """A converter to a map from strings to what `item` converts."""
    def convert(value: object, where: str) -> dict[str, T]:
        if not isinstance(value, dict):
            raise TypeError(f"{where}: expected an object, got {_kind(value)}")
        return {str(k): item(v, f"{where}.{k}") for k, v in value.items()}
    return convert


def optional(item: Converter[T]) -> Converter[T | None]:
    """A converter to what `item` converts, or None for a JSON `null`."""
    def convert(value: object, where: str) -> T | None:
        return None if value is None else item(value, where)
    return convert


def construct(cls: Callable[..., T], where: str, /, **values: object) -> T:
    """`cls(**values)`, with `where` in front of what a validator refuses (`@max_len`,
    `@range`, ...: attrs names the field, `where` says whose field it is)."""
    try:
        return cls(**values)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def plain_inputs(values: Mapping[str, object]) -> dict[str, object]:
    """A call's inputs as JSON data (records as objects, enum members as values), as
    metrics, the audit log and replay keys read them."""
    return {name: to_plain(value) for name, value in values.items()}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "an object"}
    return f"{names.get(type(value), type(value).__name__)} ({_shown(value)})"


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def constraints(*, min_len: int | None = None, max_len: int | None = None,
                pattern: str | None = None, minimum: float | None = None,
                maximum: float | None = None) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """The attrs validator of a field's `.pops` annotations (`@min_len`, `@max_len`,
    `@pattern`, `@range`). One validator for all of them keeps the generated fields short
    and typed; None passes (an optional field's null is not checked)."""
    rules = _Rules(min_len, max_len, re.compile(pattern) if pattern is not None else None,
                   minimum, maximum)

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        rules.check(f"`{attribute.metadata.get('name', attribute.name)}`", value)

    return validate


def within(item: Converter[T], *, min_len: int | None = None, max_len: int | None = None,
           pattern: str | None = None, minimum: float | None = None,
           maximum: float | None = None) -> Converter[T]:
    """A converter that also checks a parameter's annotations, as `constraints` does a
    field's (a prompt's `arguments` reads parameters, which no class validates)."""
    rules = _Rules(min_len, max_len, re.compile(pattern) if pattern is not None else None,
                   minimum, maximum)

    def convert(value: object, where: str) -> T:
        converted = item(value, where)
        rules.check(where, converted)
        return converted

    return convert


@attrs.frozen
class _Rules:
    min_len: int | None
    max_len: int | None
    regex: re.Pattern[str] | None
    minimum: float | None
    maximum: float | None

    def check(self, name: str, value: object) -> None:
        """`ValueError` naming `name` when `value` breaks a rule; None passes."""
        if isinstance(value, (str, list, dict)):
            unit = "characters" if isinstance(value, str) else "items"
            if self.min_len is not None and len(value) < self.min_len:
                raise ValueError(f"{name} has {len(value)} {unit}, fewer than {self.min_len}")
            if self.max_len is not None and len(value) > self.max_len:
                raise ValueError(f"{name} has {len(value)} {unit}, more than {self.max_len}")
        if self.regex is not None and isinstance(value, str) and self.regex.search(value) is None:
            raise ValueError(f"{name} does not match /{self.regex.pattern}/: {_shown(value)}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                raise ValueError(f"{name} is {value}, less than {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise ValueError(f"{name} is {value}, more than {self.maximum}")
