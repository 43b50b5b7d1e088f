"""Compile a checked template body to the Python function that renders it.

The SDK does not parse or interpret templates at run time: each template and each message
becomes a function, written here at build time, that returns exactly what Jinja renders
for the same body (`jinja2.Environment(autoescape=False)`, its other settings left at
their defaults) with the subset's filters as `promptlang.runtime.text` defines them.
Static text and interpolations become one f-string, written one line of the prompt per
source line; `if` and `for` append to a list of parts. The function calls the helpers as
`_t`: the module it goes into imports `from promptlang.runtime import text as _t`.

The checker has refused everything outside the subset, unknown names and unguarded
optionals before a body gets here, so anything unexpected is a bug: `TemplateCompileError`.

Types make the code plain: knowing that `ticket.body` is a `str` and `ticket.priority` a
`Priority`, it writes `{ticket.body}`, `{ticket.priority.value}` and
`ticket.priority is Priority.high`. Without `Types` (or for a value of unknown type) it
stays correct through `_t.text(...)` and `_t.key(...)`, only slower."""

from __future__ import annotations

import itertools
import keyword
import math
import re
import typing as t
from collections.abc import Mapping
from collections.abc import Sequence

import attrs
import jinja2
from jinja2 import nodes as jn

from promptlang.ir import TypeIR
from promptlang.runtime import text as rt

__all__ = ["TemplateCompileError", "Types", "compile_template"]


class TemplateCompileError(Exception):
    """The body holds what the checker should have refused: a bug, not a user error."""


@attrs.frozen
class Types:
    """What the generated code may rely on: each parameter's type, the field types of each
    record and the Python class of each enum in the module the code goes into (both by
    qualified name). Parameters missing here are typed from their annotation when it is a
    builtin one (`str`, `int | None`, `list[str]`, ...)."""

    params: Mapping[str, TypeIR] = attrs.field(factory=dict)
    records: Mapping[str, Mapping[str, TypeIR]] = attrs.field(factory=dict)
    enums: Mapping[str, str] = attrs.field(factory=dict)


Param = t.Union[tuple[str, str], tuple[str, str, str]]  # name, annotation[, default's source]


def compile_template(name: str, body: str, params: Sequence[Param], calls: Mapping[str, str],
                     types: Types | None = None, *, doc: str | None = None) -> str:
    """The source of `def name(params) -> str:` rendering `body` (no imports). Each
    parameter is `(name, annotation)` or `(name, annotation, default's source)`, named as
    in the `.pops` file (a keyword gets an underscore: `class_`, as fields do). `calls`
    maps each callee as the body writes it (`persona`, `std.templates.persona`) to the
    Python function to call; `types` lets the code use values as they are."""
    return _Compiler(name, params, calls, types or Types()).function(_parse(name, body), doc)


def _parse(name: str, body: str) -> list[jn.Node]:
    """Jinja's tree of `body`. Text without `{` has no tags, so it is what Jinja's lexer
    would make of it (newlines normalised, one final newline dropped) without the cost
    of its parser, which is most of a compile."""
    if "{" not in body:
        text = body.replace("\r\n", "\n").replace("\r", "\n")
        text = text[:-1] if text.endswith("\n") else text
        return [jn.Output([jn.TemplateData(text)])] if text else []
    try:
        return _ENV.parse(body).body
    except jinja2.TemplateSyntaxError as error:
        raise TemplateCompileError(f"`{name}`: {error.message}") from None


_ENV = jinja2.Environment(autoescape=False)

# ---- types -----------------------------------------------------------------------------
STRING, INT, FLOAT, BOOL = (TypeIR(kind=k) for k in ("string", "int", "float", "bool"))
ANY, NONE = TypeIR(kind="any"), TypeIR(kind="none")
# Kinds an f-string formats exactly as Jinja's `str()` prints them.
_FORMATTED = {"string", "int", "float", "bool"}
_CONST_TYPES = {str: STRING, int: INT, float: FLOAT, bool: BOOL, type(None): NONE}
_BUILTIN_ANNOTATIONS = {"str": STRING, "int": INT, "float": FLOAT, "bool": BOOL}


def _strip(type_: TypeIR) -> TypeIR:
    """The type without its `?`: the checker guarantees a guard wherever it matters."""
    return type_.of if type_.kind == "optional" and type_.of is not None else type_


def _elem(type_: TypeIR) -> TypeIR:
    inner = _strip(type_)
    return inner.of if inner.kind == "list" and inner.of is not None else ANY


def _annotation_type(annotation: str) -> TypeIR:
    """A builtin annotation as a type, so that simple templates need no `Types`."""
    text = annotation.strip()
    if text.endswith("| None"):
        return TypeIR(kind="optional", of=_annotation_type(text[:-len("| None")]))
    if text in _BUILTIN_ANNOTATIONS:
        return _BUILTIN_ANNOTATIONS[text]
    match = re.fullmatch(r"list\[(.+)\]|dict\[str, *(.+)\]", text)
    if match:
        return TypeIR(kind="list" if match.group(1) else "map",
                      of=_annotation_type(match.group(1) or match.group(2)))
    return ANY


# ---- expressions -----------------------------------------------------------------------
# How tightly a Python expression binds, to add parentheses only where they are needed.
COND, OR, AND, NOT, CMP, SUM, UNARY, ATOM = range(1, 9)
_NO_CONST = object()
_PY_OPS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "lteq": "<=", "gteq": ">=",
           "in": "in", "notin": "not in", "is": "is", "isnot": "is not"}
_OPPOSITE = {"==": "!=", "in": "not in", "is": "is not"}
_OPPOSITE.update({b: a for a, b in _OPPOSITE.items()})


@attrs.frozen
class Code:
    """A Python expression: its source, its type, how tightly it binds, for a literal
    its value (filters of literals are applied at build time) and, for a comparison,
    its opposite (`not x == y` is written `x != y`)."""

    src: str
    type: TypeIR = ANY
    prec: int = ATOM
    const: object = _NO_CONST
    negated: str | None = None

    def at(self, prec: int) -> str:
        """The source, parenthesized if it binds less tightly than `prec` needs."""
        return self.src if self.prec >= prec else f"({self.src})"

    @property
    def is_const(self) -> bool:
        return self.const is not _NO_CONST


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(text: str, quote: str, braces: bool = False) -> str:
    """`text` as the inside of a Python string literal: printable characters as they are
    (the prompt stays readable), the rest escaped; braces doubled inside an f-string."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif braces and char in "{}":
            out.append(char * 2)
        elif not char.isprintable():
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def string_literal(text: str, quote: str = '"') -> str:
    """A Python string literal for `text`, in the other quote if that saves escapes."""
    other = "'" if quote == '"' else '"'
    if quote in text and other not in text:
        quote = other
    return quote + _escaped(text, quote) + quote


def _literal_src(value: object, quote: str) -> str | None:
    if isinstance(value, str):
        return string_literal(value, quote)
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({string_literal(str(value), quote)})"
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return None


# Filters applied at build time to a literal, as the runtime applies them.
_FOLDS: dict[str, t.Callable[..., object]] = {
    "upper": lambda v: rt.text(v).upper(), "lower": lambda v: rt.text(v).lower(),
    "trim": lambda v: rt.text(v).strip(), "title": lambda v: rt.title(rt.text(v)),
    "truncate": lambda v, n: rt.truncate(rt.text(v), n), "join": rt.join, "length": len,
    "json": rt.json_text, "redact": rt.redact, "default": rt.default,
}
_ARITY = {"upper": (0, 0), "lower": (0, 0), "trim": (0, 0), "title": (0, 0), "truncate": (1, 1),
          "join": (0, 1), "default": (1, 1), "length": (0, 0), "json": (0, 0), "redact": (0, 0)}

# `loop` attributes in terms of the 0-based counter `i`, the list `items` and its length `n`:
# (source, type, binding, source of `not loop.attr`).
_LOOP_ATTRS = {
    "index0": ("{i}", INT, ATOM, None), "index": ("{i} + 1", INT, SUM, None),
    "first": ("{i} == 0", BOOL, CMP, "{i} > 0"),
    "last": ("{i} == {n} - 1", BOOL, CMP, "{i} < {n} - 1"),
    "length": ("{n}", INT, ATOM, None), "revindex": ("{n} - {i}", INT, SUM, None),
    "revindex0": ("{n} - {i} - 1", INT, SUM, None),
    "previtem": ("{items}[{i} - 1] if {i} else None", None, COND, None),
    "nextitem": ("{items}[{i} + 1] if {i} < {n} - 1 else None", None, COND, None),
}
_NONE = Code("None", NONE, ATOM, None)
_NEEDS_ITEMS = {"last", "length", "revindex", "revindex0", "previtem", "nextitem"}
_NEEDS_COUNTER = set(_LOOP_ATTRS) - {"length"}
_STATEMENTS = {"Output", "If", "For"}


@attrs.frozen
class _Loop:
    """An open `for`: what `loop.*` is computed from."""

    counter: str | None
    items: str
    elem: TypeIR


class _Names:
    """Python names for the function's locals: never a parameter, a callee, a builtin the
    code uses or a keyword; never one still in use by an enclosing loop; and reused only
    for a value of the same known type (mypy types a local once per function)."""

    def __init__(self, reserved: set[str]):
        self.reserved = reserved | set(keyword.kwlist) | {"_t", "len", "enumerate"}
        self.bound: dict[str, TypeIR] = {}
        self.live: set[str] = set()

    def fresh(self, base: str, type_: TypeIR) -> str:
        for n in itertools.count(1):
            name = base if n == 1 else f"{base}_{n}"
            if name in self.reserved or name in self.live:
                continue
            known = self.bound.get(name)
            if known is not None and (known != type_ or type_.kind == "any"):
                continue
            self.bound[name] = type_
            return name
        raise AssertionError("unreachable")  # pragma: no cover


Item = t.Union[str, Code]  # a run of output: static text, or a value to interpolate


class _Compiler:
    """One function: statements become lines, the text between them runs of f-strings."""

    def __init__(self, name: str, params: Sequence[Param], calls: Mapping[str, str],
                 types: Types):
        self.name, self.calls, self.types = name, calls, types
        self.params = [(p[0], p[1], p[2] if len(p) > 2 else None) for p in params]
        self.vars = {p: Code(_py_name(p), types.params.get(p) or _annotation_type(a))
                     for p, a, _ in self.params}
        self.check_names()
        callees = {py.split(".")[0] for py in calls.values()}
        self.names = _Names({name, *(v.src for v in self.vars.values()), *callees})
        self.loops: list[_Loop] = []
        self.lines: list[str] = []
        self.depth = 1
        self.run: list[Item] = []
        self.parts: str | None = None  # the list of parts, when there is control flow
        self.started = False  # whether that list exists yet
        self.quote = '"'  # inside an f-string, string literals take the other quote

    def check_names(self) -> None:
        """Names the generated code cannot spell (keywords it can: `class_`)."""
        for param, _, _ in self.params:
            if not param.isidentifier() or param == "_t":
                raise TemplateCompileError(f"`{self.name}`: parameter `{param}` is not "
                                           "usable as a Python name")
        for written, py in self.calls.items():
            if py.split(".")[0] in {v.src for v in self.vars.values()}:
                raise TemplateCompileError(f"`{self.name}`: the function for `{written}` "
                                           f"(`{py}`) is hidden by a parameter")

    # ---- the function --------------------------------------------------------------
    def function(self, nodes: list[jn.Node], doc: str | None) -> str:
        """The whole `def`: one `return` of an f-string, or parts joined at the end."""
        if any(type(node).__name__ != "Output" and _renders(node) for node in nodes):
            self.parts = self.names.fresh("parts", TypeIR(kind="list", of=STRING))
        self.statements(nodes)
        if self.parts is None:
            self.emit_run("return")
        else:
            self.flush()
            self.line(f'return "".join({self.parts})')
        return "\n".join([*self.signature(), *_docstring(doc), *self.lines]) + "\n"

    def signature(self) -> list[str]:
        params, defaulted = [], None
        for param, annotation, default in self.params:
            if default is None and defaulted:
                raise TemplateCompileError(f"`{self.name}`: parameter `{param}` has no "
                                           f"default but follows `{defaulted}`, which has one")
            defaulted = param if default is not None else defaulted
            params.append(f"{_py_name(param)}: {annotation}"
                          + ("" if default is None else f" = {default}"))
        one = f"def {self.name}({', '.join(params)}) -> str:"
        if len(one) <= 100:
            return [one]
        return [f"def {self.name}(", *(f"    {p}," for p in params), ") -> str:"]

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    # ---- statements ------------------------------------------------------------------
    def statements(self, nodes: list[jn.Node]) -> None:
        """Each statement that renders something: an `if` or a loop that renders
        nothing is left out (tests have no side effects)."""
        for node in nodes:
            kind = type(node).__name__
            if kind not in _STATEMENTS:
                raise TemplateCompileError(f"`{self.name}`: `{kind}` is outside the subset")
            if _renders(node):
                getattr(self, f"visit_{kind}")(node)

    def nested(self, nodes: list[jn.Node]) -> None:
        """The body of an `if` branch or a loop, one level in (`pass` if it is empty)."""
        self.depth += 1
        start = len(self.lines)
        self.statements(nodes)
        self.flush()
        if len(self.lines) == start:
            self.line("pass")
        self.depth -= 1

    def visit_Output(self, node: jn.Output) -> None:
        """Text and `{{ }}`: added to the current run, written when control flow comes."""
        for child in node.nodes:
            if isinstance(child, jn.TemplateData):
                if child.data:
                    self.run.append(child.data)
            else:
                self.quote = "'"
                try:
                    self.run.append(self.rendered(self.expr(child)))
                finally:
                    self.quote = '"'

    def visit_If(self, node: jn.If) -> None:
        self.flush()
        for word, branch in zip(("if", *["elif"] * len(node.elif_)), [node, *node.elif_]):
            self.line(f"{word} {self.expr(branch.test).src}:")
            self.nested(branch.body)
        if node.else_:
            self.line("else:")
            self.nested(node.else_)

    def visit_For(self, node: jn.For) -> None:
        """`for x in xs`, with a counter and the list bound to a name only when the body
        reads `loop.index`, `loop.last`, ..."""
        if node.else_ or node.test is not None or node.recursive \
                or not isinstance(node.target, jn.Name):
            raise TemplateCompileError(f"`{self.name}`: this `for` is outside the subset")
        self.flush()
        uses = _loop_uses(node.body)
        items = self.expr(node.iter)
        elem = _elem(items.type)
        mine = [self.names.fresh(_py_name(node.target.name), elem)]  # in use until the loop ends
        self.names.live.add(mine[0])
        if uses & _NEEDS_ITEMS and not items.src.isidentifier():
            mine.append(self.names.fresh(_items_name(node.iter), items.type))
            self.line(f"{mine[-1]} = {items.src}")
            items = Code(mine[-1], items.type)
        counter = None
        if uses & _NEEDS_COUNTER:
            counter = self.names.fresh("ijk"[min(len(self.loops), 2)], INT)
            mine.append(counter)
            self.line(f"for {counter}, {mine[0]} in {self.builtin('enumerate')}({items.src}):")
        else:
            self.line(f"for {mine[0]} in {items.src}:")
        self.names.live |= set(mine)
        outer = self.vars
        self.vars = {**outer, node.target.name: Code(mine[0], elem)}
        self.loops.append(_Loop(counter, items.src, elem))
        self.nested(node.body)
        self.loops.pop()
        self.vars = outer
        self.names.live -= set(mine)

    # ---- runs of text ----------------------------------------------------------------
    def flush(self) -> None:
        """Write the pending run into the parts (creating the list the first time)."""
        if self.run:
            self.emit_run("append" if self.started else "init")
        elif not self.started:
            self.line(f"{self.parts}: list[str] = []")
        self.started = True

    def emit_run(self, how: str) -> None:
        """The run as `return ...`, `parts = [...]` or `parts.append(...)`, one source
        line per line of text when it has several."""
        items, self.run = _merged(self.run), []
        hoisted: list[str] = []
        if len(items) == 1 and isinstance(items[0], Code) and items[0].type == STRING:
            pieces = [items[0].src]
        else:
            pieces = [self.fstring(line, hoisted) for line in _lines(items)] or ['""']
        for name in hoisted:
            self.names.live.discard(name)
        opening, closing = {"return": ("return ", ""), "init": (f"{self.parts} = [", "]"),
                            "append": (f"{self.parts}.append(", ")")}[how]
        if len(pieces) == 1:
            self.line(opening + pieces[0] + closing)
            return
        self.line(opening + ("(" if how == "return" else ""))
        for piece in pieces:
            self.line("    " + piece)
        self.line(closing or ")")

    def fstring(self, segments: list[Item], hoisted: list[str]) -> str:
        """One line of text as a string literal, an f-string if it interpolates. An
        expression that cannot go inside one (Python 3.11 allows no backslash, no `#`
        and not its quote there) is first given a name."""
        static = "".join(s for s in segments if isinstance(s, str))
        values = [s for s in segments if isinstance(s, Code)]
        if not values:
            return string_literal(static)
        quote = '"'
        if '"' in static and "'" not in static and not any("'" in v.src for v in values):
            quote = "'"
        out = []
        for segment in segments:
            if isinstance(segment, str):
                out.append(_escaped(segment, quote, braces=True))
                continue
            src = segment.src
            if any(bad in src for bad in (quote, "\\", "#", "\n")):
                src = self.names.fresh("value", segment.type)
                self.names.live.add(src)
                hoisted.append(src)
                self.line(f"{src} = {segment.src}")
            out.append("{" + src + "}")
        return f"f{quote}{''.join(out)}{quote}"

    def rendered(self, code: Code) -> Item:
        """`{{ value }}` as Jinja prints it (`str(value)`): a literal as text, values the
        f-string formats the same way as they are, an enum member as its value."""
        if code.is_const:
            return str(code.const)
        kind = _strip(code.type).kind
        if kind in _FORMATTED:
            return attrs.evolve(code, type=_strip(code.type))
        if kind == "enum":
            return Code(f"{code.at(ATOM)}.value", STRING)
        return Code(f"_t.text({code.src})", STRING)

    # ---- expressions -----------------------------------------------------------------
    def expr(self, node: jn.Node) -> Code:
        kind = type(node).__name__
        visit = getattr(self, f"visit_{kind}", None)
        if visit is None or kind in _STATEMENTS:
            raise TemplateCompileError(f"`{self.name}`: `{kind}` is outside the subset")
        return t.cast(Code, visit(node))

    def literal(self, value: object) -> Code | None:
        """A Python literal for a build-time value, if it has one."""
        src = _literal_src(value, self.quote)
        if src is None:
            return None
        return Code(src, _CONST_TYPES[type(value)], UNARY if src[0] == "-" else ATOM, value)

    def builtin(self, name: str) -> str:
        """`len` and `enumerate`, or the runtime's copy when a parameter hides them."""
        return f"_t.{name}" if name in self.vars else name

    def visit_Const(self, node: jn.Const) -> Code:
        code = self.literal(node.value)
        if code is None:
            raise TemplateCompileError(f"`{self.name}`: the literal {node.value!r} is "
                                       "outside the subset")
        return code

    def visit_Neg(self, node: jn.Neg) -> Code:
        """Only a negative number is allowed: the checker refuses arithmetic."""
        inner = self.expr(node.node)
        if not isinstance(inner.const, (int, float)) or isinstance(inner.const, bool):
            raise TemplateCompileError(f"`{self.name}`: arithmetic is outside the subset")
        return t.cast(Code, self.literal(-inner.const))

    def visit_List(self, node: jn.List) -> Code:
        items = [self.expr(item) for item in node.items]
        types = {item.type for item in items}
        type_ = TypeIR(kind="list", of=types.pop() if len(types) == 1 else ANY)
        const = [i.const for i in items] if all(i.is_const for i in items) else _NO_CONST
        return Code(f"[{', '.join(i.src for i in items)}]", type_, ATOM, const)

    def visit_Name(self, node: jn.Name) -> Code:
        if node.name not in self.vars:
            raise TemplateCompileError(f"`{self.name}`: unknown name `{node.name}`")
        return self.vars[node.name]

    def visit_Getattr(self, node: jn.Getattr) -> Code:
        """A record's field, or an attribute of the innermost loop's `loop`."""
        if self.loops and isinstance(node.node, jn.Name) and node.node.name == "loop":
            return self.loop_attr(node.attr)
        obj = self.expr(node.node)
        record = _strip(obj.type)
        fields = self.types.records.get(record.name or "", {}) if record.kind == "record" else {}
        return Code(f"{obj.at(ATOM)}.{_py_name(node.attr)}", fields.get(node.attr, ANY))

    def loop_attr(self, attr: str) -> Code:
        loop = self.loops[-1]
        if attr not in _LOOP_ATTRS:
            raise TemplateCompileError(f"`{self.name}`: `loop.{attr}` is outside the subset")
        form, type_, prec, opposite = _LOOP_ATTRS[attr]
        names = {"i": loop.counter, "items": loop.items,
                 "n": f"{self.builtin('len')}({loop.items})"}
        return Code(form.format(**names), type_ or TypeIR(kind="optional", of=loop.elem), prec,
                    negated=opposite.format(**names) if opposite else None)

    def visit_Not(self, node: jn.Not) -> Code:
        inner = self.expr(node.node)
        if inner.negated is not None:
            return Code(inner.negated, BOOL, CMP, negated=inner.src)
        return Code(f"not {inner.at(NOT)}", BOOL, NOT)

    def visit_And(self, node: jn.And) -> Code:
        """`a and b` is Python's: the value of `a` or of `b`, not a bool."""
        left, right = self.expr(node.left), self.expr(node.right)
        type_ = left.type if left.type == right.type else ANY
        return Code(f"{left.at(AND)} and {right.at(AND + 1)}", type_, AND)

    def visit_Or(self, node: jn.Or) -> Code:
        """`a or "fallback"`: typed as `a` without its `?` when `b` has that type."""
        left, right = self.expr(node.left), self.expr(node.right)
        inner = _strip(left.type)
        type_ = inner if right.type == inner and inner.kind != "any" else ANY
        return Code(f"{left.at(OR)} or {right.at(OR + 1)}", type_, OR)

    # ---- comparisons -------------------------------------------------------------------
    def visit_Compare(self, node: jn.Compare) -> Code:
        """One comparison is written the way a person would (`x is None`,
        `priority is Priority.high`); a chain (`0 < n < 10`) as it stands."""
        left = self.expr(node.expr)
        if len(node.ops) == 1:
            return self.comparison(left, node.ops[0].op, node.ops[0].expr)
        operands = [left, *(self.expr(op.expr) for op in node.ops)]
        if any(isinstance(o.const, str) for o in operands):  # enums compare by value
            operands = [o if o.is_const or _strip(o.type).kind == "string"
                        else Code(f"_t.key({o.src})") for o in operands]
        src = operands[0].at(CMP + 1) + "".join(
            f" {_PY_OPS[op.op]} {o.at(CMP + 1)}" for op, o in zip(node.ops, operands[1:]))
        return Code(src, BOOL, CMP)

    def comparison(self, left: Code, op: str, right_node: jn.Node) -> Code:
        if op in ("in", "notin"):
            left, right = self.membership(left, right_node)
        else:
            right = self.expr(right_node)
            if op in ("eq", "ne") and NONE in (left.type, right.type):
                left, right = (right if left.type == NONE else left), _NONE
                op = "is" if op == "eq" else "isnot"
            elif op in ("eq", "ne") and isinstance(right.const, str) and not left.is_const:
                left, right = self.against_literal(left, right)
            elif op in ("eq", "ne") and isinstance(left.const, str) and not right.is_const:
                left, right = self.against_literal(right, left)  # the value first
            if op in ("eq", "ne") and any(_strip(c.type).kind == "enum" and c.is_const
                                          for c in (left, right)):
                op = "is" if op == "eq" else "isnot"  # an enum member
        py, opposite = _PY_OPS[op], _OPPOSITE.get(_PY_OPS[op])
        sides = left.at(CMP + 1), right.at(CMP + 1)
        return Code(f"{sides[0]} {py} {sides[1]}", BOOL, CMP,
                    negated=f"{sides[0]} {opposite} {sides[1]}" if opposite else None)

    def against_literal(self, value: Code, literal: Code) -> tuple[Code, Code]:
        """`priority == "high"`: the enum member when the enum's class is known, the
        value through `_t.key` when it may be an enum, as they are for a string."""
        kind = _strip(value.type)
        if kind.kind == "string":
            return value, literal
        member = self.member(kind, t.cast(str, literal.const))
        if member is not None:
            return value, member
        return Code(f"_t.key({value.src})"), literal

    def member(self, enum: TypeIR, name: str) -> Code | None:
        """`Priority.high` (or `Priority("high")` for a name Python cannot spell)."""
        cls = self.types.enums.get(enum.name or "") if enum.kind == "enum" else None
        if cls is None:
            return None
        if name.isidentifier() and not keyword.iskeyword(name):
            return Code(f"{cls}.{name}", enum, ATOM, name)
        return Code(f"{cls}({string_literal(name, self.quote)})", enum, ATOM, name)

    def membership(self, left: Code, right_node: jn.Node) -> tuple[Code, Code]:
        """`x in ["a", "b"]` against a tuple, `"vip" in tags` against the list; enum
        members as above."""
        if isinstance(right_node, jn.List):
            items = [self.expr(item) for item in right_node.items]
            if any(isinstance(i.const, str) for i in items) and not left.is_const \
                    and _strip(left.type).kind != "string":
                members = [self.member(_strip(left.type), str(i.const)) for i in items]
                if all(m is not None for m in members):
                    items = t.cast(list[Code], members)
                else:
                    left = Code(f"_t.key({left.src})")
            inside = ", ".join(i.src for i in items) + ("," if len(items) == 1 else "")
            return left, Code(f"({inside})", TypeIR(kind="list", of=ANY))
        right = self.expr(right_node)
        if not isinstance(left.const, str) or right.is_const:
            return left, right
        container = _strip(right.type)
        if container.kind in ("string", "map") or _elem(container).kind == "string":
            return left, right
        member = self.member(_elem(container), left.const)
        if member is not None:
            return member, right
        return left, Code(f"_t.keys({right.src})")

    # ---- filters and calls ---------------------------------------------------------------
    def visit_Filter(self, node: jn.Filter) -> Code:
        """`value | name(args)`: applied now to a literal, otherwise written out."""
        low, high = _ARITY.get(node.name, (-1, -1))
        if node.node is None or node.kwargs or node.dyn_args or node.dyn_kwargs \
                or not low <= len(node.args) <= high:
            raise TemplateCompileError(f"`{self.name}`: filter `{node.name}` as written is "
                                       "outside the subset")
        value = self.expr(node.node)
        args = [self.expr(arg) for arg in node.args]
        if node.name == "redact":  # the value is never looked at
            return t.cast(Code, self.literal(rt.REDACTED))
        if value.is_const and all(a.is_const for a in args):
            folded = self.folded(node.name, value, args)
            if folded is not None:
                return folded
        return t.cast(Code, getattr(self, f"filter_{node.name}")(value, *args))

    def folded(self, name: str, value: Code, args: list[Code]) -> Code | None:
        try:
            result = _FOLDS[name](value.const, *(a.const for a in args))
        except (TypeError, ValueError):
            return None  # raised at run time, as Jinja would
        return self.literal(result)

    def as_text(self, code: Code) -> Code:
        """A value a text filter applies to: a string, an enum member's value, else `text`."""
        kind = _strip(code.type).kind
        if kind == "string":
            return code
        if kind == "enum":
            return Code(f"{code.at(ATOM)}.value", STRING)
        return Code(f"_t.text({code.src})", STRING)

    def filter_upper(self, value: Code) -> Code:
        return Code(f"{self.as_text(value).at(ATOM)}.upper()", STRING)

    def filter_lower(self, value: Code) -> Code:
        return Code(f"{self.as_text(value).at(ATOM)}.lower()", STRING)

    def filter_trim(self, value: Code) -> Code:
        return Code(f"{self.as_text(value).at(ATOM)}.strip()", STRING)

    def filter_title(self, value: Code) -> Code:
        return Code(f"_t.title({self.as_text(value).src})", STRING)

    def filter_truncate(self, value: Code, length: Code) -> Code:
        return Code(f"_t.truncate({self.as_text(value).src}, {length.src})", STRING)

    def filter_join(self, value: Code, sep: Code | None = None) -> Code:
        """`sep.join(items)` for strings; other items go through `text` in `_t.join`."""
        if _elem(value.type).kind == "string":
            joiner = sep or t.cast(Code, self.literal(""))
            return Code(f"{joiner.at(ATOM)}.join({value.src})", STRING)
        return Code(f"_t.join({value.src}{', ' + sep.src if sep else ''})", STRING)

    def filter_default(self, value: Code, fallback: Code) -> Code:
        """The fallback when the value is null: nothing to do for a value that cannot
        be, a conditional for a name or field, `_t.default` for anything else."""
        kind = value.type.kind
        if kind not in ("optional", "any", "none"):
            return value
        type_ = _strip(value.type) if kind == "optional" else ANY
        if re.fullmatch(r"[\w.]+", value.src):
            return Code(f"{value.src} if {value.src} is not None else {fallback.at(OR)}",
                        type_, COND)
        return Code(f"_t.default({value.src}, {fallback.src})", type_)

    def filter_length(self, value: Code) -> Code:
        return Code(f"{self.builtin('len')}({value.src})", INT)

    def filter_json(self, value: Code) -> Code:
        return Code(f"_t.json_text({value.src})", STRING)

    def visit_Call(self, node: jn.Call) -> Code:
        """A call of a declared template: the Python function `calls` names for it."""
        callee = _dotted(node.node)
        if callee is None or callee not in self.calls or node.dyn_args or node.dyn_kwargs:
            raise TemplateCompileError(f"`{self.name}`: only declared templates can be "
                                       f"called, found `{callee or type(node.node).__name__}`")
        args = [self.expr(arg).src for arg in node.args]
        args += [f"{_py_name(kw.key)}={self.expr(kw.value).src}" for kw in node.kwargs]
        return Code(f"{self.calls[callee]}({', '.join(args)})", STRING)


# ---- helpers ---------------------------------------------------------------------------
def _merged(items: list[Item]) -> list[Item]:
    """Adjacent static texts as one."""
    out: list[Item] = []
    for item in items:
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        else:
            out.append(item)
    return out


_WIDTH = 76  # of a source line's literal, wrapped between words beyond it
_SHORT = 60  # of a run written on one line whatever newlines it holds


def _width(item: Item) -> int:
    """About how wide an item is in the literal (escapes and braces are not counted)."""
    return len(item.src) + 2 if isinstance(item, Code) else len(item) + item.count("\n")


def _lines(items: list[Item]) -> list[list[Item]]:
    """The run cut after each newline of its text, one source line per prompt line, and
    long lines between words; a short run stays on one line."""
    if sum(_width(item) for item in items) <= _SHORT:
        return [items]
    lines: list[list[Item]] = [[]]
    for item in items:
        if isinstance(item, Code):
            lines[-1].append(item)
            continue
        for piece in re.split(r"(?<=\n)", item):
            if piece:
                lines[-1].append(piece)
            if piece.endswith("\n"):
                lines.append([])
    return [_merged(part) for line in lines if line for part in _wrapped(line)]


def _wrapped(line: list[Item]) -> list[list[Item]]:
    """One line of text in parts of at most `_WIDTH` characters, each word (with the
    spaces after it) or interpolation whole."""
    parts: list[list[Item]] = [[]]
    size = 0
    for item in line:
        for chunk in [item] if isinstance(item, Code) else re.findall(r"\S+\s*|\s+", item):
            width = _width(chunk)
            if parts[-1] and size + width > _WIDTH:
                parts.append([])
                size = 0
            parts[-1].append(chunk)
            size += width
    return parts


def _renders(node: jn.Node) -> bool:
    """Whether a statement can render any text (`for x in []` cannot either: mypy could
    not type `x`)."""
    if isinstance(node, jn.Output):
        return any(not isinstance(c, jn.TemplateData) or c.data for c in node.nodes)
    if not isinstance(node, (jn.If, jn.For)):
        return True  # outside the subset: reported where it is compiled
    if isinstance(node, jn.For) and isinstance(node.iter, jn.List) and not node.iter.items:
        return False
    bodies = [node.body, node.else_, *(b.body for b in getattr(node, "elif_", ()))]
    return any(_renders(child) for body in bodies for child in body)


def _loop_uses(nodes: list[jn.Node]) -> set[str]:
    """The `loop.*` attributes a loop body reads (not those of loops nested in it)."""
    used: set[str] = set()

    def visit(node: jn.Node) -> None:
        if isinstance(node, jn.For):
            visit(node.iter)  # its body has a `loop` of its own
        elif isinstance(node, jn.Getattr) and isinstance(node.node, jn.Name) \
                and node.node.name == "loop":
            used.add(node.attr)
        else:
            for child in node.iter_child_nodes():
                visit(child)

    for node in nodes:
        visit(node)
    return used


def _py_name(name: str) -> str:
    """A `.pops` name in Python, as the Python target spells fields and parameters: a
    keyword, or `self` (attrs classes cannot have a field of that name), with an
    underscore after it (`class_`, `self_`)."""
    return name + "_" if keyword.iskeyword(name) or name == "self" else name


def _items_name(node: jn.Node) -> str:
    """What to call a list a loop needs by name: `ticket.tags` as `tags`."""
    return _py_name(node.attr) if isinstance(node, jn.Getattr) else "items"


def _dotted(node: jn.Node) -> str | None:
    """`std.templates.persona` as written; None for anything but names and dots."""
    if isinstance(node, jn.Name):
        return node.name
    if isinstance(node, jn.Getattr):
        base = _dotted(node.node)
        return f"{base}.{node.attr}" if base else None
    return None


def _docstring(doc: str | None) -> list[str]:
    if not doc or not doc.strip():
        return []
    text = doc.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = text.splitlines()
    if len(lines) == 1 and not text.endswith('"'):
        return [f'    """{text}"""']
    return [f'    """{lines[0]}', *(f"    {x}" if x.strip() else "" for x in lines[1:]), '    """']
