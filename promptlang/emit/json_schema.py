"""JSON Schemas of declared types, for structured output: what the model is asked to
produce and what the runtime validates its answer against.

The shape follows what providers accept for strict structured output (OpenAI's
`response_format` with `strict: true`, Anthropic tool input schemas): every property
listed in `required`, optional ones as `anyOf [T, null]`, no additional properties."""

from __future__ import annotations

import json

from promptlang import ir


def type_schema(program: ir.ProgramIR, type_: ir.TypeIR) -> dict:
    """A self-contained schema (records and enums it reaches under `$defs`)."""
    records, enums = _declared(program)
    defs: dict[str, dict] = {}
    root = _schema(type_, records, enums, defs, None)
    if type_.kind == "record":
        root = dict(defs[type_.name])  # providers want an object at the root, not a $ref
        if not _refers_to(defs, type_.name):
            del defs[type_.name]
    if defs:
        root = {**root, "$defs": dict(sorted(defs.items()))}
    return root


_LAST: list = [None, None]  # the program last asked about, and its declarations


def _declared(program: ir.ProgramIR) -> tuple[dict[str, ir.RecordIR], dict[str, ir.EnumIR]]:
    """Records and enums by qualified name, once per program (emitters ask per prompt;
    the IR holds dicts, so it cannot be a cache key)."""
    if _LAST[0] is not program:
        _LAST[:] = [program, ({r.qname: r for r in program.records},
                              {e.qname: e for e in program.enums})]
    return _LAST[1]


def output_schema(program: ir.ProgramIR, type_: ir.TypeIR) -> dict:
    """The schema a prompt asks its model for: the record's own, or for any other
    output an object wrapping it as `value` (providers want an object at the root;
    the SDK unwraps the answer)."""
    if type_.kind == "record":
        return type_schema(program, type_)
    inner = type_schema(program, type_)
    defs = inner.pop("$defs", None)
    schema: dict = {"type": "object", "properties": {"value": inner}, "required": ["value"],
                    "additionalProperties": False}
    if defs:
        schema["$defs"] = defs
    return schema


def _refers_to(defs: dict, qname: str) -> bool:
    return f'"#/$defs/{qname}"' in json.dumps(defs)


def _schema(type_: ir.TypeIR, records, enums, defs, field: ir.FieldIR | None) -> dict:
    kind = type_.kind
    if kind == "optional":
        return {"anyOf": [_schema(type_.of, records, enums, defs, field), {"type": "null"}]}
    if kind == "record":
        return _ref(records[type_.name], records, enums, defs)
    if kind == "enum":
        enum = enums[type_.name]
        defs.setdefault(enum.qname, {"type": "string", "enum": list(enum.members)})
        return {"$ref": f"#/$defs/{enum.qname}"}
    if kind == "list":
        schema = {"type": "array", "items": _schema(type_.of, records, enums, defs, None)}
        return _sized(schema, field, "Items")
    if kind == "map":
        return {"type": "object", "additionalProperties": _schema(type_.of, records, enums, defs, None)}
    schema = {"string": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
              "bool": {"type": "boolean"}}.get(kind, {})
    if kind == "string":
        schema = _sized(dict(schema), field, "Length")
        if field is not None and field.pattern:
            schema["pattern"] = field.pattern
    if kind in ("int", "float") and field is not None:
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    return schema


def _sized(schema: dict, field: ir.FieldIR | None, suffix: str) -> dict:
    if field is not None and field.min_len is not None:
        schema[f"min{suffix}"] = field.min_len
    if field is not None and field.max_len is not None:
        schema[f"max{suffix}"] = field.max_len
    return schema


def _ref(record: ir.RecordIR, records, enums, defs) -> dict:
    if record.qname not in defs:
        defs[record.qname] = {}  # placeholder: records may refer to themselves
        properties = {}
        for field in record.fields:
            schema = _schema(field.type, records, enums, defs, field)
            if field.description:
                schema = {**schema, "description": field.description}
            properties[field.name] = schema
        defs[record.qname] = {
            "type": "object",
            "properties": properties,
            "required": [f.name for f in record.fields],
            "additionalProperties": False,
        }
        if record.doc:
            defs[record.qname]["description"] = record.doc
    return {"$ref": f"#/$defs/{record.qname}"}
