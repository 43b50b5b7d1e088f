"""The filters of the template subset: what each takes, what it gives, and whether
the taint of its input flows through (`upper` keeps it, `length` and `redact` drop it)."""

from __future__ import annotations

from promptlang import types as ty
from promptlang.checks.template_values import Val
from promptlang.checks.template_values import a
from promptlang.checks.template_values import deep_kinds
from promptlang.checks.template_values import scalar

Arg = tuple  # (jinja node, Val)


def _takes(chk, node, args: list[Arg], count: int, shape: str, optional: bool = False) -> bool:
    """Whether the filter got `count` arguments (or none, if they are optional)."""
    if len(args) == count or (optional and not args):
        return True
    plural = "argument" if count == 1 else "arguments"
    needs = f"{'at most ' if optional else ''}{count} {plural}" if count else "no arguments"
    chk.report("E0315", chk.name_at(node.lineno), f"`{node.name}` takes {needs}, found {len(args)}",
               label="wrong number of arguments", help=f"write `{shape}`")
    return False


def _wrong_input(chk, node, wanted: str, val: Val, help: str | None = None) -> Val:
    """The filter's input has the wrong type: reported at the filter's name."""
    found = val.type
    if help is None and isinstance(found, ty.OptionalT):
        help = 'give it a value first: `| default("")`'
    elif help is None and isinstance(found, ty.ListT) and wanted == "`string`":
        help = 'loop over it with `{% for %}`, or join it first: `| join(", ")`'
    chk.report("E0315", chk.name_at(node.lineno),
               f"`{node.name}` takes {wanted}, found `{found.show()}`",
               label=f"{a(found)} here", help=help)
    return Val(ty.ANY)


def _stringish(type_) -> bool:
    return type_ in (ty.STRING, ty.ANY) or isinstance(type_, ty.EnumT)


def text_filter(chk, node, val: Val, args: list[Arg]) -> Val:
    """`upper`, `lower`, `title`, `trim`: a string (or an enum's name) to a string."""
    _takes(chk, node, args, 0, f"| {node.name}")
    if not _stringish(val.type):
        return _wrong_input(chk, node, "a `string`", val)
    return val.retyped(ty.STRING)


def truncate(chk, node, val: Val, args: list[Arg]) -> Val:
    """`| truncate(n)`: a shorter string, still the same (possibly protected) text."""
    if _takes(chk, node, args, 1, "| truncate(200)"):
        _arg_type(chk, node, args[0], ty.INT, "the length")
    if not _stringish(val.type):
        return _wrong_input(chk, node, "a `string`", val)
    return val.retyped(ty.STRING)


def join(chk, node, val: Val, args: list[Arg]) -> Val:
    """A list of scalars to one string, carrying what the items carry."""
    if _takes(chk, node, args, 1, '| join(", ")', optional=True) and args:
        _arg_type(chk, node, args[0], ty.STRING, "the separator")
    if isinstance(val.type, ty.AnyT):
        return val.retyped(ty.STRING)
    if isinstance(val.type, ty.OptionalT):
        return _wrong_input(chk, node, "a `list`", val, help="check it first: `{% if ... %}`")
    if not isinstance(val.type, ty.ListT):
        return _wrong_input(chk, node, "a `list`", val)
    if not scalar(val.type.elem):
        return _wrong_input(chk, node, "a list of strings, numbers or enums", val,
                            help="loop over it with `{% for %}` and interpolate the fields")
    return Val(ty.STRING, val.taint | deep_kinds(chk.ctx.program, val.type), val.what,
               val.origins, val.pending)


def default(chk, node, val: Val, args: list[Arg]) -> Val:
    """`x | default(v)`: a `T?` to a `T`; `v` must be a `T`."""
    inner = ty.strip_optional(val.type)
    if not _takes(chk, node, args, 1, '| default("")'):
        return val.retyped(inner)
    _arg_type(chk, node, args[0], inner, "the value")
    return val.retyped(inner).joined(args[0][1])


def length(chk, node, val: Val, args: list[Arg]) -> Val:
    """The length of a string, list or map: a number that tells nothing protected."""
    _takes(chk, node, args, 0, "| length")
    type_ = val.type
    if not (type_ in (ty.STRING, ty.ANY) or isinstance(type_, (ty.ListT, ty.MapT))):
        _wrong_input(chk, node, "a `string`, `list` or `map`", val)
    return Val(ty.INT)


def json(chk, node, val: Val, args: list[Arg]) -> Val:
    """Any value as JSON text, carrying every annotation found inside it."""
    _takes(chk, node, args, 0, "| json")
    taint = val.taint | deep_kinds(chk.ctx.program, val.type)
    return Val(ty.STRING, taint, val.what, val.origins, val.pending)


def redact(chk, node, val: Val, args: list[Arg]) -> Val:
    """Any value replaced by a placeholder: nothing protected reaches the text."""
    _takes(chk, node, args, 0, "| redact")
    return Val(ty.STRING)


def _arg_type(chk, node, arg: Arg, wanted, role: str) -> None:
    """An argument of a filter has the wrong type: reported at the argument."""
    arg_node, val = arg
    if not ty.assignable(val.type, wanted):
        chk.report("E0315", chk.extent(arg_node),
                   f"{role} of `{node.name}` must be {a(wanted)}, found `{val.type.show()}`",
                   label=f"expected `{wanted.show()}`")


FILTERS = {
    "upper": text_filter, "lower": text_filter, "title": text_filter, "trim": text_filter,
    "truncate": truncate, "join": join, "default": default, "length": length,
    "json": json, "redact": redact,
}
