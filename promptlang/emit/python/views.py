"""Flat view models of the IR for the SDK's templates: every Python type, expression and
name is computed here, so `module.py.j2` only loops and interpolates.

Names go through a `ModuleScope`, which writes the imports a module needs as its code
asks for names of other modules."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from promptlang import ir
from promptlang.emit.python.layout import ModuleScope
from promptlang.emit.python.layout import field_name
from promptlang.emit.python.layout import identifier
from promptlang.emit.python.layout import reader_name
from promptlang.emit.python.literals import py_literal

_PRIMS = {"string": "str", "int": "int", "float": "float", "bool": "bool", "any": "object"}
_CONVERTERS = {"string": "_rt.string", "int": "_rt.integer", "float": "_rt.number",
               "bool": "_rt.boolean", "any": "_rt.anything"}


@attrs.frozen
class FieldView:
    """One attrs field: its Python name, annotation and `attrs.field(...)` or default."""

    name: str
    annotation: str
    spec: str | None


@attrs.frozen
class RecordView:
    """A record class, with what its `from_data` reads: (Python name, expression)."""

    name: str
    doc: str
    reader: str  # `from_data`, unless a field is called that
    fields: tuple[FieldView, ...]
    required: tuple[str, ...]
    converted: tuple[tuple[str, str], ...]


@attrs.frozen
class EnumView:
    name: str
    doc: str
    members: tuple[tuple[str, str], ...]  # (python name, value)


class Typing:
    """Python annotations, converters and values of IR types, as one module names them."""

    def __init__(self, scope: ModuleScope, records: Mapping[str, ir.RecordIR]):
        self.scope, self.records = scope, records

    def annotation(self, type_: ir.TypeIR) -> str:
        kind = type_.kind
        if kind in _PRIMS:
            return _PRIMS[kind]
        if kind == "list":
            return f"list[{self.annotation(_of(type_))}]"
        if kind == "map":
            return f"dict[str, {self.annotation(_of(type_))}]"
        if kind == "optional":
            return f"{self.annotation(_of(type_))} | None"
        return self.scope.ref(_name(type_))

    def converter(self, type_: ir.TypeIR) -> str:
        """An expression for the `Converter` of a type (see `promptlang.runtime.convert`)."""
        kind = type_.kind
        if kind in _CONVERTERS:
            return _CONVERTERS[kind]
        wrappers = {"list": "_rt.list_of", "map": "_rt.map_of", "optional": "_rt.optional"}
        if kind in wrappers:
            return f"{wrappers[kind]}({self.converter(_of(type_))})"
        if kind == "enum":
            return f"_rt.member({self.scope.ref(_name(type_))})"
        return f"{self.scope.ref(_name(type_))}.{reader_name(self.records[_name(type_)])}"

    def value(self, value: object, type_: ir.TypeIR) -> str:
        """A JSON value of the IR as Python source of the given type."""
        kind = type_.kind
        if value is None:
            return "None"
        if kind == "optional":
            return self.value(value, _of(type_))
        if kind == "enum":
            return f"{self.scope.ref(_name(type_))}.{identifier(str(value))}"
        if kind == "list" and isinstance(value, list):
            return "[" + ", ".join(self.value(v, _of(type_)) for v in value) + "]"
        if kind == "map" and isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(v, _of(type_))}" for k, v in value.items()) + "}"
        if kind == "record" and isinstance(value, dict):
            record = self.records[_name(type_)]
            types = {f.name: f.type for f in record.fields}
            args = ", ".join(f"{field_name(k)}={self.value(v, types[k])}" for k, v in value.items())
            return f"{self.scope.ref(record.qname)}({args})"
        if kind == "float" and isinstance(value, (int, float)):
            return repr(float(value))
        return py_literal(value)

    def default(self, field: ir.FieldIR) -> str | None:
        """The source of a field's or parameter's default; None when it has none (an
        optional without one defaults to None)."""
        if not field.has_default:
            return "None" if field.type.kind == "optional" else None
        return self.value(field.default, field.type)


def _of(type_: ir.TypeIR) -> ir.TypeIR:
    assert type_.of is not None, type_
    return type_.of


def _name(type_: ir.TypeIR) -> str:
    assert type_.name is not None, type_
    return type_.name


def enum_view(enum: ir.EnumIR, scope: ModuleScope) -> EnumView:
    return EnumView(scope.ref(enum.qname), enum.doc or f"The `{enum.name}` enum.",
                    tuple((identifier(m), m) for m in enum.members))


def record_view(record: ir.RecordIR, typing: Typing) -> RecordView:
    return RecordView(
        name=typing.scope.ref(record.qname),
        doc=record.doc or f"The `{record.name}` record.",
        reader=reader_name(record),
        fields=tuple(_field_view(f, typing) for f in record.fields),
        required=tuple(f.name for f in record.fields if must_be_given(f)),
        converted=tuple((field_name(f.name), converted(f, typing)) for f in record.fields),
    )


def must_be_given(field: ir.FieldIR) -> bool:
    return not field.has_default and field.type.kind != "optional"


def converted(field: ir.FieldIR, typing: Typing, *, check: bool = False) -> str:
    """How `from_data` (or a prompt's `arguments`) reads one field from the JSON object
    `fields`, naming it after `where` in errors; `check` adds the field's annotations
    (for parameters: a record's fields are checked by their class)."""
    key = py_literal(field.name)
    where = f'f"{{where}}.{field.name}"'
    convert = typing.converter(field.type)
    rules = constraint_args(field) if check else ""
    if rules:
        convert = f"_rt.within({convert}, {rules})"
    if must_be_given(field):
        return f"{convert}(fields[{key}], {where})"
    if not field.has_default:
        return f"{convert}(fields.get({key}), {where})"
    default = typing.default(field)
    value = f"{convert}(fields[{key}], {where})"
    one = f"{value} if {key} in fields else {default}"
    if len(one) <= 72:
        return one
    # Wrapped as a formatter would, for an item at 12 spaces (a keyword argument or a
    # dict entry in the generated methods).
    return f"(\n                {value}\n                if {key} in fields else {default}\n            )"


def _field_view(field: ir.FieldIR, typing: Typing) -> FieldView:
    annotation = typing.annotation(field.type)
    args = []
    default = typing.default(field)
    mutable = field.has_default and isinstance(field.default, (list, dict))
    if default is not None:
        factory = {"[]": "list", "{}": "dict"}.get(default, f"lambda: {default}")
        args.append(f"factory={factory}" if mutable else f"default={default}")
    rules = constraint_args(field)
    if rules:
        args.append(f"validator=_rt.constraints({rules})")
    if field_name(field.name) != field.name:
        args.append(f"metadata={{'name': {field.name!r}}}")
    name = field_name(field.name)
    if not args:
        return FieldView(name, annotation, None)
    if args == [f"default={default}"]:
        return FieldView(name, annotation, default)
    return FieldView(name, annotation, "attrs.field(" + ", ".join(args) + ")")


def constraint_args(field: ir.FieldIR) -> str:
    """The keyword arguments of `_rt.constraints(...)` for a field's annotations."""
    found = []
    for key in ("min_len", "max_len", "pattern", "minimum", "maximum"):
        value = getattr(field, key)
        if value is not None:
            found.append(f"{key}={py_literal(value)}")
    return ", ".join(found)
