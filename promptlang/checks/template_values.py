"""What the template checker knows about a value: its type, and what it carries into
the rendered prompt (`@pii`/`@secret` taint, the parameters it came from)."""

from __future__ import annotations

import typing as t

import attrs

from promptlang import types as ty
from promptlang.diagnostics.suggest import all_of as _all_of
from promptlang.source import Span

NO_KINDS: frozenset[str] = frozenset()


@attrs.frozen
class Binding:
    """A variable visible in a template: a parameter's type and its constraints."""

    type: ty.Type
    constraints: ty.Constraints = ty.NO_CONSTRAINTS


@attrs.frozen
class Leak:
    """An interpolation policies care about: a `pii` or `secret` value reaching the text.

    `what` names the value (`` `customer.name` ``); `fix`, when set, is the whole
    interpolation rewritten to redact it, to suggest as it stands (the argument of a
    template call is redacted inside the call: `` `{{ salutation(customer.name | redact) }}` ``).
    When it is None, redacting `what` itself is the fix."""

    kind: str
    span: Span
    what: str
    fix: str | None = None


@attrs.frozen(slots=True)
class Pending:
    """A leak through a template call's argument: it counts only if the call is rendered
    unredacted. `edit` redacts it where it is written: the argument's offsets in the
    body and what to write there; None when only redacting the call's text helps (the
    callee itself renders a protected field of the argument)."""

    leak: Leak
    edit: tuple[int, int, str] | None = None


@attrs.frozen(slots=True)
class LoopT:
    """The type of `loop` inside `{% for %}`; `elem` is the type of the items."""

    elem: ty.Type

    def show(self) -> str:
        return "loop"


def loop_fields(elem: ty.Type) -> dict[str, ty.Type]:
    """The attributes of `loop` the subset allows (its methods are not values)."""
    ints = dict.fromkeys(("index", "index0", "revindex", "revindex0", "length"), ty.INT)
    return {**ints, "first": ty.BOOL, "last": ty.BOOL,
            "previtem": ty.OptionalT(elem), "nextitem": ty.OptionalT(elem)}


@attrs.frozen(slots=True)
class Val:
    """A checked expression: its type, the taint it carries and where that came in
    (`what`), the template parameters it derives from (`origins`) and leaks of template
    calls inside it, which count only if the value is rendered unredacted (`pending`)."""

    type: t.Any
    taint: frozenset[str] = NO_KINDS
    what: str = ""
    origins: frozenset[str] = frozenset()
    pending: tuple[Pending, ...] = ()

    def retyped(self, type_) -> Val:
        """The same flow of data, as another type (`upper`, `truncate`, ...)."""
        return attrs.evolve(self, type=type_)

    def joined(self, other: Val) -> Val:
        """This value's type, carrying what both carry (`default(v)`, `a or b`)."""
        return Val(self.type, self.taint | other.taint, self.what or other.what,
                   self.origins | other.origins, self.pending + other.pending)


UNKNOWN = Val(ty.ANY)


def kinds_of(constraints: ty.Constraints) -> frozenset[str]:
    """The policy kinds a declaration's annotations put on its values."""
    kinds = set()
    if constraints.pii:
        kinds.add("pii")
    if constraints.secret:
        kinds.add("secret")
    return frozenset(kinds)


def deep_kinds(program, type_) -> frozenset[str]:
    """The kinds inside a value rendered whole (`| json`, `| join`): the annotations of
    every field reachable from its type. Memoized on the program."""
    memo = program.__dict__.setdefault("_template_deep_kinds", {})
    return _deep(program, type_, memo, set())


_INNER = {ty.ListT: "elem", ty.OptionalT: "inner", ty.MapT: "value", LoopT: "elem"}


def _deep(program, type_, memo: dict, busy: set) -> frozenset[str]:
    inner = _INNER.get(type(type_))
    if inner is not None:
        return _deep(program, getattr(type_, inner), memo, busy)
    if not isinstance(type_, ty.RecordT) or type_.qname in busy:
        return NO_KINDS
    if type_.qname in memo:
        return memo[type_.qname]
    top = not busy
    busy.add(type_.qname)
    kinds: frozenset[str] = NO_KINDS
    for field in program.records.get(type_.qname, {}).values():
        kinds |= kinds_of(field.constraints) | _deep(program, field.type, memo, busy)
    busy.discard(type_.qname)
    if top:  # inside a cycle a record's answer may still miss what its caller adds
        memo[type_.qname] = kinds
    return kinds


def const_type(value) -> ty.Type | None:
    """The type of a Jinja literal, or None for literals outside the subset."""
    if value is None:
        return ty.NULL
    return {bool: ty.BOOL, int: ty.INT, float: ty.FLOAT, str: ty.STRING}.get(type(value))


def renders(type_) -> bool:
    """Whether `{{ value }}` of this type gives readable text."""
    inner = ty.strip_optional(type_)
    return isinstance(inner, (ty.Prim, ty.EnumT, ty.AnyT))


def scalar(type_) -> bool:
    """A string, number, boolean or enum value (optional ones not included)."""
    return isinstance(type_, (ty.Prim, ty.EnumT, ty.AnyT)) and type_ != ty.NULL


def all_of(names) -> str:
    """`a`, `b` and `c`: every one of them, not a choice (templates name up to 12)."""
    return _all_of(names, limit=12)


def a(type_) -> str:
    """`a `list<string>``, `an `int``."""
    shown = type_.show()
    article = "an" if shown[:1] in "aeiouAEIOU" else "a"
    return f"{article} `{shown}`"
