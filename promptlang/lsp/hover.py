"""Hover text: what a name means, in the words of its declaration.

A declaration shows its signature, its version (prompts) and its doc comment; a
parameter, field or template variable its type (as the checker typed it there)."""

from __future__ import annotations

import attrs

from promptlang.diagnostics.sink import Sink
from promptlang.lsp import index
from promptlang.resolve import signature
from promptlang.source import Span
from promptlang.syntax import nodes as n
from promptlang.syntax.docs import doc_comment


def hover_text(program, module: str, offset: int) -> tuple[str, object] | None:
    """Markdown for the name at `offset` and the occurrence it describes."""
    occ = index.at(program, module, offset)
    if occ is None:
        return None
    kind = occ.target[0]
    text = None
    if kind == "symbol":
        text = _symbol(program, occ.target[1])
    elif kind in ("field", "param", "member", "loop"):
        text = _value(program, occ)
    elif kind == "module":
        text = _block(f"module {occ.target[1]}")
    return (text, occ) if text else None


def _block(code: str) -> str:
    return f"```pops\n{code}\n```"


def _doc(program, sym_module: str, node) -> str | None:
    scope = program.scopes[sym_module]
    return doc_comment(scope.ast, scope.source.text, node)


def _symbol(program, qname: str) -> str | None:
    sym = program.symbols.get(qname)
    if sym is None:
        return None
    parts = [_block(_signature(program, sym)), f"in `{sym.module}`"]
    version = _setting(sym.decl, "version")
    if version is not None:
        parts[-1] += f" · version `{version}`"
    doc = _doc(program, sym.module, sym.decl)
    if doc:
        parts.append(doc)
    return "\n\n".join(parts)


def _signature(program, sym) -> str:
    """One line (or a short block) saying what the declaration is."""
    decl = sym.decl
    if sym.kind in ("prompt", "template"):
        sig = signature(program, sym)
        params = ", ".join(f"{k}: {v.type.show()}" for k, v in sig.params.items())
        output = f" -> {sig.output.show()}" if sym.kind == "prompt" else ""
        return f"{sym.kind} {sym.name}({params}){output}"
    if sym.kind == "record":
        fields = program.records.get(sym.qname, {})
        lines = [f"  {k}: {v.type.show()}" for k, v in fields.items()]
        return "\n".join([f"type {sym.name} {{", *lines, "}"])
    if sym.kind == "enum":
        members = ", ".join(program.enums.get(sym.qname, {}))
        return f"enum {sym.name} {{ {members} }}"
    if sym.kind == "alias":
        base, _ = program.alias_type(sym)
        return f"type {sym.name} = {base.show()}"
    if sym.kind == "intent":
        scope = program.scopes[sym.module]
        slots = program.fields_of(scope, index.params_of(program, sym.qname), Sink())
        listed = ", ".join(f"{k}: {v.type.show()}" for k, v in slots.items())
        return f"intent {sym.name}" + (f" {{ slots {{ {listed} }} }}" if listed else "")
    if sym.kind == "model":
        provider, name = _setting(decl, "provider"), _setting(decl, "name")
        return f"model {sym.name}" + (f"  // {provider} {name}" if provider else "")
    return f"{sym.kind} {sym.name}"


def _setting(decl, key: str) -> str | None:
    for entry in getattr(decl, "entries", ()):
        if isinstance(entry, n.Setting) and entry.key.value == key and isinstance(entry.value, n.Str):
            return entry.value.value
    return None


def _value(program, occ) -> str | None:
    """A parameter, field, enum member or loop variable: its name and type."""
    kind, owner = occ.target[0], occ.target[1]
    name = occ.target[2] if kind != "loop" else None
    shown = occ.type.show() if occ.type is not None and hasattr(occ.type, "show") else None
    if kind == "member":
        return _block(f"{owner.rsplit('.', 1)[-1]}.{name}") + _decl_doc(program, occ)
    if kind == "loop":
        return _block(f"(loop variable): {shown or 'unknown'}")
    what = {"field": "field of", "param": "parameter of"}[kind]
    heading = _block(f"{name}: {shown or _declared_type(program, occ) or 'unknown'}")
    return f"{heading}\n\n{what} `{owner.rsplit('.', 1)[-1]}`" + _decl_doc(program, occ)


def _declared_type(program, occ) -> str | None:
    if occ.target[0] == "field":
        info = program.records.get(occ.target[1], {}).get(occ.target[2])
        return info.type.show() if info else None
    return None


def _decl_doc(program, occ) -> str:
    """The doc comment above the declaration of a field, parameter or member."""
    span = index.definition(program, occ.target)
    if span is None:
        return ""
    module = index.module_of_file(program, span.file)
    scope = program.scopes.get(module)
    if scope is None:
        return ""
    line_start = scope.source.text.rfind("\n", 0, span.start) + 1
    doc = doc_comment(scope.ast, scope.source.text, _At(Span(span.file, line_start, line_start)))
    return f"\n\n{doc}" if doc else ""


@attrs.frozen
class _At:
    """A stand-in node for `doc_comment`: anything with a span starting at a line."""

    span: Span
