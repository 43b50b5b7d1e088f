"""Template expressions: names, fields, literals, `and`/`or`/`not` and comparisons,
each given a type (and taint) or reported once, at the narrowest span."""

from __future__ import annotations

import attrs
from jinja2 import nodes as jn

from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.checks.template_filters import FILTERS
from promptlang.checks.template_parse import Parsed
from promptlang.checks.template_values import UNKNOWN
from promptlang.checks.template_values import LoopT
from promptlang.checks.template_values import Val
from promptlang.checks.template_values import a
from promptlang.checks.template_values import all_of
from promptlang.checks.template_values import const_type
from promptlang.checks.template_values import kinds_of
from promptlang.checks.template_values import loop_fields
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.resolve import ARTICLE


Path = tuple[str, ...]
_ORDER = {"lt": "<", "gt": ">", "lteq": "<=", "gteq": ">="}


@attrs.frozen
class Env:
    """What an expression can see: variables, the paths known not to be null here, and
    whether it is rendered (`{{ }}`) rather than tested."""

    vars: dict[str, Val]
    facts: frozenset[Path] = frozenset()
    output: bool = False

    def with_facts(self, paths: frozenset[Path]) -> Env:
        return attrs.evolve(self, facts=self.facts | paths)

    def with_var(self, name: str, val: Val) -> Env:
        """A loop variable shadows what it names, and what was known about it."""
        facts = frozenset(p for p in self.facts if p[0] != name)
        return attrs.evolve(self, vars={**self.vars, name: val}, facts=facts)


def path_of(node) -> Path | None:
    """`ticket.manager` as `("ticket", "manager")`; None for anything else."""
    kind = type(node).__name__
    if kind == "Name":
        return (node.name,)
    if kind == "Getattr":
        base = path_of(node.node)
        return base + (node.attr,) if base else None
    return None


class ExprChecker:
    """Types expressions; subclasses add filters, calls and statements."""

    def __init__(self, ctx: Ctx, parsed: Parsed):
        self.ctx = ctx
        self.parsed = parsed
        self.tokens = parsed.tokens

    # ---- positions and reporting ----------------------------------------------------
    def extent(self, node) -> tuple[int, int]:
        return self.tokens.extent(node)

    def text(self, node) -> str:
        start, end = self.extent(node)
        return self.parsed.body.text[start:end]

    def report(self, code: str, where: tuple[int, int], message: str, **kw) -> None:
        self.ctx.sink.report(code, self.parsed.body.span(self.ctx, *where), message, **kw)

    def name_at(self, offset: int) -> tuple[int, int]:
        """The span of the token at `offset` (a name, a keyword, an operator)."""
        tok = self.tokens.at(offset)
        return (tok.start, tok.end) if tok else (offset, offset + 1)

    # ---- dispatch --------------------------------------------------------------------
    def expr(self, node, env: Env) -> Val:
        visit = getattr(self, f"visit_{type(node).__name__}", None)
        return visit(node, env) if visit else self.unsupported(node, env)

    def unsupported(self, node, env: Env):  # pragma: no cover - defined by the subclass
        raise NotImplementedError

    # ---- names and fields ------------------------------------------------------------
    def visit_Name(self, node: jn.Name, env: Env) -> Val:
        """A variable; a protected one names itself as where its taint comes from."""
        val = env.vars.get(node.name)
        if val is None:
            self.not_a_variable(node, env)
            return UNKNOWN
        if isinstance(val.type, ty.OptionalT) and (node.name,) in env.facts:
            val = val.retyped(val.type.inner)
        return attrs.evolve(val, what=node.name) if val.taint else val

    def not_a_variable(self, node: jn.Name, env: Env) -> None:
        """An unknown name, or a declaration that is not a value, said at the name."""
        where = self.name_at(node.lineno)
        scope = self.ctx.scope
        sym = scope.own.get(node.name) or scope.imported.get(node.name)
        if sym is not None:
            self.report("E0208", where, f"`{node.name}` is {ARTICLE[sym.kind]}, not a variable",
                        label="not a variable", help=self.symbol_help(node.name, sym, env))
            return
        help = did_you_mean(node.name, env.vars)
        if node.name == "loop":
            help = "`loop` exists only inside `{% for %}`"
        elif help is None and env.vars:
            help = f"the variables here are {all_of(sorted(env.vars))}"
        self.report("E0203", where, f"unknown variable `{node.name}`",
                    label="not a parameter or loop variable",
                    help=help or "declare it as a parameter")

    def symbol_help(self, name: str, sym, env: Env) -> str | None:
        """A declaration used as a value: how it can be used in a template."""
        if sym.kind == "template":
            return f"call it: `{{{{ {name}(...) }}}}`"
        if sym.kind == "enum":
            member = next(iter(self.ctx.program.enums.get(sym.qname, {})), "member")
            return f'write a member as a string where it is compared: `== "{member}"`'
        return did_you_mean(name, env.vars)

    def visit_Getattr(self, node: jn.Getattr, env: Env) -> Val:
        """`a.b`: a field, narrowed to non-null inside a check of the same path."""
        if self.is_qualified(node, env):
            return self.template_value(node, env)
        obj = self.expr(node.node, env)
        attr = self.tokens.step(node.lineno, 1)
        where = (attr.start, attr.end) if attr else self.name_at(node.lineno)
        val = self.field(node, obj, where)
        path = path_of(node)
        if isinstance(val.type, ty.OptionalT) and path in env.facts:
            val = val.retyped(val.type.inner)
        return val

    def field(self, node: jn.Getattr, obj: Val, where) -> Val:
        """`obj.attr`: a record's field, a `loop` attribute, or one error."""
        type_ = obj.type
        if isinstance(type_, ty.OptionalT):
            self.null_access(node, type_, where)
            type_ = type_.inner
        if isinstance(type_, ty.AnyT):
            return UNKNOWN
        if isinstance(type_, LoopT):
            return self.loop_field(node, type_, where)
        if not isinstance(type_, ty.RecordT):
            return self.no_field(node, type_, where)
        fields = self.ctx.program.records.get(type_.qname)
        info = fields.get(node.attr) if fields is not None else None
        if info is None:
            if fields is not None:
                self.report("E0204", where, f"record `{type_.name}` has no field `{node.attr}`",
                            label=f"not a field of `{type_.name}`",
                            help=did_you_mean(node.attr, fields)
                            or f"the fields of `{type_.name}` are {all_of(fields)}")
            return UNKNOWN
        taint = obj.taint | kinds_of(info.constraints)
        what = self.text(node) if taint else ""
        return Val(info.type, taint, what, obj.origins, obj.pending)

    def null_access(self, node: jn.Getattr, type_, where) -> None:
        owner = self.text(node.node)
        self.report("E0316", where, f"`{owner}` may be null here",
                    label=f"reading `{node.attr}` of {a(type_)}",
                    help=f"check it first: `{{% if {owner} %}}`")

    def loop_field(self, node: jn.Getattr, type_: LoopT, where) -> Val:
        """`loop.index` and the other loop attributes (ints, bools, neighbours)."""
        fields = loop_fields(type_.elem)
        if node.attr in fields:
            return Val(fields[node.attr])
        self.report("E0204", where, f"`loop` has no field `{node.attr}`",
                    label="not a field of `loop`",
                    help=did_you_mean(node.attr, fields) or f"`loop` has {all_of(fields)}")
        return UNKNOWN

    def no_field(self, node: jn.Getattr, type_, where) -> Val:
        """`ticket.body.text`, `tags.upper`: only records have fields."""
        help = None
        if node.attr in FILTERS:
            help = f"use the filter: `{self.text(node.node)} | {node.attr}`"
        elif isinstance(type_, ty.EnumT):
            help = f'compare it with a member name instead: `{self.text(node.node)} == "..."`'
        elif isinstance(type_, ty.MapT):
            help = "a map's keys are not known to the checker: render it whole with `| json`"
        self.report("E0204", where, f"`{type_.show()}` has no field `{node.attr}`",
                    label=f"{a(type_)} has no fields", help=help)
        return UNKNOWN

    # ---- literals ------------------------------------------------------------------
    def visit_Const(self, node: jn.Const, env: Env) -> Val:
        type_ = const_type(node.value)
        return Val(type_) if type_ is not None else self.unsupported(node, env)

    def visit_List(self, node: jn.List, env: Env) -> Val:
        """A list literal (`x in ["a", "b"]`): a list of its items' common type."""
        vals = [self.expr(item, env) for item in node.items]
        types = {v.type for v in vals}
        elem = types.pop() if len(types) == 1 else ty.ANY
        result = Val(ty.ListT(elem))
        for val in vals:
            result = result.joined(val)
        return result

    def visit_Neg(self, node, env: Env) -> Val:
        """Only a negative number literal: arithmetic is outside the subset."""
        inner = node.node
        if type(inner).__name__ == "Const" and const_type(inner.value) in (ty.INT, ty.FLOAT):
            return Val(const_type(inner.value))
        return self.unsupported(node, env)

    # ---- logic ---------------------------------------------------------------------
    def visit_Not(self, node: jn.Not, env: Env) -> Val:
        self.expr(node.node, env)
        return Val(ty.BOOL)

    def visit_And(self, node: jn.And, env: Env) -> Val:
        left = self.expr(node.left, env)
        right = self.expr(node.right, env.with_facts(self.facts(node.left, True)))
        return Val(ty.BOOL).joined(left).joined(right)

    def visit_Or(self, node: jn.Or, env: Env) -> Val:
        """`a or b` is also the idiom for a fallback text: typed as `a` when `b` fits it."""
        left = self.expr(node.left, env)
        right = self.expr(node.right, env.with_facts(self.facts(node.left, False)))
        inner = ty.strip_optional(left.type)
        type_ = inner if ty.assignable(right.type, inner) else ty.BOOL
        return Val(type_).joined(left).joined(right)

    def facts(self, node, positive: bool) -> frozenset[Path]:
        """The paths that are not null when `node` is true (or false, if not positive)."""
        kind = type(node).__name__
        if kind in ("Name", "Getattr"):
            path = path_of(node)
            return frozenset({path}) if positive and path else frozenset()
        if kind == "Not":
            return self.facts(node.node, not positive)
        if kind == "Test":  # `x is defined`: reported once (E0108); its subject is then
            path = path_of(node.node)  # taken as checked in both branches, so as not to
            return frozenset({path}) if path else frozenset()  # cascade into E0316
        if (kind == "And") == positive and kind in ("And", "Or"):
            return self.facts(node.left, positive) | self.facts(node.right, positive)
        if kind == "Compare" and len(node.ops) == 1 and _is_none(node.ops[0].expr):
            op = node.ops[0].op
            if (op == "ne") == positive and op in ("eq", "ne") and path_of(node.expr):
                return frozenset({path_of(node.expr)})
        return frozenset()

    # ---- comparisons ---------------------------------------------------------------
    def visit_Compare(self, node: jn.Compare, env: Env) -> Val:
        left_node, left = node.expr, self.expr(node.expr, env)
        for operand in node.ops:
            right = self.expr(operand.expr, env)
            check = getattr(self, f"compare_{_OP_GROUP[operand.op]}")
            check(operand.op, (left_node, left), (operand.expr, right))
            left_node, left = operand.expr, right
        return Val(ty.BOOL)

    def compare_eq(self, op: str, left, right) -> None:
        """`==`/`!=`: comparable types, or an enum against one of its member names."""
        if self.enum_literal(left, right) or self.enum_literal(right, left):
            return
        if not ty.comparable(left[1].type, right[1].type):
            self.mismatch(left, right, f"cannot compare {a(left[1].type)} with {a(right[1].type)}")

    def compare_order(self, op: str, left, right) -> None:
        """`<` and friends: numbers with numbers, strings with strings."""
        lt, rt = left[1].type, right[1].type
        if ty.ANY in (lt, rt) or (ty.is_numeric(lt) and ty.is_numeric(rt)) or lt == rt == ty.STRING:
            return
        self.mismatch(left, right, f"`{_ORDER[op]}` needs two numbers or two strings, "
                                   f"found `{lt.show()}` and `{rt.show()}`")

    def compare_in(self, op: str, left, right) -> None:
        """`x in xs`: a list of `x`'s type, a map or string for a string `x`."""
        container = right[1].type
        found = f"cannot look for {a(left[1].type)} in {a(container)}"
        if isinstance(container, ty.AnyT):
            return
        if _is_enum(left[1].type) and type(right[0]).__name__ == "List":
            for item in right[0].items:  # `priority in ["high", "normal"]`
                self.enum_literal(left, (item, None))
        elif isinstance(container, ty.ListT):
            item = (right[0], Val(container.elem))
            if self.enum_literal(item, left):
                return
            if not ty.comparable(left[1].type, container.elem):
                self.mismatch(left, right, found)
        elif isinstance(container, ty.MapT) or container == ty.STRING:
            if not ty.comparable(left[1].type, ty.STRING):
                self.mismatch(left, right, found)
        else:
            self.report("E0317", self.extent(right[0]), "`in` needs a list, map or string "
                        f"on the right, found `{container.show()}`",
                        label=a(container), help=_null_help(container, self.text(right[0])))

    def mismatch(self, left, right, message: str) -> None:
        start, end = self.extent(left[0])[0], self.extent(right[0])[1]
        self.report("E0317", (start, end), message, label="these cannot be compared",
                    help=self.enum_help(left[1].type, right[1].type))

    def enum_help(self, left, right) -> str | None:
        """Comparing an enum with a string variable: say how to write a member."""
        for enum, other in ((left, right), (right, left)):
            enum = ty.strip_optional(enum)
            if isinstance(enum, ty.EnumT) and ty.strip_optional(other) == ty.STRING:
                member = next(iter(self.ctx.program.enums.get(enum.qname, {})), "member")
                return f'compare it with a member name written as a string: `== "{member}"`'
        return None

    def enum_literal(self, enum_side, literal_side) -> bool:
        """`priority == "high"`: fine when `high` is a member; else reported here."""
        enum = ty.strip_optional(enum_side[1].type)
        literal = literal_side[0]
        if not isinstance(enum, ty.EnumT) or type(literal).__name__ != "Const" \
                or not isinstance(literal.value, str):
            return False
        members = self.ctx.program.enums.get(enum.qname, {})
        if literal.value not in members:
            self.report("E0209", self.extent(literal),
                        f"enum `{enum.name}` has no member `{literal.value}`",
                        label=f"not a member of `{enum.name}`",
                        help=did_you_mean(literal.value, members)
                        or f"the members are {all_of(members)}")
        return True


_OP_GROUP = {"eq": "eq", "ne": "eq", "lt": "order", "gt": "order", "lteq": "order",
             "gteq": "order", "in": "in", "notin": "in"}


def _is_enum(type_) -> bool:
    return isinstance(ty.strip_optional(type_), ty.EnumT)


def _is_none(node) -> bool:
    return type(node).__name__ == "Const" and node.value is None


def _null_help(type_, text: str) -> str | None:
    if isinstance(type_, ty.OptionalT):
        return f"check it first: `{{% if {text} %}}`"
    return None
