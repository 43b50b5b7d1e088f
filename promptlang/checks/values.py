"""Literal values against the types they must have: defaults, test inputs, route arguments."""

from __future__ import annotations

import os
import re

from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.suggest import all_of
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.diagnostics.suggest import meant
from promptlang.diagnostics.suggest import one_of
from promptlang.syntax import nodes as n

_DESCRIBE = {
    n.Str: "a string", n.Int: "a whole number", n.Float: "a number", n.Bool: "a boolean",
    n.Null: "`null`", n.Duration: "a duration", n.Percent: "a percentage",
    n.Regex: "a regular expression", n.Range: "a range", n.ListExpr: "a list",
    n.ObjectExpr: "an object", n.Call: "a call", n.Compare: "a comparison",
}


def describe(expr) -> str:
    if isinstance(expr, n.Ident):
        return f"`{expr.name}`"
    return _DESCRIBE.get(type(expr), "an expression")


def check_value(ctx: Ctx, expr, expected: ty.Type, constraints: ty.Constraints = ty.NO_CONSTRAINTS,
                mismatch: str = "E0301") -> None:
    """Report where the literal `expr` is not a value of `expected` or breaks its constraints.

    A value of the wrong type is `mismatch`: E0301 where a value is given (defaults,
    `given`, route arguments), E0317 where it is compared with one (`expect` lines)."""
    if isinstance(expected, ty.AnyT):
        return
    if isinstance(expected, ty.OptionalT):
        if isinstance(expr, n.Null):
            return
        expected = expected.inner
    handler = _HANDLERS.get(type(expected))
    handler(ctx, expr, expected, constraints, mismatch)


def _mismatch(ctx: Ctx, code: str, expr, expected: ty.Type, help: str | None = None) -> None:
    ctx.sink.report(code, expr.span, f"expected `{expected.show()}`, found {describe(expr)}",
                    label=f"expected `{expected.show()}`", help=help)


def _check_prim(ctx: Ctx, expr, expected: ty.Prim, constraints: ty.Constraints, code: str) -> None:
    name = expected.name
    if name == "string" and isinstance(expr, n.Str):
        _string_constraints(ctx, expr, constraints)
    elif name == "string" and _is_file_call(expr):
        check_file_call(ctx, expr)
    elif name == "int" and isinstance(expr, n.Int):
        _number_constraints(ctx, expr, constraints)
    elif name == "float" and isinstance(expr, (n.Int, n.Float)):
        _number_constraints(ctx, expr, constraints)
    elif name == "bool" and isinstance(expr, n.Bool):
        return
    elif isinstance(expr, n.Null):
        _mismatch(ctx, code, expr, expected, help=f"make the type optional (`{name}?`) to allow `null`")
    elif name == "int" and isinstance(expr, n.Float):
        _mismatch(ctx, code, expr, expected, help=f"write a whole number such as `{int(expr.value)}`")
    elif name == "string" and isinstance(expr, n.Ident):
        _mismatch(ctx, code, expr, expected, help=f'strings are quoted: `"{expr.name}"`')
    elif name == "bool" and isinstance(expr, n.Str):
        _mismatch(ctx, code, expr, expected, help="write `true` or `false`, without quotes")
    else:
        _mismatch(ctx, code, expr, expected)


def _is_file_call(expr) -> bool:
    return isinstance(expr, n.Call) and isinstance(expr.func, n.Ident) and expr.func.name == "file"


def check_file_call(ctx: Ctx, call: n.Call) -> None:
    """`file("path")`: the text of a file inside the project, relative to its root."""
    from promptlang.checks.models import check_builtin_call

    if not check_builtin_call(ctx, call):
        return
    arg = call.args[0].value
    root = ctx.program.root
    if root is None:
        return  # a single file checked alone: nothing to resolve against
    target = os.path.realpath(os.path.join(root, arg.value))
    ctx.program.files_read.setdefault(ctx.scope.module, set()).add(target)
    if not (target + os.sep).startswith(root + os.sep):
        ctx.sink.report("E0207", arg.span, f"`file(\"{arg.value}\")` points outside the project root",
                        label="outside the project", help="name a file inside the project folder")
    elif not os.path.isfile(target):
        ctx.sink.report("E0315", arg.span, f"no file `{arg.value}` in the project",
                        label="not found", help="paths are relative to the folder that holds `pops.toml`")


def _string_constraints(ctx: Ctx, expr: n.Str, c: ty.Constraints) -> None:
    size = len(expr.value)
    if c.max_len is not None and size > c.max_len:
        ctx.sink.report("E0308", expr.span, f"string is {size} characters long, longer than `@max_len({c.max_len})`",
                        label="too long")
    if c.min_len is not None and size < c.min_len:
        ctx.sink.report("E0308", expr.span, f"string is {size} characters long, shorter than `@min_len({c.min_len})`",
                        label="too short")
    if c.pattern is not None and re.search(c.pattern, expr.value) is None:
        ctx.sink.report("E0308", expr.span, f"string does not match `@pattern(\"{c.pattern}\")`",
                        label="does not match")


def _number_constraints(ctx: Ctx, expr, c: ty.Constraints) -> None:
    if c.range is not None and not c.range[0] <= expr.value <= c.range[1]:
        lo, hi = c.range
        ctx.sink.report("E0308", expr.span, f"{expr.value} is outside `@range({_num(lo)}, {_num(hi)})`",
                        label="out of range")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_list(ctx: Ctx, expr, expected: ty.ListT, constraints: ty.Constraints, code: str) -> None:
    if not isinstance(expr, n.ListExpr):
        _mismatch(ctx, code, expr, expected,
                  help="write a list: `[a, b]`" if not isinstance(expr, n.Null) else None)
        return
    for item in expr.items:
        check_value(ctx, item, expected.elem, mismatch=code)
    size = len(expr.items)
    if constraints.max_len is not None and size > constraints.max_len:
        ctx.sink.report("E0308", expr.span, f"list has {size} items, more than `@max_len({constraints.max_len})`",
                        label="too many items")
    if constraints.min_len is not None and size < constraints.min_len:
        ctx.sink.report("E0308", expr.span, f"list has {size} items, fewer than `@min_len({constraints.min_len})`",
                        label="too few items")


def _check_map(ctx: Ctx, expr, expected: ty.MapT, constraints: ty.Constraints, code: str) -> None:
    if not isinstance(expr, n.ObjectExpr):
        _mismatch(ctx, code, expr, expected, help="write an object: `{ key: value }`")
        return
    seen: dict[str, n.ObjEntry] = {}
    for entry in expr.entries:
        _no_duplicate(ctx, entry, seen)
        check_value(ctx, entry.value, expected.value, mismatch=code)


def _no_duplicate(ctx: Ctx, entry: n.ObjEntry, seen: dict) -> bool:
    if not first_time(ctx, entry.key, {k: e.key for k, e in seen.items()}):
        return False
    seen[entry.key.value] = entry
    return True


def first_time(ctx: Ctx, name: n.Name, seen: dict[str, n.Name]) -> bool:
    """False (after an E0210 pointing at both) when `name` was already given here."""
    first = seen.get(name.value)
    if first is None:
        return True
    ctx.sink.report("E0210", name.span, f"`{name.value}` is given twice",
                    label="given again here", secondary=(Label(first.span, "first given here"),),
                    help="keep one of them")
    return False


def _check_record(ctx: Ctx, expr, expected: ty.RecordT, constraints: ty.Constraints,
                  code: str) -> None:
    """An object literal: known fields with values of their types, every required field
    given. A misspelt field is one mistake, so the field it was meant to be (the one
    the help suggests) is not reported missing as well."""
    fields = ctx.program.records.get(expected.qname)
    if fields is None:
        return
    if not isinstance(expr, n.ObjectExpr):
        _mismatch(ctx, code, expr, expected,
                  help=f"write an object with the fields of `{expected.name}`: `{{ field: value }}`")
        return
    seen: dict[str, n.ObjEntry] = {}
    unknown = []
    for entry in expr.entries:
        if not _no_duplicate(ctx, entry, seen):
            continue
        field = fields.get(entry.key.value)
        if field is not None:
            check_value(ctx, entry.value, field.type, field.constraints, mismatch=code)
            continue
        unknown.append(entry.key.value)
        ctx.sink.report("E0204", entry.key.span, f"record `{expected.name}` has no field `{entry.key.value}`",
                        label=f"not a field of `{expected.name}`",
                        help=did_you_mean(entry.key.value, fields) or f"its fields are {all_of(fields)}")
    misspelt = meant(unknown, fields)
    missing = [f.name for f in fields.values()
               if f.required and f.name not in seen and f.name not in misspelt]
    if missing:
        ctx.sink.report("E0306", expr.span,
                        f"missing field{'s' if len(missing) > 1 else ''} {all_of(missing)} of `{expected.name}`",
                        label=f"`{expected.name}` needs {all_of(missing)}",
                        help="give every field that has no default and is not optional")


def _check_enum(ctx: Ctx, expr, expected: ty.EnumT, constraints: ty.Constraints, code: str) -> None:
    members = ctx.program.enums.get(expected.qname, {})
    name_node = None
    if isinstance(expr, n.Ident):
        name_node = (expr.name, expr.span)
    elif isinstance(expr, n.Attr) and _names_enum(ctx, expr.obj, expected, code):
        name_node = (expr.name.value, expr.name.span)
    if name_node is None:
        help = None
        if isinstance(expr, n.Str) and expr.value in members:
            help = f"enum members are written bare: `{expr.value}`"
        _mismatch(ctx, code, expr, expected, help=help or f"write one of {one_of(members)}")
        return
    name, span = name_node
    if name not in members:
        ctx.sink.report("E0209", span, f"enum `{expected.name}` has no member `{name}`",
                        label=f"not a member of `{expected.name}`",
                        help=did_you_mean(name, members) or f"its members are {all_of(members)}")


def _names_enum(ctx: Ctx, obj, expected: ty.EnumT, code: str) -> bool:
    parts = dotted_parts(obj)
    if parts is None:
        return False
    sym = ctx.program.lookup(ctx.scope, parts, {"enum"}, "an enum", ctx.sink)
    if sym is not None and sym.qname != expected.qname:
        ctx.sink.report(code, obj.span, f"expected a member of `{expected.name}`, found one of `{sym.name}`",
                        label=f"this is `{sym.name}`")
        return False
    return sym is not None


def dotted_parts(expr) -> tuple[n.Name, ...] | None:
    """`a.b.c` written as an expression, as name parts; None for anything else."""
    if isinstance(expr, n.Ident):
        return (n.Name(expr.span, expr.name),)
    if isinstance(expr, n.Attr):
        head = dotted_parts(expr.obj)
        return None if head is None else head + (expr.name,)
    return None


_HANDLERS = {
    ty.Prim: _check_prim, ty.ListT: _check_list, ty.MapT: _check_map,
    ty.RecordT: _check_record, ty.EnumT: _check_enum,
}
