"""Semantic types: what a written type means once names are resolved.

A value's type (`Type`) is kept apart from what its declaration says about it
(`Constraints`: `@pii`, `@max_len`, ...), because the same type carries different
constraints on different fields, and aliases add their own."""

from __future__ import annotations

import typing as t

import attrs

PRIMITIVES = ("string", "int", "float", "bool")


@attrs.frozen(slots=True)
class Prim:
    """`string`, `int`, `float`, `bool` (and `null`, the type of the `null` literal)."""

    name: str

    def show(self) -> str:
        return self.name


@attrs.frozen(slots=True)
class ListT:
    """`list<T>`."""

    elem: Type

    def show(self) -> str:
        return f"list<{self.elem.show()}>"


@attrs.frozen(slots=True)
class MapT:
    """`map<string, T>`."""

    value: Type

    def show(self) -> str:
        return f"map<string, {self.value.show()}>"


@attrs.frozen(slots=True)
class OptionalT:
    """`T?`: a T or null."""

    inner: Type

    def show(self) -> str:
        return f"{self.inner.show()}?"


@attrs.frozen(slots=True)
class RecordT:
    """A declared record, by qualified name (`support.types.Ticket`)."""

    qname: str

    @property
    def name(self) -> str:
        return self.qname.rsplit(".", 1)[-1]

    def show(self) -> str:
        return self.name


@attrs.frozen(slots=True)
class EnumT:
    """A declared enum, by qualified name."""

    qname: str

    @property
    def name(self) -> str:
        return self.qname.rsplit(".", 1)[-1]

    def show(self) -> str:
        return self.name


@attrs.frozen(slots=True)
class AnyT:
    """The type of something already reported as wrong: accepted everywhere, so one
    mistake gives one diagnostic, not a cascade."""

    def show(self) -> str:
        return "unknown"


Type = t.Union[Prim, ListT, MapT, OptionalT, RecordT, EnumT, AnyT]

STRING = Prim("string")
INT = Prim("int")
FLOAT = Prim("float")
BOOL = Prim("bool")
NULL = Prim("null")
ANY = AnyT()


@attrs.frozen(slots=True)
class Constraints:
    """What annotations say about a value (merged from alias and field)."""

    pii: bool = False
    secret: bool = False
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    range: tuple[float, float] | None = None
    description: str | None = None

    def merge(self, other: Constraints) -> Constraints:
        """`other` (the nearer declaration) wins where both say something."""
        return Constraints(
            pii=self.pii or other.pii,
            secret=self.secret or other.secret,
            min_len=other.min_len if other.min_len is not None else self.min_len,
            max_len=other.max_len if other.max_len is not None else self.max_len,
            pattern=other.pattern if other.pattern is not None else self.pattern,
            range=other.range if other.range is not None else self.range,
            description=other.description or self.description,
        )


NO_CONSTRAINTS = Constraints()


def strip_optional(ty: Type) -> Type:
    return ty.inner if isinstance(ty, OptionalT) else ty


def is_numeric(ty: Type) -> bool:
    return ty in (INT, FLOAT)


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type `value` may be used where `target` is expected."""
    if isinstance(value, AnyT) or isinstance(target, AnyT):
        return True
    if value == target:
        return True
    if isinstance(target, OptionalT):
        return value == NULL or assignable(strip_optional(value), target.inner)
    if value == INT and target == FLOAT:
        return True
    if isinstance(value, ListT) and isinstance(target, ListT):
        return assignable(value.elem, target.elem)
    if isinstance(value, MapT) and isinstance(target, MapT):
        return assignable(value.value, target.value)
    return False


def comparable(left: Type, right: Type) -> bool:
    """Whether `==`-style comparison of the two makes sense."""
    left, right = strip_optional(left), strip_optional(right)
    if isinstance(left, AnyT) or isinstance(right, AnyT):
        return True
    if NULL in (left, right):
        return True
    if is_numeric(left) and is_numeric(right):
        return True
    return left == right
