"""Flat view models of the IR for the Python SDK templates: every Python type and
expression is computed here, so templates only loop and interpolate."""

from __future__ import annotations

import keyword
import re

import attrs

from promptlang import ir

_PRIMS = {"string": "str", "int": "int", "float": "float", "bool": "bool", "any": "object"}


@attrs.frozen
class FieldView:
    """One attrs field: its Python name, annotation and `attrs.field(...)` arguments."""

    name: str
    annotation: str
    spec: str | None  # `attrs.field(...)` or a plain default, None for none


@attrs.frozen
class RecordView:
    name: str
    doc: str
    fields: tuple[FieldView, ...]


@attrs.frozen
class EnumView:
    name: str
    doc: str
    members: tuple[tuple[str, str], ...]  # (python name, value)


class Names:
    """Python names for records and enums: the short name unless two modules declare
    the same one, then prefixed with the module (`support_types_Ticket`)."""

    def __init__(self, program: ir.ProgramIR):
        counts: dict[str, int] = {}
        for decl in (*program.records, *program.enums):
            counts[decl.name] = counts.get(decl.name, 0) + 1
        self.by_qname = {
            d.qname: d.name if counts[d.name] == 1 else identifier(d.qname.replace(".", "_"))
            for d in (*program.records, *program.enums)
        }

    def annotation(self, type_: ir.TypeIR) -> str:
        kind = type_.kind
        if kind in _PRIMS:
            return _PRIMS[kind]
        if kind == "list":
            return f"list[{self.annotation(type_.of)}]"
        if kind == "map":
            return f"dict[str, {self.annotation(type_.of)}]"
        if kind == "optional":
            return f"{self.annotation(type_.of)} | None"
        return self.by_qname[type_.name]


def identifier(name: str) -> str:
    """A valid Python identifier for a .pops name (keywords get a trailing underscore)."""
    cleaned = re.sub(r"\W", "_", name)
    return cleaned + "_" if keyword.iskeyword(cleaned) else cleaned


def record_view(record: ir.RecordIR, names: Names, enums: dict[str, ir.EnumIR]) -> RecordView:
    fields = tuple(_field_view(f, names, enums) for f in record.fields)
    return RecordView(names.by_qname[record.qname], record.doc or f"The `{record.name}` record.", fields)


def enum_view(enum: ir.EnumIR, names: Names) -> EnumView:
    return EnumView(names.by_qname[enum.qname], enum.doc or f"The `{enum.name}` enum.",
                    tuple((identifier(m), m) for m in enum.members))


def _field_view(field: ir.FieldIR, names: Names, enums: dict[str, ir.EnumIR]) -> FieldView:
    annotation = names.annotation(field.type)
    validators = _validators(field)
    default = _default(field, names, enums)
    args = []
    if default is not None:
        args.append(default)
    if validators:
        inner = validators[0] if len(validators) == 1 else "[" + ", ".join(validators) + "]"
        if field.type.kind == "optional":
            inner = f"_v.optional({inner})"
        args.append(f"validator={inner}")
    if not args:
        return FieldView(identifier(field.name), annotation, None)
    if len(args) == 1 and default is not None and not default.startswith("factory="):
        return FieldView(identifier(field.name), annotation, default.removeprefix("default="))
    return FieldView(identifier(field.name), annotation, "attrs.field(" + ", ".join(args) + ")")


def _validators(field: ir.FieldIR) -> list[str]:
    found = []
    if field.min_len is not None:
        found.append(f"_v.min_len({field.min_len})")
    if field.max_len is not None:
        found.append(f"_v.max_len({field.max_len})")
    if field.pattern is not None:
        found.append(f"_v.matches_re({field.pattern!r})")
    if field.minimum is not None:
        found.append(f"_v.ge({field.minimum!r})")
    if field.maximum is not None:
        found.append(f"_v.le({field.maximum!r})")
    return found


def _default(field: ir.FieldIR, names: Names, enums) -> str | None:
    if not field.has_default:
        return "default=None" if field.type.kind == "optional" else None
    value = python_value(field.default, field.type, names, enums)
    if isinstance(field.default, (list, dict)):
        return f"factory=lambda: {value}" if field.default else f"factory={'list' if isinstance(field.default, list) else 'dict'}"
    return f"default={value}"


def python_value(value, type_: ir.TypeIR, names: Names, enums) -> str:
    """A JSON value of the IR as Python source of the given type."""
    kind = type_.kind
    if value is None:
        return "None"
    if kind == "optional":
        return python_value(value, type_.of, names, enums)
    if kind == "enum":
        return f"{names.by_qname[type_.name]}.{identifier(value)}"
    if kind == "list":
        return "[" + ", ".join(python_value(v, type_.of, names, enums) for v in value) + "]"
    if kind == "map":
        return "{" + ", ".join(f"{k!r}: {python_value(v, type_.of, names, enums)}" for k, v in value.items()) + "}"
    if kind == "record":
        return f"{names.by_qname[type_.name]}(" + ", ".join(f"{identifier(k)}={v!r}" for k, v in value.items()) + ")"
    if kind == "float":
        return repr(float(value))
    return repr(value)
