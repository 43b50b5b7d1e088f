"""Records, enums and aliases: defaults fit their fields, records do not contain themselves."""

from __future__ import annotations

from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.checks.values import check_value
from promptlang.diagnostics.model import Label
from promptlang.syntax import nodes as n


def check_record(ctx: Ctx, decl: n.Record) -> None:
    qname = f"{ctx.scope.module}.{decl.name.value}"
    fields = ctx.program.records.get(qname, {})
    for field in fields.values():
        if field.decl.default is not None:
            check_value(ctx, field.decl.default, field.type, field.constraints)
    _check_recursion(ctx, qname, decl)
    if not decl.fields:
        ctx.sink.report("E0306", decl.name.span, f"record `{decl.name.value}` has no fields",
                        label="empty record", help="declare its fields: `type Point { x: int, y: int }`")


def check_defaults(ctx: Ctx, params) -> None:
    """Parameter defaults (prompts and templates) fit their parameter types."""
    for field in params.values():
        if field.decl.default is not None:
            check_value(ctx, field.decl.default, field.type, field.constraints)


def _contained(ctx: Ctx, qname: str):
    """The records a record holds directly (not through list, map or `?`), with the field."""
    for field in ctx.program.records.get(qname, {}).values():
        if isinstance(field.type, ty.RecordT):
            yield field.type.qname, field


def _check_recursion(ctx: Ctx, qname: str, decl: n.Record) -> None:
    path = _find_cycle(ctx, qname, qname, [], set())
    if path is None or min(f.type.qname for f in path) != qname:
        return  # reported once, on the first record of the cycle
    names = [decl.name.value] + [f.type.name for f in path]
    first = path[0]
    notes = ("a record that holds itself, directly or through other records, could never be written down",)
    secondary = tuple(Label(field.decl.type.span, f"`{owner}` holds `{field.type.name}` here")
                      for owner, field in zip(names[1:], path[1:]))
    ctx.sink.report("E0304", first.decl.type.span,
                    f"record `{decl.name.value}` contains itself: " + " -> ".join(f"`{x}`" for x in names),
                    label="this field makes the cycle", secondary=secondary, notes=notes,
                    help=f"make the field optional (`{first.decl.type.name.text}?`) or a `list<...>`")


def _find_cycle(ctx: Ctx, start: str, current: str, path: list, seen: set):
    for target, field in _contained(ctx, current):
        if target == start:
            return path + [field]
        if target not in seen:
            seen.add(target)
            found = _find_cycle(ctx, start, target, path + [field], seen)
            if found is not None:
                return found
    return None
