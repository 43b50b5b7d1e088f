"""What each name in a template body means, taken from the template checker itself.

`Recorder` is the checker with a note-taker attached: every variable, field and
template call it types is written down with its span, its type and the declaration it
comes from. The checks that `popsc check` runs are untouched (no collector to test
for, nothing slower); the server runs the recorder on demand, on the bodies it is
asked about, and what it reports is what the check decided."""

from __future__ import annotations

import attrs
from jinja2 import nodes as jn

from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.checks.prompts import ROLES
from promptlang.checks.template_exprs import Env
from promptlang.checks.template_parse import parse_body
from promptlang.checks.template_values import Binding
from promptlang.checks.templates import TemplateChecker
from promptlang.checks.templates import _val
from promptlang.diagnostics.sink import Sink
from promptlang.source import Span
from promptlang.syntax import nodes as n


@attrs.frozen
class Fact:
    """A name in a template: where it is written, its type (None for a template), and
    its target (see `index.Target`): a parameter, a field, a loop variable, a template."""

    span: Span
    type: object
    target: tuple


class Recorder(TemplateChecker):
    """The template checker, noting the type and origin of every name it checks."""

    def __init__(self, ctx: Ctx, parsed, owner: str):
        super().__init__(ctx, parsed)
        self.owner = owner  # qualified name of the prompt or template
        self.notes: list[Fact] = []
        self.params: dict[str, object] = {}
        self.loops: list[tuple[str, Span]] = []
        self.vals: dict[int, object] = {}

    def run(self, variables: dict[str, Binding]) -> None:
        """As the checker's own `run`, keeping the parameters' values to tell a
        parameter from a loop variable of the same name."""
        self.params = {name: _val(name, b) for name, b in variables.items()}
        self.block(self.parsed.tree.body, Env(dict(self.params)))

    def span_of(self, start: int, end: int) -> Span:
        return self.parsed.body.span(self.ctx, start, end)

    def expr(self, node, env):
        val = super().expr(node, env)
        self.vals[id(node)] = val
        kind = type(node).__name__
        if kind == "Name" and node.ctx == "load" and node.name in env.vars:
            self.variable(node, env, val)
        elif kind == "Getattr" and id(node.node) in self.vals:
            self.attribute(node, val)
        return val

    def variable(self, node: jn.Name, env, val) -> None:
        start, end = self.name_at(node.lineno)
        if env.vars[node.name] is self.params.get(node.name):
            target = ("param", self.owner, node.name)
        else:
            loop = next((s for name, s in reversed(self.loops) if name == node.name), None)
            target = ("loop", loop.file, loop.start) if loop else None  # `loop` itself
        self.notes.append(Fact(self.span_of(start, end), val.type, target))

    def attribute(self, node: jn.Getattr, val) -> None:
        owner = ty.strip_optional(self.vals[id(node.node)].type)
        attr = self.tokens.step(node.lineno, 1)
        if attr is None or attr.value != node.attr:
            return
        target = ("field", owner.qname, node.attr) if isinstance(owner, ty.RecordT) else None
        self.notes.append(Fact(self.span_of(attr.start, attr.end), val.type, target))

    def visit_For(self, node: jn.For, env):
        """The loop variable is a declaration of its own, typed as an item of the list."""
        if type(node.target).__name__ != "Name":
            return super().visit_For(node, env)
        start, end = self.name_at(node.target.lineno)
        span = self.span_of(start, end)
        self.loops.append((node.target.name, span))
        try:
            result = super().visit_For(node, env)
        finally:
            self.loops.pop()
        items = self.vals.get(id(node.iter))
        elem = ty.strip_optional(items.type) if items is not None else ty.ANY
        elem = elem.elem if isinstance(elem, ty.ListT) else ty.ANY
        self.notes.append(Fact(span, elem, ("loop", span.file, span.start)))
        return result

    def lookup_template(self, parts):
        sym = super().lookup_template(parts)
        if sym is not None:
            _, start, end = parts[-1]
            self.notes.append(Fact(self.span_of(start, end), None, ("symbol", sym.qname)))
        return sym


def bodies(decl) -> list[n.Str]:
    """The template bodies of a declaration: a template's, a prompt's messages."""
    if isinstance(decl, n.Template):
        return [decl.body]
    if isinstance(decl, n.Prompt):
        return [r.expr for r in decl.entries if isinstance(r, n.Rule)
                and r.keyword.value in ROLES and isinstance(r.expr, n.Str) and r.for_ is None]
    return []


def facts_of(program, scope, decl) -> list[Fact]:
    """Every name in the bodies of `decl` (a prompt or template), checked quietly."""
    found: list[Fact] = []
    if not bodies(decl):
        return found
    ctx = Ctx(program, scope, Sink())
    params = program.fields_of(scope, decl.params, Sink())
    bindings = {name: Binding(f.type, f.constraints) for name, f in params.items()}
    owner = f"{scope.module}.{decl.name.value}"
    for body in bodies(decl):
        if "{" not in body.value:
            continue
        parsed = parse_body(ctx, body)
        if parsed is not None:
            recorder = Recorder(ctx, parsed, owner)
            recorder.run(bindings)
            found.extend(recorder.notes)
    return found
