"""Annotations (`@pii`, `@max_len(n)`, ...): their arguments and the types they fit."""

from __future__ import annotations

import re

from promptlang import types as ty
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.syntax import nodes as n

# name -> (argument kinds, the value types it applies to, or None for any)
ANNOTATIONS = {
    "pii": ((), None),
    "secret": ((), None),
    "min_len": (("int",), "sized"),
    "max_len": (("int",), "sized"),
    "pattern": (("string",), "string"),
    "range": (("number", "number"), "number"),
    "description": (("string",), None),
}
_FITS = {
    "sized": ("a `string` or a `list`", lambda t: t == ty.STRING or isinstance(t, ty.ListT)),
    "string": ("a `string`", lambda t: t == ty.STRING),
    "number": ("an `int` or a `float`", ty.is_numeric),
}


def constraints_of(annotations, base: ty.Type, sink: Sink) -> ty.Constraints:
    """The constraints a list of annotations puts on a value of type `base`."""
    values: dict = {}
    seen: dict[str, n.Annotation] = {}
    for ann in annotations:
        name = ann.name.value
        if name not in ANNOTATIONS:
            sink.report("E0303", ann.name.span, f"unknown annotation `@{name}`",
                        label="not an annotation popsc knows",
                        help=did_you_mean(name, ANNOTATIONS)
                        or "annotations are " + ", ".join(f"@{a}" for a in ANNOTATIONS))
            continue
        if name in seen:
            sink.report("E0303", ann.span, f"`@{name}` is given twice", label="repeated here")
            continue
        seen[name] = ann
        args = _arguments(ann, sink)
        if args is None or not _fits(ann, base, sink):
            continue
        _store(name, args, ann, values, sink)
    return ty.Constraints(**values)


def _arguments(ann: n.Annotation, sink: Sink) -> list | None:
    name = ann.name.value
    kinds = ANNOTATIONS[name][0]
    if len(ann.args) != len(kinds):
        shape = f"@{name}" if not kinds else f"@{name}({', '.join(kinds)})"
        sink.report("E0303", ann.span,
                    f"`@{name}` takes {len(kinds) or 'no'} argument{'s' if len(kinds) != 1 else ''}",
                    label=f"found {len(ann.args)}", help=f"write `{shape}`")
        return None
    values = []
    for kind, arg in zip(kinds, ann.args):
        value = _literal(kind, arg)
        if value is None:
            sink.report("E0303", arg.span, f"`@{name}` expects {_describe(kind)} here",
                        label="not " + _describe(kind))
            return None
        values.append(value)
    return values


def _describe(kind: str) -> str:
    return {"int": "a whole number", "string": "a string", "number": "a number"}[kind]


def _literal(kind: str, arg):
    if kind == "int" and isinstance(arg, n.Int):
        return arg.value
    if kind == "number" and isinstance(arg, (n.Int, n.Float)):
        return arg.value
    if kind == "string" and isinstance(arg, n.Str):
        return arg.value
    return None


def _fits(ann: n.Annotation, base: ty.Type, sink: Sink) -> bool:
    fit = ANNOTATIONS[ann.name.value][1]
    if fit is None:
        return True
    inner = ty.strip_optional(base)
    if isinstance(inner, ty.AnyT):
        return False
    text, test = _FITS[fit]
    if test(inner):
        return True
    sink.report("E0303", ann.span, f"`@{ann.name.value}` does not apply to `{base.show()}`",
                label=f"applies only to {text}")
    return False


def _store(name: str, args: list, ann: n.Annotation, values: dict, sink: Sink) -> None:
    if name in ("pii", "secret"):
        values[name] = True
    elif name in ("min_len", "max_len"):
        if args[0] < 0:
            sink.report("E0307", ann.args[0].span, f"`@{name}` must not be negative",
                        label="a length is 0 or more")
            return
        values[name] = args[0]
    elif name == "pattern":
        if check_regex(args[0], "", ann.args[0].span, sink):
            values["pattern"] = args[0]
    elif name == "range":
        lo, hi = args
        if lo > hi:
            sink.report("E0307", ann.span, f"empty range: {lo} is greater than {hi}",
                        label="lower bound first", help=f"write `@range({hi}, {lo})`")
            return
        values["range"] = (lo, hi)
    else:
        values["description"] = args[0]


_FLAG_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0}


def regex_flags(flags: str) -> int | None:
    bits = 0
    for flag in flags:
        if flag not in _FLAG_BITS:
            return None
        bits |= _FLAG_BITS[flag]
    return bits


def check_regex(pattern: str, flags: str, span, sink: Sink) -> bool:
    """Whether a pattern compiles (Python `re`, which the runtime uses)."""
    bits = regex_flags(flags)
    if bits is None:
        sink.report("E0309", span, f"unknown regular expression flag in `{flags}`",
                    label="flags are i, m, s, x and u", help="use `i` (ignore case), `m`, `s`, `x` or `u`")
        return False
    try:
        re.compile(pattern, bits)
    except re.error as error:
        sink.report("E0309", span, f"invalid regular expression: {error.msg}",
                    label=f"at position {error.pos}" if error.pos is not None else "here")
        return False
    return True
