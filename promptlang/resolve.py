"""Resolve names: module symbol tables, imports, and written types into semantic types."""

from __future__ import annotations

import os

import attrs

from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.source import SourceFile
from promptlang.source import Span
from promptlang.syntax import nodes as n
from promptlang import types as ty
from promptlang.annotations import constraints_of

KIND_OF = {
    n.Enum: "enum", n.Record: "record", n.Alias: "alias", n.Model: "model",
    n.Template: "template", n.Prompt: "prompt", n.Intent: "intent", n.Policy: "policy",
    n.Environment: "environment", n.Broken: "broken",
}
TYPE_KINDS = frozenset({"enum", "record", "alias"})
ARTICLE = {"enum": "an enum", "record": "a record", "alias": "a type alias", "model": "a model",
           "template": "a template", "prompt": "a prompt", "intent": "an intent",
           "policy": "a policy", "environment": "an environment", "broken": "a declaration"}


@attrs.define(eq=False)
class Symbol:
    """A declaration visible by name."""

    kind: str
    name: str
    module: str
    decl: object

    @property
    def qname(self) -> str:
        return f"{self.module}.{self.name}"


@attrs.define(eq=False)
class FieldInfo:
    """A record field (or parameter, or slot) with its resolved type."""

    name: str
    type: ty.Type
    constraints: ty.Constraints
    decl: n.Field

    @property
    def required(self) -> bool:
        return self.decl.default is None and not isinstance(self.type, ty.OptionalT)


@attrs.define(eq=False)
class Scope:
    """What one module can see: its own declarations and what it imports."""

    module: str
    source: SourceFile
    ast: n.Module
    sink: Sink
    own: dict[str, Symbol] = attrs.Factory(dict)
    imported: dict[str, Symbol] = attrs.Factory(dict)
    module_aliases: dict[str, str] = attrs.Factory(dict)
    imports: list[tuple[str, Span]] = attrs.Factory(list)
    used: set[str] = attrs.Factory(set)
    failed: set[str] = attrs.Factory(set)

    def visible(self, kinds) -> list[str]:
        names = [s.name for s in self.own.values() if s.kind in kinds]
        names += [k for k, s in self.imported.items() if s.kind in kinds]
        return names


class Program:
    """Every module of one check with its scope; the checks read names through it."""

    def __init__(self, sources: dict[str, SourceFile], asts: dict[str, n.Module],
                 real_paths: dict[str, str], root: str | None, sinks: dict[str, Sink]):
        self.sources = sources
        self.scopes: dict[str, Scope] = {
            name: Scope(name, sources[name], asts[name], sinks[name]) for name in sorted(asts)
        }
        self.real_paths = real_paths
        self.root = os.path.realpath(root) if root else None
        self.records: dict[str, dict[str, FieldInfo]] = {}
        self._aliases: dict[str, tuple[ty.Type, ty.Constraints]] = {}
        self._resolving: set[str] = set()
        self.enums: dict[str, dict[str, n.EnumMember]] = {}
        self.symbols: dict[str, Symbol] = {}
        self.files_read: dict[str, set[str]] = {}  # module -> files named by `file("...")`
        # module -> a key of its text and its transitive imports' (set by the driver);
        # what a module's checks and generated code can depend on.
        self.module_keys: dict[str, str] = {}

    # ---- building -------------------------------------------------------------
    def declare_all(self) -> None:
        for scope in self.scopes.values():
            _declare(scope)
            for sym in scope.own.values():
                self.symbols[sym.qname] = sym
        for scope in self.scopes.values():
            self._bind_imports(scope)
        for scope in self.scopes.values():
            for sym in scope.own.values():
                if sym.kind == "enum":
                    self.enums[sym.qname] = _enum_members(sym.decl, sym.qname, scope.sink)
        for scope in self.scopes.values():
            for sym in scope.own.values():
                if sym.kind == "record":
                    self.records[sym.qname] = self.fields_of(scope, sym.decl.fields, scope.sink)
                elif sym.kind == "alias":
                    self.alias_type(sym)

    def _bind_imports(self, scope: Scope) -> None:
        for decl in scope.ast.decls:
            if isinstance(decl, n.Import):
                target = self._import_target(scope, decl.path)
                key = decl.alias.value if decl.alias else decl.path.text
                if target:
                    scope.module_aliases[key] = target
                else:
                    scope.failed.add(key)
            elif isinstance(decl, n.FromImport):
                target = self._import_target(scope, decl.path)
                if target:
                    self._bind_names(scope, decl, self.scopes[target])
                else:
                    scope.failed.update(name.value for name in decl.names)

    def _import_target(self, scope: Scope, path: n.Dotted) -> str | None:
        name = path.text
        if name not in self.scopes and self._outside_root(name):
            scope.sink.report("E0207", path.span, f"module `{name}` would be outside the project root",
                              label=f"under {self._outside_root(name)}",
                              help="imports may only name files inside the project; copy the module in")
            return None
        if name not in self.scopes:
            scope.sink.report("E0201", path.span, f"no module named `{name}`",
                              label="not found", help=did_you_mean(name, self.scopes)
                              or _module_hint(name))
            return None
        if name == scope.module:
            scope.sink.report("E0202", path.span, f"module `{name}` imports itself",
                              label="this import", help="remove this import")
            return None
        real = self.real_paths.get(name)
        if self.root and real and not (real + os.sep).startswith(self.root + os.sep):
            scope.sink.report("E0207", path.span,
                              f"module `{name}` resolves outside the project root",
                              label=f"points to {real}",
                              help="imports may only name files inside the project; copy the module in")
            return None
        scope.imports.append((name, path.span))
        return name

    def _outside_root(self, name: str) -> str | None:
        """The real folder outside the root that a linked module prefix of `name` points to."""
        parts = name.split(".")
        for size in range(len(parts) - 1, 0, -1):
            real = self.real_paths.get(".".join(parts[:size]))
            if real and self.root and not (real + os.sep).startswith(self.root + os.sep):
                return real
        return None

    def _bind_names(self, scope: Scope, decl: n.FromImport, target: Scope) -> None:
        for name in decl.names:
            sym = target.own.get(name.value)
            if sym is None:
                scope.failed.add(name.value)
                scope.sink.report("E0206", name.span,
                                  f"module `{target.module}` has no declaration `{name.value}`",
                                  label="not declared there",
                                  help=did_you_mean(name.value, target.own))
            elif name.value in scope.own:
                scope.sink.report("E0205", name.span, f"`{name.value}` is already declared in this module",
                                  label="imported here",
                                  secondary=(Label(scope.own[name.value].decl.name.span, "declared here"),),
                                  help=f"import the module instead: `import {target.module}`")
            else:
                scope.imported[name.value] = sym

    # ---- lookups ------------------------------------------------------------------
    def lookup(self, scope: Scope, parts: tuple[n.Name, ...], kinds, what: str,
               sink: Sink | None = None) -> Symbol | None:
        """The declaration a (qualified) name refers to, or None after a diagnostic."""
        sink = sink if sink is not None else scope.sink
        span = parts[0].span.cover(parts[-1].span)
        if len(parts) == 1:
            sym = scope.own.get(parts[0].value)
            if sym is None and parts[0].value in scope.imported:
                sym = scope.imported[parts[0].value]
                scope.used.add(parts[0].value)
            if sym is None:
                if parts[0].value not in scope.failed:  # its import was reported already
                    self._unknown(scope, parts[0].value, span, kinds, what, sink)
                return None
        else:
            target = self.module_of(scope, parts[:-1])
            if target is None:
                prefix = ".".join(p.value for p in parts[:-1])
                if prefix in scope.failed:
                    return None  # its import was reported already
                sink.report("E0203", parts[0].span.cover(parts[-2].span),
                            f"unknown module `{prefix}`", label="not imported",
                            help=did_you_mean(prefix, scope.module_aliases)
                            or f"add `import {prefix}` at the top of the file")
                return None
            sym = self.scopes[target].own.get(parts[-1].value)
            if sym is None:
                self._unknown(self.scopes[target], parts[-1].value, parts[-1].span, kinds, what,
                              sink, where=f" in module `{target}`")
                return None
        if sym.kind == "broken":
            return None  # its syntax error was reported; uses of it are not new mistakes
        if sym.kind not in kinds:
            sink.report("E0208", span, f"`{sym.name}` is {ARTICLE[sym.kind]}, not {what}",
                        label=f"expected {what}",
                        help=did_you_mean(sym.name, scope.visible(kinds)))
            return None
        return sym

    def module_of(self, scope: Scope, parts) -> str | None:
        key = ".".join(p.value for p in parts)
        if key in scope.module_aliases:
            scope.used.add(key)
        return scope.module_aliases.get(key)

    def _unknown(self, scope, name, span, kinds, what, sink, where=""):
        sink.report("E0203", span, f"unknown {_bare(what)} `{name}`{where}",
                    label=f"no {_bare(what)} of this name",
                    help=did_you_mean(name, scope.visible(kinds)))

    # ---- types --------------------------------------------------------------------
    def resolve_type(self, scope: Scope, ref: n.TypeRef, sink: Sink) -> tuple[ty.Type, ty.Constraints]:
        """The semantic type a written type means, with the constraints an alias adds."""
        base, constraints = self._base_type(scope, ref, sink)
        if ref.optional and not isinstance(base, (ty.OptionalT, ty.AnyT)):
            base = ty.OptionalT(base)
        return base, constraints

    def _base_type(self, scope, ref: n.TypeRef, sink):
        parts = ref.name.parts
        name = parts[0].value
        if len(parts) == 1 and name in ty.PRIMITIVES:
            self._arity(ref, 0, sink)
            return ty.Prim(name), ty.NO_CONSTRAINTS
        if len(parts) == 1 and name == "list":
            if not self._arity(ref, 1, sink):
                return ty.ANY, ty.NO_CONSTRAINTS
            elem, elem_constraints = self.resolve_type(scope, ref.args[0], sink)
            return ty.ListT(elem), _sensitivity(elem_constraints)
        if len(parts) == 1 and name == "map":
            if not self._arity(ref, 2, sink):
                return ty.ANY, ty.NO_CONSTRAINTS
            key = self.resolve_type(scope, ref.args[0], sink)[0]
            if key not in (ty.STRING, ty.ANY):
                sink.report("E0302", ref.args[0].span, "map keys must be `string`",
                            label=f"found `{key.show()}`", help="write `map<string, ...>`")
            value, value_constraints = self.resolve_type(scope, ref.args[1], sink)
            return ty.MapT(value), _sensitivity(value_constraints)
        sym = self.lookup(scope, parts, TYPE_KINDS, "a type", sink)
        if sym is None:
            return ty.ANY, ty.NO_CONSTRAINTS
        self._arity(ref, 0, sink)
        if sym.kind == "record":
            return ty.RecordT(sym.qname), ty.NO_CONSTRAINTS
        if sym.kind == "enum":
            return ty.EnumT(sym.qname), ty.NO_CONSTRAINTS
        return self.alias_type(sym)

    def _arity(self, ref: n.TypeRef, count: int, sink: Sink) -> bool:
        if len(ref.args) == count:
            return True
        name = ref.name.text
        if count == 0:
            sink.report("E0302", ref.span, f"`{name}` takes no type arguments",
                        label="remove the `<...>`")
        else:
            shape = "list<T>" if name == "list" else "map<string, T>"
            sink.report("E0302", ref.span, f"`{name}` takes {count} type argument{'s' if count > 1 else ''}",
                        label=f"found {len(ref.args)}", help=f"write `{shape}`")
        return False

    def alias_type(self, sym: Symbol) -> tuple[ty.Type, ty.Constraints]:
        if sym.qname in self._aliases:
            return self._aliases[sym.qname]
        scope = self.scopes[sym.module]
        if sym.qname in self._resolving:
            scope.sink.report("E0304", sym.decl.name.span, f"type alias `{sym.name}` refers to itself",
                              label="this alias", help="an alias must end in a built-in type, record or enum")
            self._aliases[sym.qname] = (ty.ANY, ty.NO_CONSTRAINTS)
            return self._aliases[sym.qname]
        self._resolving.add(sym.qname)
        base, inherited = self.resolve_type(scope, sym.decl.type, scope.sink)
        own = constraints_of(sym.decl.annotations, base, scope.sink)
        self._resolving.discard(sym.qname)
        self._aliases[sym.qname] = (base, inherited.merge(own))
        return self._aliases[sym.qname]

    def fields_of(self, scope: Scope, fields, sink: Sink) -> dict[str, FieldInfo]:
        """Resolved fields (also parameters and slots), duplicates reported."""
        result: dict[str, FieldInfo] = {}
        for field in fields:
            base, inherited = self.resolve_type(scope, field.type, sink)
            constraints = inherited.merge(constraints_of(field.annotations, base, sink))
            if field.name.value in result:
                first = result[field.name.value].decl
                sink.report("E0210", field.name.span, f"`{field.name.value}` is declared twice",
                            label="declared again here",
                            secondary=(Label(first.name.span, "first declared here"),),
                            help="remove one of them or rename it")
                continue
            result[field.name.value] = FieldInfo(field.name.value, base, constraints, field)
        return result


def _sensitivity(constraints: ty.Constraints) -> ty.Constraints:
    """A list or map of `@pii` (or `@secret`) values is itself `@pii`; the element's
    other constraints (length, pattern, range) say nothing about the collection."""
    if not (constraints.pii or constraints.secret):
        return ty.NO_CONSTRAINTS
    return ty.Constraints(pii=constraints.pii, secret=constraints.secret)


def _bare(what: str) -> str:
    for article in ("an ", "a "):
        if what.startswith(article):
            return what[len(article):]
    return what


def _module_hint(name: str) -> str:
    if name.startswith("std."):
        return "the standard library has `std.policies` and `std.templates`"
    path = name.replace(".", "/") + ".pops"
    return f"module `{name}` would be the file `{path}` under the project root"


def _declare(scope: Scope) -> None:
    for decl in scope.ast.decls:
        kind = KIND_OF.get(type(decl))
        if kind is None:
            continue
        name = decl.name.value
        if name in scope.own:
            first = scope.own[name].decl
            scope.sink.report("E0205", decl.name.span, f"`{name}` is declared twice in this module",
                              label="declared again here",
                              secondary=(Label(first.name.span, "first declared here"),),
                              help="rename one of them")
            continue
        if kind in TYPE_KINDS and name in ty.PRIMITIVES + ("list", "map"):
            scope.sink.report("E0205", decl.name.span, f"`{name}` is a built-in type",
                              label="cannot be declared again", help="choose another name")
            continue
        scope.own[name] = Symbol(kind, name, scope.module, decl)


def _enum_members(decl: n.Enum, qname: str, sink: Sink) -> dict[str, n.EnumMember]:
    members: dict[str, n.EnumMember] = {}
    for member in decl.members:
        constraints_of(member.annotations, ty.EnumT(qname), sink)
        name = member.name.value
        if name in members:
            sink.report("E0210", member.name.span, f"enum member `{name}` is declared twice",
                        label="declared again here",
                        secondary=(Label(members[name].name.span, "first declared here"),),
                        help="remove one of them")
            continue
        members[name] = member
    if not decl.members:
        sink.report("E0306", decl.name.span, f"enum `{decl.name.value}` has no members",
                    label="empty enum", help="list its members: `enum Color { red, green }`")
    return members


@attrs.define(eq=False)
class Signature:
    """A prompt's or template's parameters and output type, resolved."""

    params: dict[str, FieldInfo]
    output: ty.Type


def signature(program: Program, sym: Symbol) -> Signature:
    """Parameters and output of a prompt or template, for checks in any module.

    Mistakes in the declaration itself are reported by its own module's check, so
    this resolution reports into a scratch sink."""
    cache = program.__dict__.setdefault("_signatures", {})
    if sym.qname not in cache:
        scratch = Sink()
        scope = program.scopes[sym.module]
        params = program.fields_of(scope, sym.decl.params, scratch)
        output = ty.STRING
        if isinstance(sym.decl, n.Prompt) and sym.decl.output is not None:
            output = program.resolve_type(scope, sym.decl.output, scratch)[0]
        cache[sym.qname] = Signature(params, output)
    return cache[sym.qname]
