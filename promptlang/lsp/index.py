"""Which declaration each name in a module refers to: the one table that go to
definition, find references, rename and hover read.

A target is a tuple naming what a name means:
    ("symbol", qname)             a declaration (type, enum, model, prompt, ...)
    ("field", record_qname, name) a record field
    ("member", enum_qname, name)  an enum member
    ("param", owner_qname, name)  a prompt's or template's parameter, an intent's slot
    ("module", name)              a module, in an import
    ("loop", file, offset)        a `{% for %}` variable in a template
Names are resolved the way the checks resolve them (the program's scopes), quietly:
a name the checks reject simply has no target here."""

from __future__ import annotations

import attrs

from promptlang import types as ty
from promptlang.diagnostics.sink import Sink
from promptlang.lsp.template_facts import facts_of
from promptlang.resolve import signature
from promptlang.source import Span
from promptlang.syntax import nodes as n


@attrs.frozen
class Occurrence:
    """A name where it is written, what it means, and whether it declares it."""

    span: Span
    target: tuple
    decl: bool = False
    type: object = None  # the value's type, where the checker knows it


def occurrences(program, module: str) -> list[Occurrence]:
    """Every resolvable name of `module`, in source order (computed once per program)."""
    memo = program.__dict__.setdefault("_lsp_occurrences", {})
    if module not in program.scopes:
        return []
    if module not in memo:
        walker = Walker(program, program.scopes[module])
        walker.module()
        memo[module] = sorted(set(walker.out), key=lambda o: (o.span.start, o.span.end))
    return memo[module]


def at(program, module: str, offset: int) -> Occurrence | None:
    """The occurrence under the cursor (the narrowest, at either end of a name)."""
    hits = [o for o in occurrences(program, module) if o.span.start <= offset <= o.span.end]
    return min(hits, key=lambda o: o.span.end - o.span.start) if hits else None


def definition(program, target: tuple) -> Span | None:
    """Where a target is declared."""
    kind = target[0]
    if kind == "symbol" and target[1] in program.symbols:
        return program.symbols[target[1]].decl.name.span
    if kind == "field":
        info = program.records.get(target[1], {}).get(target[2])
        return info.decl.name.span if info else None
    if kind == "member":
        member = program.enums.get(target[1], {}).get(target[2])
        return member.name.span if member else None
    if kind == "param":
        field = next((f for f in params_of(program, target[1]) if f.name.value == target[2]), None)
        return field.name.span if field else None
    if kind == "module" and target[1] in program.scopes:
        return program.scopes[target[1]].source.span(0, 0)
    if kind == "loop":
        return next((o.span for o in occurrences(program, module_of_file(program, target[1]))
                     if o.target == target and o.decl), None)
    return None


def references(program, target: tuple) -> list[Occurrence]:
    """Every occurrence of a target in the program (its declaration included), looked
    for in the modules that can name it: its own and those importing it, transitively."""
    if target[0] == "loop":
        modules = {module_of_file(program, target[1])}
    else:
        sym = program.symbols.get(target[1])
        home = sym.module if sym is not None else target[1]
        modules = _importers(program, home)
    return [o for m in sorted(modules) for o in occurrences(program, m) if o.target == target]


def _importers(program, module: str) -> set[str]:
    """`module` and every module that imports it, directly or not."""
    seen, stack = {module}, [module]
    while stack:
        current = stack.pop()
        for name, scope in program.scopes.items():
            if name not in seen and any(t == current for t, _ in scope.imports):
                seen.add(name)
                stack.append(name)
    return seen


def module_of_file(program, file: str) -> str:
    return next((m for m, s in program.scopes.items() if s.source.path == file), "")


def params_of(program, qname: str) -> tuple[n.Field, ...]:
    sym = program.symbols.get(qname)
    if sym is None:
        return ()
    if isinstance(sym.decl, (n.Prompt, n.Template)):
        return sym.decl.params
    if isinstance(sym.decl, n.Intent):
        return tuple(f for b in sym.decl.entries if isinstance(b, n.Block) and b.kind.value == "slots"
                     for f in b.entries if isinstance(f, n.Field))
    return ()


class Walker:
    """One pass over a module's AST, resolving names as the checks do."""

    def __init__(self, program, scope):
        self.program = program
        self.scope = scope
        self.out: list[Occurrence] = []

    def add(self, span: Span, target: tuple, decl: bool = False, type_=None) -> None:
        self.out.append(Occurrence(span, target, decl, type_))

    def qname(self, decl) -> str:
        return f"{self.scope.module}.{decl.name.value}"

    # ---- declarations ------------------------------------------------------------------
    def module(self) -> None:
        for decl in self.scope.ast.decls:
            visit = getattr(self, f"decl_{type(decl).__name__}", None)
            if isinstance(decl, n.NAMED_DECLS):
                self.add(decl.name.span, ("symbol", self.qname(decl)), True)
            if visit is not None:
                visit(decl)

    def decl_Import(self, decl: n.Import) -> None:
        if decl.path.text in self.program.scopes:
            self.add(decl.path.span, ("module", decl.path.text))
            if decl.alias is not None:
                self.add(decl.alias.span, ("module", decl.path.text))

    def decl_FromImport(self, decl: n.FromImport) -> None:
        target = self.program.scopes.get(decl.path.text)
        if target is None:
            return
        self.add(decl.path.span, ("module", decl.path.text))
        for name in decl.names:
            sym = target.own.get(name.value)
            if sym is not None:
                self.add(name.span, ("symbol", sym.qname))

    def decl_Enum(self, decl: n.Enum) -> None:
        for member in decl.members:
            self.add(member.name.span, ("member", self.qname(decl), member.name.value), True)

    def decl_Record(self, decl: n.Record) -> None:
        infos = self.program.records.get(self.qname(decl), {})
        for field in decl.fields:
            info = infos.get(field.name.value)
            self.add(field.name.span, ("field", self.qname(decl), field.name.value), True,
                     info.type if info else None)
            self.field(field, info.type if info else None)

    def decl_Alias(self, decl: n.Alias) -> None:
        self.type_ref(decl.type)

    def decl_Model(self, decl: n.Model) -> None:
        self.entries(decl.entries, {})

    def decl_Template(self, decl: n.Template) -> None:
        self.params(decl)
        self.template_facts(decl)

    def decl_Prompt(self, decl: n.Prompt) -> None:
        self.params(decl)
        if decl.output is not None:
            self.type_ref(decl.output)
        self.entries([e for e in decl.entries if not _is_message(e)], {})
        self.template_facts(decl)

    def decl_Intent(self, decl: n.Intent) -> None:
        owner = self.qname(decl)
        slots = {f.name.value: f for f in params_of(self.program, owner)}
        infos = self.program.fields_of(self.scope, tuple(slots.values()), Sink())
        for name, field in slots.items():
            info = infos.get(name)
            self.add(field.name.span, ("param", owner, name), True, info.type if info else None)
            self.type_ref(field.type)
        local = {name: (("param", owner, name), infos[name].type if name in infos else None)
                 for name in slots}
        self.entries([e for e in decl.entries if not (isinstance(e, n.Block) and e.kind.value == "slots")],
                     local)

    def decl_Test(self, decl: n.Test) -> None:
        sym = self.dotted(decl.target.parts)
        sig = signature(self.program, sym) if sym is not None and sym.kind == "prompt" else None
        local = {"output": (None, sig.output)} if sig else {}
        for entry in decl.entries:
            if isinstance(entry, n.Block) and entry.kind.value == "given" and sig is not None:
                for setting in entry.entries:
                    if isinstance(setting, n.Setting):
                        info = sig.params.get(setting.key.value)
                        if info is not None:
                            self.add(setting.key.span, ("param", sym.qname, setting.key.value),
                                     type_=info.type)
                        self.expr(setting.value, info.type if info else None, {})
            else:
                self.entries([entry], local)

    def decl_IntentTests(self, decl: n.IntentTests) -> None:
        for entry in decl.entries:
            if isinstance(entry, n.Mapping):
                self.expr(entry.target, None, {})

    def decl_Policy(self, decl: n.Policy) -> None:
        self.entries(decl.entries, {})

    def decl_ApplyPolicy(self, decl: n.ApplyPolicy) -> None:
        self.dotted(decl.policy.parts)
        for target in decl.targets or ():
            self.dotted(target.parts)

    def decl_Environment(self, decl: n.Environment) -> None:
        self.entries(decl.entries, {})

    # ---- parts -------------------------------------------------------------------------
    def params(self, decl) -> None:
        infos = self.program.fields_of(self.scope, decl.params, Sink())
        for field in decl.params:
            info = infos.get(field.name.value)
            self.add(field.name.span, ("param", self.qname(decl), field.name.value), True,
                     info.type if info else None)
            self.field(field, info.type if info else None)

    def field(self, field: n.Field, type_) -> None:
        self.type_ref(field.type)
        for annotation in field.annotations:
            for arg in annotation.args:
                self.expr(arg, None, {})
        if field.default is not None:
            self.expr(field.default, type_, {})

    def template_facts(self, decl) -> None:
        for fact in facts_of(self.program, self.scope, decl):
            if fact.target is not None:
                self.add(fact.span, fact.target, fact.target[0] == "loop" and
                         fact.span.start == fact.target[2], fact.type)

    def type_ref(self, ref: n.TypeRef) -> None:
        if not (len(ref.name.parts) == 1 and ref.name.parts[0].value in ty.PRIMITIVES + ("list", "map")):
            self.dotted(ref.name.parts)
        for arg in ref.args:
            self.type_ref(arg)

    def dotted(self, parts: tuple[n.Name, ...]):
        """A (qualified) declaration name; returns its symbol when it resolves."""
        if len(parts) == 1:
            sym = self.scope.own.get(parts[0].value) or self.scope.imported.get(parts[0].value)
        else:
            module = self.scope.module_aliases.get(".".join(p.value for p in parts[:-1]))
            if module is None:
                return None
            self.add(parts[0].span.cover(parts[-2].span), ("module", module))
            sym = self.program.scopes[module].own.get(parts[-1].value)
        if sym is None or sym.kind == "broken":
            return None
        self.add(parts[-1].span, ("symbol", sym.qname))
        return sym

    def entries(self, entries, local: dict) -> None:
        for entry in entries:
            if isinstance(entry, n.Setting):
                self.expr(entry.value, None, local)
            elif isinstance(entry, n.Rule):
                self.expr(entry.expr, None, local)
                if entry.for_ is not None:
                    self.expr(entry.for_, None, local)
            elif isinstance(entry, n.Block):
                self.entries(entry.entries, local)
            elif isinstance(entry, n.Field):
                self.field(entry, None)
            elif isinstance(entry, n.Mapping):
                self.expr(entry.target, None, local)

    # ---- expressions ---------------------------------------------------------------------
    def expr(self, expr, expected, local: dict):
        """Resolve the names in an expression; returns its type when it is a path whose
        type is known (`output.category`), else None. `expected` types literals: an
        object for a record, bare enum members."""
        visit = getattr(self, f"expr_{type(expr).__name__}", None)
        if visit is not None:
            return visit(expr, expected, local)
        for child in _children(expr):
            self.expr(child, None, local)
        return None

    def expr_Ident(self, expr: n.Ident, expected, local: dict):
        enum = ty.strip_optional(expected) if expected is not None else None
        if isinstance(enum, ty.ListT):
            enum = ty.strip_optional(enum.elem)
        if isinstance(enum, ty.EnumT) and expr.name in self.program.enums.get(enum.qname, {}):
            self.add(expr.span, ("member", enum.qname, expr.name), type_=enum)
            return None
        if expr.name in local:
            target, type_ = local[expr.name]
            if target is not None:
                self.add(expr.span, target, type_=type_)
            return type_
        self.dotted((n.Name(expr.span, expr.name),))
        return None

    def expr_Attr(self, expr: n.Attr, expected, local: dict):
        parts = _dotted_parts(expr)
        if parts is not None and parts[0].value not in local:
            self.dotted(parts)
            return None
        owner = self.expr(expr.obj, None, local)
        owner = ty.strip_optional(owner) if owner is not None else None
        if isinstance(owner, ty.RecordT):
            info = self.program.records.get(owner.qname, {}).get(expr.name.value)
            if info is not None:
                self.add(expr.name.span, ("field", owner.qname, expr.name.value), type_=info.type)
                return info.type
        if isinstance(owner, ty.MapT):
            return owner.value
        return None

    def expr_Call(self, expr: n.Call, expected, local: dict):
        parts = _dotted_parts(expr.func)
        sym = self.dotted(parts) if parts is not None and parts[0].value not in local else None
        if sym is None:
            self.expr(expr.func, None, local)
        params = {f.name.value: f for f in params_of(self.program, sym.qname)} if sym else {}
        infos = self.program.fields_of(self.program.scopes[sym.module], tuple(params.values()),
                                       Sink()) if sym else {}
        for arg in expr.args:
            info = infos.get(arg.name.value) if arg.name is not None else None
            if info is not None:
                self.add(arg.name.span, ("param", sym.qname, arg.name.value), type_=info.type)
            self.expr(arg.value, info.type if info else None, local)
        return None

    def expr_ObjectExpr(self, expr: n.ObjectExpr, expected, local: dict):
        record = ty.strip_optional(expected) if expected is not None else None
        fields = self.program.records.get(record.qname, {}) if isinstance(record, ty.RecordT) else {}
        for entry in expr.entries:
            info = fields.get(entry.key.value)
            if info is not None:
                self.add(entry.key.span, ("field", record.qname, entry.key.value), type_=info.type)
            self.expr(entry.value, info.type if info else None, local)
        return None

    def expr_ListExpr(self, expr: n.ListExpr, expected, local: dict):
        inner = ty.strip_optional(expected) if expected is not None else None
        elem = inner.elem if isinstance(inner, ty.ListT) else expected
        for item in expr.items:
            self.expr(item, elem, local)
        return None

    def expr_Compare(self, expr: n.Compare, expected, local: dict):
        left = self.expr(expr.left, None, local)
        self.expr(expr.right, left, local)
        return None


def _is_message(entry) -> bool:
    return isinstance(entry, n.Rule) and isinstance(entry.expr, n.Str) and entry.for_ is None


def _dotted_parts(expr) -> tuple[n.Name, ...] | None:
    if isinstance(expr, n.Ident):
        return (n.Name(expr.span, expr.name),)
    if isinstance(expr, n.Attr):
        head = _dotted_parts(expr.obj)
        return None if head is None else head + (expr.name,)
    return None


def _children(node):
    """The expression nodes directly inside `node`."""
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if attrs.has(type(item)) and not isinstance(item, (Span, n.Name)):
                yield item
