"""Calls in templates: filters (`x | upper`) and declared templates (`{{ persona(tone) }}`,
`{{ t.persona(tone) }}`), checked for arity and argument types; what a call renders
carries the taint of the arguments that reach the callee's output."""

from __future__ import annotations

from jinja2 import nodes as jn

from promptlang import types as ty
from promptlang.checks.template_exprs import Env
from promptlang.checks.template_filters import FILTERS
from promptlang.checks.template_values import UNKNOWN
from promptlang.checks.template_values import Leak
from promptlang.checks.template_values import Pending
from promptlang.checks.template_values import Val
from promptlang.checks.template_values import all_of
from promptlang.checks.template_values import renders
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.resolve import ARTICLE
from promptlang.syntax import nodes as n

Part = tuple[str, int, int]  # a name in a dotted chain, with its offsets


class CallChecker:
    """Mixed into the expression checker: `visit_Filter`, `visit_Call` and qualified names."""

    def visit_Filter(self, node: jn.Filter, env: Env) -> Val:
        """`value | name(args)`: the filter's own rules decide its type and taint."""
        val = self.expr(node.node, env)
        args = [(arg, self.expr(arg, env)) for arg in node.args]
        check = FILTERS.get(node.name)
        if check is None:
            self.report("E0314", self.name_at(node.lineno), f"unknown filter `{node.name}`",
                        label="not a filter", help=did_you_mean(node.name, FILTERS)
                        or f"the filters are {all_of(FILTERS)}")
            return UNKNOWN
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            self.report("E0315", self.name_at(node.lineno),
                        f"`{node.name}` takes its arguments by position only",
                        label="named arguments here", help="drop the names: `| truncate(200)`")
            return UNKNOWN
        return check(self, node, val, args)

    # ---- dotted names ---------------------------------------------------------------
    def chain(self, node) -> list[Part] | None:
        """`std.templates.persona` as its names and their offsets; None if not a name."""
        kind = type(node).__name__
        if kind == "Name":
            return [(node.name, node.lineno, node.lineno + len(node.name))]
        if kind != "Getattr":
            return None
        base = self.chain(node.node)
        attr = self.tokens.step(node.lineno, 1)
        if base is None or attr is None:
            return None
        return base + [(node.attr, attr.start, attr.end)]

    def is_qualified(self, node, env: Env) -> bool:
        """A dotted name whose root is a module alias, not a variable."""
        parts = self.chain(node)
        if not parts or parts[0][0] in env.vars:
            return False
        root = parts[0][0]
        return any(k == root or k.startswith(root + ".") for k in self.ctx.scope.module_aliases)

    def lookup_template(self, parts: list[Part]):
        """The template a dotted name means, or None once `Program.lookup` reported why."""
        names = tuple(n.Name(self.parsed.body.span(self.ctx, s, e), v) for v, s, e in parts)
        return self.ctx.program.lookup(self.ctx.scope, names, {"template"}, "a template",
                                       self.ctx.sink)

    def template_value(self, node, env: Env) -> Val:
        """`t.persona` without a call: a template is rendered by calling it."""
        parts = self.chain(node)
        sym = self.lookup_template(parts)
        if sym is not None:
            text = ".".join(p[0] for p in parts)
            self.report("E0208", (parts[0][1], parts[-1][2]),
                        f"`{text}` is a template, not a variable",
                        label="not called", help=f"call it: `{{{{ {text}(...) }}}}`")
        return UNKNOWN

    # ---- template calls ---------------------------------------------------------------
    def visit_Call(self, node: jn.Call, env: Env) -> Val:
        """Only a declared template can be called; what else was meant is said once."""
        if self.dynamic_arguments(node):
            return UNKNOWN
        parts = self.chain(node.node)
        if parts is None:
            self.report("E0108", self.extent(node.node), "only declared templates can be called",
                        label="not a template name",
                        help="call a `template` by its name: `{{ persona(tone) }}`")
            return UNKNOWN
        if parts[0][0] in env.vars:
            return self.method_call(node, parts)
        if len(parts) > 1 and not self.is_qualified(node.node, env):
            self.expr(node.node, env)  # an unknown root: reported once, as a variable
            return UNKNOWN
        if len(parts) == 1 and self.not_a_template(parts[0]):
            return UNKNOWN
        sym = self.lookup_template(parts)
        if sym is None:
            return UNKNOWN
        return self.template_call(node, sym, env)

    def dynamic_arguments(self, node: jn.Call) -> bool:
        dynamic = node.dyn_args or node.dyn_kwargs
        if dynamic is None:
            return False
        start, end = self.extent(dynamic)
        star = self.tokens.step(start, -1)
        self.report("E0108", (star.start if star else start, end),
                    "`*args` and `**kwargs` are not supported in templates",
                    label="not supported", help="pass each argument by position or by name")
        return True

    def not_a_template(self, part: Part) -> bool:
        """A bare name that is declared but is something else: say what it is."""
        name, start, end = part
        sym = self.ctx.scope.own.get(name) or self.ctx.scope.imported.get(name)
        if sym is None or sym.kind == "template":
            return False
        self.report("E0208", (start, end), f"`{name}` is {ARTICLE[sym.kind]}, not a template",
                    label="not a template",
                    help=did_you_mean(name, self.ctx.scope.visible({"template"})))
        return True

    def method_call(self, node: jn.Call, parts: list[Part]) -> Val:
        """`x(...)` or `x.upper()` on a variable: values have no methods here."""
        name, start, _ = parts[-1]
        if len(parts) == 1:
            self.report("E0208", (start, parts[0][2]), f"`{name}` is a variable, not a template",
                        label="not a template", help=f"interpolate it: `{{{{ {name} }}}}`")
            return UNKNOWN
        receiver = ".".join(p[0] for p in parts[:-1])
        help = "templates call only declared `template`s"
        if name in FILTERS:
            help = f"use the filter: `{{{{ {receiver} | {name} }}}}`"
        self.report("E0108", (start, self.extent(node)[1]),
                    "method calls are not supported in templates", label="a method call", help=help)
        return UNKNOWN

    def template_call(self, node: jn.Call, sym, env: Env) -> Val:
        """Arity, names and types of the arguments; the result is the callee's text."""
        from promptlang.checks.templates import template_signature

        if not env.output:
            self.report("E0108", self.extent(node), "a template call can only be interpolated",
                        label="not rendered here",
                        help=f"render it on its own: `{{{{ {self.text(node)} }}}}`")
        sig = template_signature(self.ctx.program, sym)
        given = self.positional(node, sig, env)
        if self.keywords(node, sig, env, given):
            self.missing(node, sig, given)
        for name, (arg, val) in given.items():
            wanted = sig.params[name].type
            if not ty.assignable(val.type, wanted):
                self.report("E0315", self.extent(arg),
                            f"argument `{name}` of `{sig.name}` expects `{wanted.show()}`, "
                            f"found `{val.type.show()}`", label=f"expected `{wanted.show()}`")
        return self.rendered(sig, given)

    def positional(self, node: jn.Call, sig, env: Env) -> dict:
        """Positional arguments by parameter name; the extra ones reported together."""
        names = list(sig.params)
        given = {}
        for index, arg in enumerate(node.args):
            val = self.expr(arg, env)
            if index < len(names):
                given[names[index]] = (arg, val)
        if len(node.args) > len(names):
            found = len(node.args) + len(node.kwargs)
            extra = node.args[len(names):]
            start, end = self.extent(extra[0])[0], self.extent(extra[-1])[1]
            self.report("E0315", (start, end),
                        f"template `{sig.name}` takes {_count(sig)}, found {found}",
                        label="extra argument" if len(extra) == 1 else "extra arguments",
                        help=f"`{sig.name}` is declared as `{sig.show()}`")
        return given

    def keywords(self, node: jn.Call, sig, env: Env, given: dict) -> bool:
        """Named arguments; False when one names no parameter (then nothing is missing:
        the misspelt name is the one mistake)."""
        known = True
        for keyword in node.kwargs:
            val = self.expr(keyword.value, env)
            key = self.tokens.step(self.extent(keyword.value)[0], -2)
            where = (key.start, key.end) if key else self.extent(keyword.value)
            if keyword.key not in sig.params:
                known = False
                self.report("E0315", where,
                            f"template `{sig.name}` has no parameter `{keyword.key}`",
                            label="no parameter of this name",
                            help=did_you_mean(keyword.key, sig.params)
                            or f"`{sig.name}` is declared as `{sig.show()}`")
            elif keyword.key in given:
                self.report("E0315", where, f"argument `{keyword.key}` is given twice",
                            label="given again here", help="remove one of them")
            else:
                given[keyword.key] = (keyword.value, val)
        return known

    def missing(self, node: jn.Call, sig, given: dict) -> None:
        absent = [name for name, info in sig.params.items() if info.required and name not in given]
        if not absent:
            return
        plural = "argument" if len(absent) == 1 else "arguments"
        self.report("E0315", (node.lineno, self.extent(node)[1]),
                    f"missing {plural} {all_of(absent)}",
                    label=f"`{sig.name}` needs {all_of(absent)}",
                    help=f"`{sig.name}` is declared as `{sig.show()}`")

    def rendered(self, sig, given: dict) -> Val:
        """The call's text carries what its arguments bring to the callee's output."""
        origins, pending = frozenset(), ()
        for name, (arg, val) in given.items():
            if name not in sig.reaches:
                continue
            span = self.parsed.body.span(self.ctx, *self.extent(arg))
            what = f"`{val.what or self.text(arg)}`"
            for kind in sorted(val.taint | sig.reaches[name]):
                edit = self.redacted(arg, val) if kind in val.taint else None
                pending += (Pending(Leak(kind, span, what), edit),)
            pending += val.pending
            origins |= val.origins
        return Val(ty.STRING, origins=origins, pending=pending)

    def redacted(self, arg, val: Val) -> tuple[int, int, str] | None:
        """The argument written with `| redact`, if a placeholder text can stand for it."""
        if not renders(val.type):
            return None  # a record or list: only the callee knows which field to redact
        text = self.text(arg)
        if type(arg).__name__ not in _BINDS_TIGHTER_THAN_A_FILTER:
            text = f"({text})"
        return (*self.extent(arg), f"{text} | redact")


# Arguments that `| redact` applies to as a whole without parentheses.
_BINDS_TIGHTER_THAN_A_FILTER = {"Name", "Getattr", "Filter", "Const", "Call"}


def _count(sig) -> str:
    """"1 argument", "2 arguments", "1 to 2 arguments" (when some have defaults)."""
    total = len(sig.params)
    required = sum(1 for info in sig.params.values() if info.required)
    plural = "argument" if total == 1 else "arguments"
    if required == total:
        return f"{total} {plural}"
    return f"{required} to {total} arguments"
