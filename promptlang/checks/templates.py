"""Check template bodies (`template` declarations and prompt messages) against the
declared types of their variables, and find the protected values they interpolate.

A body is parsed by Jinja's own parser with character offsets for line numbers
(`template_parse`, which has `template_syntax` report its syntax errors), then walked
once: statements here, expressions in `template_exprs`, filters and calls in
`template_filters` and `template_calls`."""

from __future__ import annotations

import attrs
from jinja2 import nodes as jn

from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.checks.template_calls import CallChecker
from promptlang.checks.template_exprs import Env
from promptlang.checks.template_exprs import ExprChecker
from promptlang.checks.template_exprs import path_of
from promptlang.checks.template_syntax import OPENERS
from promptlang.checks.template_parse import Parsed
from promptlang.checks.template_parse import parse_body
from promptlang.checks.template_values import NO_KINDS
from promptlang.checks.template_values import UNKNOWN
from promptlang.checks.template_values import Binding
from promptlang.checks.template_values import Leak
from promptlang.checks.template_values import LoopT
from promptlang.checks.template_values import Pending
from promptlang.checks.template_values import Val
from promptlang.checks.template_values import a
from promptlang.checks.template_values import kinds_of
from promptlang.checks.template_values import renders
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import one_of
from promptlang.resolve import FieldInfo
from promptlang.syntax import nodes as n

__all__ = ["Binding", "Leak", "TemplateSignature", "check_template", "template_signature"]


@attrs.frozen(eq=False)
class TemplateSignature:
    """What a caller needs of a template: its parameters in order, and which of them
    reach its output unredacted, each with the kinds (`pii`, `secret`) the template
    itself adds on the way (reading a `@pii` field of a record parameter, say)."""

    name: str
    params: dict[str, FieldInfo]
    reaches: dict[str, frozenset[str]]

    def show(self) -> str:
        params = ", ".join(f"{name}: {info.type.show()}" for name, info in self.params.items())
        return f"{self.name}({params})"


def check_template(ctx: Ctx, body: n.Str, variables: dict[str, Binding]) -> list[Leak]:
    """Report every error in the body once; return the `@pii`/`@secret` values it renders."""
    if "{" not in body.value:
        return []  # plain text: nothing for Jinja to find, and most system messages are
    parsed = parse_body(ctx, body)
    if parsed is None:
        return []
    checker = TemplateChecker(ctx, parsed)
    checker.run(variables)
    return checker.leaks


def template_signature(program, sym) -> TemplateSignature:
    """The signature of a declared template, computed once per program. A template
    reached again while its own signature is being computed (a recursive call) is
    taken to render every parameter, which can only over-report leaks."""
    memo = program.__dict__.setdefault("_template_signatures", {})
    busy = program.__dict__.setdefault("_template_signatures_busy", set())
    if sym.qname in memo:
        return memo[sym.qname]
    scope = program.scopes[sym.module]
    params = program.fields_of(scope, sym.decl.params, Sink())  # its own check reports
    if sym.qname in busy:
        return TemplateSignature(sym.name, params, dict.fromkeys(params, NO_KINDS))
    busy.add(sym.qname)
    try:
        reaches = _reaching(Ctx(program, scope, Sink()), sym.decl.body, params)
    finally:
        busy.discard(sym.qname)
    memo[sym.qname] = TemplateSignature(sym.name, params, reaches)
    return memo[sym.qname]


def _reaching(ctx: Ctx, body: n.Str, params: dict[str, FieldInfo]) -> dict[str, frozenset[str]]:
    """Check the body quietly (its own check reports its errors) to see what it renders."""
    parsed = parse_body(ctx, body)
    if parsed is None:
        return dict.fromkeys(params, NO_KINDS)
    checker = TemplateChecker(ctx, parsed)
    checker.run({name: Binding(info.type, info.constraints) for name, info in params.items()})
    return checker.reaches


# What each construct outside the subset is called, and what to write instead.
UNSUPPORTED = {
    "Assign": ("`{% set %}` is", "pass the value in as a parameter"),
    "AssignBlock": ("`{% set %}` is", "pass the value in as a parameter"),
    "Macro": ("`{% macro %}` is", "declare a `template` and call it: `{{ name(args) }}`"),
    "CallBlock": ("`{% call %}` is", "declare a `template` and call it: `{{ name(args) }}`"),
    "Include": ("`{% include %}` is", "call a declared `template` instead: `{{ name(args) }}`"),
    "Import": ("`{% import %}` is", "import the module in the `.pops` file and call its templates"),
    "FromImport": ("`{% from ... import %}` is",
                   "import the module in the `.pops` file and call its templates"),
    "Extends": ("`{% extends %}` is", "call a declared `template` for the shared part"),
    "Block": ("`{% block %}` is", "call a declared `template` for the shared part"),
    "FilterBlock": ("`{% filter %}` is", "apply the filter to each value: `{{ x | upper }}`"),
    "With": ("`{% with %}` is", "use the values directly"),
    "Scope": ("`{% autoescape %}` is", "remove it: prompts are never escaped"),
    "ScopedEvalContextModifier": ("`{% autoescape %}` is", "remove it: prompts are never escaped"),
    "Test": ("a test with `is` is", "use the value as a condition: `{% if x %}`"),
    "Getitem": ("indexing with `[]` is",
                "read fields with `a.field`, or loop over a list with `{% for %}`"),
    "Slice": ("slicing is", "loop over the list with `{% for %}`"),
    "Concat": ("`~` is", "write the parts side by side: `{{ a }}{{ b }}`"),
    "CondExpr": ("an inline `if` is", "use `{% if %}...{% else %}...{% endif %}`"),
    "Dict": ("a dict literal is", "pass the values in as parameters"),
    "Tuple": ("a tuple is", "write one expression"),
}
_ARITHMETIC = ("arithmetic is", "compute the value before rendering and pass it in as a parameter")
for _name in ("Add", "Sub", "Mul", "Div", "FloorDiv", "Mod", "Pow", "Neg", "Pos"):
    UNSUPPORTED[_name] = _ARITHMETIC


# Unsupported expressions whose recorded token starts the part to blame: the `[` of
# `a[0]`, the `is` of `x is defined` (the operand before them is fine).
_OWN_TOKEN_FIRST = {"Getitem", "Test"}


class TemplateChecker(CallChecker, ExprChecker):
    """One walk over a parsed body: reports errors, collects leaks and, for callers,
    which parameters reach the output (`reaches`)."""

    def __init__(self, ctx: Ctx, parsed: Parsed):
        super().__init__(ctx, parsed)
        self.leaks: list[Leak] = []
        self.reaches: dict[str, frozenset[str]] = {}

    def run(self, variables: dict[str, Binding]) -> None:
        env = Env({name: _val(name, b) for name, b in variables.items()})
        self.block(self.parsed.tree.body, env)

    def block(self, statements, env: Env) -> None:
        for node in statements:
            visit = getattr(self, f"visit_{type(node).__name__}", self.unsupported_statement)
            env = visit(node, env) or env

    # ---- outside the subset -------------------------------------------------------
    def unsupported(self, node, env: Env) -> Val:
        kind = type(node).__name__
        what, help = UNSUPPORTED.get(kind, (f"`{kind}` is", None))
        start, end = self.extent(node)
        if kind in _OWN_TOKEN_FIRST:
            start = node.lineno
        if kind == "Test" and path_of(node.node):
            help = f"use the value as a condition: `{{% if {self.text(node.node)} %}}`"
        self.report("E0108", (start, end), f"{what} not supported in templates",
                    label="not supported", help=help)
        return UNKNOWN

    def unsupported_statement(self, node, env: Env) -> Env:
        """Reported at its keyword, once; the names it would define are then known (as
        unknown types) so that their uses do not cascade."""
        kind = type(node).__name__
        what, help = UNSUPPORTED.get(kind, (f"`{kind}` is", None))
        self.report("E0108", self.name_at(_keyword(node)), f"{what} not supported in templates",
                    label="not supported", help=help)
        for name in _defined_names(node):
            env = env.with_var(name, UNKNOWN)
        return env

    # ---- output ----------------------------------------------------------------------
    def visit_Output(self, node: jn.Output, env: Env) -> None:
        """Text and `{{ }}` expressions, each rendered."""
        rendered = attrs.evolve(env, output=True)
        for child in node.nodes:
            if type(child).__name__ != "TemplateData":
                self.render(child, self.expr(child, rendered))

    def render(self, node, val: Val) -> None:
        """`{{ expr }}`: readable text, and the protected values it lets through."""
        if not renders(val.type):
            self.not_renderable(node, val.type)
            return
        span = self.parsed.body.span(self.ctx, *self.extent(node))
        if isinstance(val.type, ty.OptionalT):
            self.may_print_none(node, span)
        what = f"`{val.what or self.text(node)}`"
        self.leaks.extend(Leak(kind, span, what) for kind in sorted(val.taint))
        self.leaks.extend(attrs.evolve(p.leak, fix=self.fix(node, p)) for p in val.pending)
        kinds = val.taint | {p.leak.kind for p in val.pending}
        for origin in val.origins:
            self.reaches[origin] = self.reaches.get(origin, NO_KINDS) | kinds

    def fix(self, node, pending: Pending) -> str:
        """The interpolation rewritten so that a call's argument no longer leaks."""
        start, end = self.extent(node)
        text = self.parsed.body.text
        if pending.edit is None:
            return f"`{{{{ {text[start:end]} | redact }}}}`"
        at, to, written = pending.edit
        return f"`{{{{ {text[start:at]}{written}{text[to:end]} }}}}`"

    def may_print_none(self, node, span) -> None:
        """`{{ x }}` with `x: T?` would print `None`: the silent runtime surprise
        the language exists to prevent."""
        text = self.text(node)
        self.ctx.sink.report(
            "E0316", span, f"`{text}` may be null and would print `None`",
            label=f"`{text}` is optional",
            help=f'give a fallback: `{{{{ {text} | default("") }}}}`, or check it first: `{{% if {text} %}}`')

    def not_renderable(self, node, type_) -> None:
        """A list, record, map or `loop` has no text of its own: say how to render it."""
        help = "interpolate its fields, or use `| json`"
        if isinstance(type_, ty.ListT):
            help = 'loop over it with `{% for %}` or use `| join(", ")`'
        elif isinstance(type_, LoopT):
            help = "interpolate one of its fields, such as `loop.index`"
        self.report("E0108", self.extent(node), f"{a(type_)} cannot be interpolated",
                    label="not text", help=help)

    # ---- if ----------------------------------------------------------------------------
    def visit_If(self, node: jn.If, env: Env) -> None:
        """Each branch knows what its test, and the failed tests before it, imply."""
        known_false: frozenset = frozenset()
        for branch in [node, *node.elif_]:
            tested = env.with_facts(known_false)
            self.expr(branch.test, tested)
            self.block(branch.body, tested.with_facts(self.facts(branch.test, True)))
            known_false |= self.facts(branch.test, False)
        self.block(node.else_, env.with_facts(known_false))

    # ---- for ---------------------------------------------------------------------------
    def visit_For(self, node: jn.For, env: Env) -> None:
        """The loop variable is an item of the list, with the list's taint."""
        self.loop_extras(node)
        items = self.expr(node.iter, env)
        if type(node.target).__name__ != "Name":
            self.unpacking(node, items)
            inner = env
            for target in node.target.find_all(jn.Name):
                inner = inner.with_var(target.name, UNKNOWN)
            elem = ty.ANY
        else:
            elem = self.items_of(node.iter, items)
            inner = env.with_var(node.target.name, Val(elem, items.taint, "", items.origins))
        self.block(node.body, inner.with_var("loop", Val(LoopT(elem))))
        self.block(node.else_, env)

    def unpacking(self, node: jn.For, items: Val) -> None:
        """`{% for k, v in x %}`: one error, which also says what to do about a map (the
        iterable is not checked as well: the loop is rewritten anyway)."""
        help = "loop over one value: `{% for item in items %}`"
        if isinstance(ty.strip_optional(items.type), ty.MapT):
            help = "maps cannot be looped over in templates: render it with " \
                   f"`{{{{ {self.text(node.iter)} | json }}}}`, or pass a list"
        self.report("E0108", self.extent(node.target),
                    "unpacking in `for` is not supported in templates", label="not supported",
                    help=help)

    def items_of(self, node, items: Val):
        """The type of the items of what a `for` loops over, or ANY after one error."""
        type_ = items.type
        if isinstance(type_, ty.OptionalT):
            text = self.text(node)
            self.report("E0316", self.extent(node), f"`{text}` may be null here",
                        label=f"{a(type_)}", help=f"check it first: `{{% if {text} %}}`")
            type_ = type_.inner
        if isinstance(type_, (ty.AnyT, ty.ListT)):
            return getattr(type_, "elem", ty.ANY)
        self.report("E0313", self.extent(node), f"`{type_.show()}` is not a list",
                    label=f"`{self.text(node)}` is {a(type_)}",
                    help=self.not_a_list_help(node, type_))
        return ty.ANY

    def not_a_list_help(self, node, type_) -> str | None:
        """What to loop over instead: a record's list field, or nothing for a value
        that cannot be looped over at all (a number is not a count of repetitions)."""
        text = self.text(node)
        if isinstance(type_, ty.MapT):
            return "iterate over a list instead: maps cannot be looped over in templates"
        if type_ == ty.STRING:
            return f"interpolate it instead: `{{{{ {text} }}}}`"
        if isinstance(type_, ty.RecordT):
            fields = self.ctx.program.records.get(type_.qname, {})
            lists = [name for name, info in fields.items()
                     if isinstance(ty.strip_optional(info.type), ty.ListT)]
            if not lists:
                return None
            return f"loop over one of its lists: {one_of(f'{text}.{x}' for x in lists)}"
        return "`for` loops over a `list<...>`: pass the items to repeat as a list parameter"

    def loop_extras(self, node: jn.For) -> None:
        """`{% else %}`, a loop filter and `recursive` are outside the subset."""
        after = self.extent(node.iter)[1]
        if node.test is not None:
            tok = self.tokens.find("if", after)
            self.report("E0108", (tok.start, tok.end) if tok else self.extent(node.test),
                        "a filter on a `for` loop is not supported in templates",
                        label="not supported", help="put an `{% if %}` inside the loop")
        if node.recursive:
            tok = self.tokens.find("recursive", after)
            self.report("E0108", (tok.start, tok.end) if tok else self.name_at(node.lineno),
                        "recursive loops are not supported in templates", label="not supported",
                        help="call a declared `template` for the nested part")
        if node.else_:
            offset = self.else_of(node)
            self.report("E0108", (offset, offset + 4),
                        "`{% else %}` in a `for` loop is not supported in templates",
                        label="not supported",
                        help="check the list first: `{% if items %}...{% endif %}`")

    def else_of(self, node: jn.For) -> int:
        """The offset of this loop's own `else` (nested blocks have theirs)."""
        depth = 0
        for offset, name in self.tokens.block_tags():
            if offset <= node.lineno:
                continue
            if name in OPENERS:
                depth += 1
            elif name.startswith("end") and depth:
                depth -= 1
            elif name == "else" and depth == 0:
                return offset
        return node.lineno


def _val(name: str, binding: Binding) -> Val:
    """A parameter: it carries its own annotations and is its own origin."""
    kinds = kinds_of(binding.constraints)
    return Val(binding.type, kinds, name if kinds else "", frozenset({name}))


def _keyword(node) -> int:
    """Where a statement's keyword is: Jinja wraps `{% autoescape %}` in a `Scope`
    node that has no position of its own."""
    while node.lineno is None:
        node = next(node.iter_child_nodes())
    return node.lineno


def _defined_names(node) -> set[str]:
    """What a statement outside the subset would define (`set x`, `macro m`, imports)."""
    names = {x.name for x in node.find_all(jn.Name) if x.ctx in ("store", "param")}
    for attr in ("name", "target"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            names.add(value)
    for item in getattr(node, "names", ()) or ():
        names.add(item if isinstance(item, str) else item[-1])
    return names
