"""The source-shaped AST of a `.pops` module: frozen attrs nodes, each with its span."""

from __future__ import annotations

import typing as t

import attrs

from promptlang.source import Span
from promptlang.source import fast_pickle


def node(cls):
    """A frozen, slotted attrs class that pickles as its constructor call (the parse
    cache stores ASTs; attrs' generic slot pickling was most of a cold check's cost)."""
    return fast_pickle(attrs.frozen(slots=True)(cls))


# ---- names and types ---------------------------------------------------------


@node
class Name:
    """An identifier where it is written."""

    span: Span
    value: str


@node
class Dotted:
    """A possibly qualified name: `Ticket`, `t.Ticket`, `std.policies.no_pii_leaks`."""

    span: Span
    parts: tuple[Name, ...]

    @property
    def text(self) -> str:
        return ".".join(p.value for p in self.parts)


@node
class TypeRef:
    """A written type: `string`, `list<T>`, `map<string, T>`, `t.Ticket?`."""

    span: Span
    name: Dotted
    args: tuple[TypeRef, ...]
    optional: bool


@node
class Annotation:
    """`@name` or `@name(args)` after a type."""

    span: Span
    name: Name
    args: tuple[Expr, ...]


@node
class Field:
    """`name: Type @ann = default` in a record, a parameter list or a `slots` block."""

    span: Span
    name: Name
    type: TypeRef
    annotations: tuple[Annotation, ...]
    default: Expr | None


# ---- expressions ---------------------------------------------------------------


@node
class Str:
    """A string literal; `triple` for `\"\"\"...\"\"\"` blocks, whose `body_start` is the
    offset of the first character after the opening quotes."""

    span: Span
    value: str
    triple: bool
    body_start: int


@node
class Int:
    """An integer literal."""

    span: Span
    value: int


@node
class Float:
    """A floating-point literal."""

    span: Span
    value: float


@node
class Bool:
    """`true` or `false`."""

    span: Span
    value: bool


@node
class Null:
    """`null`."""

    span: Span


@node
class Duration:
    """`1500ms`, `30s`, `5m`, `1h`, kept as milliseconds."""

    span: Span
    ms: float
    text: str


@node
class Percent:
    """`70%`, kept as the number written (70.0)."""

    span: Span
    value: float


@node
class Regex:
    """`/pattern/flags`."""

    span: Span
    pattern: str
    flags: str


@node
class Range:
    """`lo..hi` (integers)."""

    span: Span
    lo: int
    hi: int


@node
class ListExpr:
    """`[a, b]`."""

    span: Span
    items: tuple[Expr, ...]


@node
class ObjEntry:
    """`key: value` inside an object literal."""

    span: Span
    key: Name
    value: Expr


@node
class ObjectExpr:
    """`{ key: value, ... }`."""

    span: Span
    entries: tuple[ObjEntry, ...]


@node
class Ident:
    """A bare name in an expression."""

    span: Span
    name: str


@node
class Attr:
    """`obj.name`."""

    span: Span
    obj: Expr
    name: Name


@node
class Arg:
    """A call argument, positional (`name` is None) or named (`name = value`)."""

    span: Span
    name: Name | None
    value: Expr


@node
class Call:
    """`func(args)`: built-ins (`env`, `vault`, `file`), prompt routes, intent matches."""

    span: Span
    func: Expr
    args: tuple[Arg, ...]


@node
class Apply:
    """A word applied to a literal: `rubric "..."`, `words ["a", "b"]`."""

    span: Span
    word: Name
    arg: Expr


@node
class Not:
    """`not operand`."""

    span: Span
    operand: Expr


@node
class BoolOp:
    """`a and b and c` or `a or b`."""

    span: Span
    op: str
    operands: tuple[Expr, ...]


@node
class Compare:
    """`left op right` with op one of `== != < <= > >= in not_in contains
    not_contains matches not_matches`."""

    span: Span
    op: str
    op_span: Span
    left: Expr
    right: Expr


@node
class Similar:
    """`left similar_to reference >= threshold`."""

    span: Span
    left: Expr
    reference: Expr
    op: str
    threshold: Expr


Expr = t.Union[
    Str, Int, Float, Bool, Null, Duration, Percent, Regex, Range, ListExpr, ObjectExpr,
    Ident, Attr, Call, Apply, Not, BoolOp, Compare, Similar,
]


# ---- block entries ----------------------------------------------------------------


@node
class Setting:
    """`key = value`."""

    span: Span
    key: Name
    value: Expr


@node
class Block:
    """`kind label? { entries }`: `slots`, `given`, `kubernetes`, `rollout canary`, ..."""

    span: Span
    kind: Name
    label: Name | None
    entries: tuple[Entry, ...]


@node
class Rule:
    """`keyword expression (for expression)?`: messages, `expect`, `forbid`, `slo`, ..."""

    span: Span
    keyword: Name
    expr: Expr
    for_: Expr | None


@node
class Mapping:
    """`"text" -> target` in `test intents`."""

    span: Span
    text: Str
    target: Expr


Entry = t.Union[Setting, Field, Block, Rule, Mapping]


# ---- declarations -------------------------------------------------------------------


@node
class Import:
    """`import a.b` or `import a.b as c`."""

    span: Span
    path: Dotted
    alias: Name | None


@node
class FromImport:
    """`from a.b import X, Y`."""

    span: Span
    path: Dotted
    names: tuple[Name, ...]


@node
class EnumMember:
    """One member of an enum."""

    span: Span
    name: Name
    annotations: tuple[Annotation, ...]


@node
class Enum:
    """`enum Name { a, b }`."""

    span: Span
    name: Name
    members: tuple[EnumMember, ...]


@node
class Record:
    """`type Name { field: Type ... }`."""

    span: Span
    name: Name
    fields: tuple[Field, ...]


@node
class Alias:
    """`type Name = Type @annotations`."""

    span: Span
    name: Name
    type: TypeRef
    annotations: tuple[Annotation, ...]


@node
class Model:
    """`model name { settings }`."""

    span: Span
    name: Name
    entries: tuple[Entry, ...]


@node
class Template:
    """`template name(params) \"\"\"body\"\"\"`."""

    span: Span
    name: Name
    params: tuple[Field, ...]
    body: Str


@node
class Prompt:
    """`prompt name(params) -> Output { settings and messages }`."""

    span: Span
    name: Name
    params: tuple[Field, ...]
    output: TypeRef | None
    entries: tuple[Entry, ...]


@node
class Intent:
    """`intent name { examples, slots, route, threshold }`."""

    span: Span
    name: Name
    entries: tuple[Entry, ...]


@node
class Test:
    """`test "title" for prompt { given, expect }` (a prompt test)."""

    span: Span
    title: Str
    target: Dotted
    entries: tuple[Entry, ...]


@node
class IntentTests:
    """`test intents { "text" -> intent(...) }` (the label is kept as written)."""

    span: Span
    name: Name
    entries: tuple[Entry, ...]


@node
class Policy:
    """`policy name { rules }`."""

    span: Span
    name: Name
    entries: tuple[Entry, ...]


@node
class ApplyPolicy:
    """`apply policy to *` (targets None) or `apply policy to [a, b]`."""

    span: Span
    policy: Dotted
    targets: tuple[Dotted, ...] | None


@node
class Environment:
    """`environment name { deploy and monitoring settings }`."""

    span: Span
    name: Name
    entries: tuple[Entry, ...]


@node
class Broken:
    """A declaration that did not parse: its name is kept so that uses of it elsewhere
    are not reported again (the syntax error is the one root cause)."""

    span: Span
    keyword: str
    name: Name


Decl = t.Union[
    Import, FromImport, Enum, Record, Alias, Model, Template, Prompt, Intent, Test,
    IntentTests, Policy, ApplyPolicy, Environment, Broken,
]


@node
class Comment:
    """A `//` or `/* */` comment, kept for doc comments and the formatter."""

    span: Span
    text: str


@node
class Module:
    """One parsed file: its declarations in source order and its comments."""

    file: str
    name: str
    decls: tuple[Decl, ...]
    comments: tuple[Comment, ...]


NAMED_DECLS = (Enum, Record, Alias, Model, Template, Prompt, Intent, Policy, Environment)
