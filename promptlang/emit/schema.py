"""The JSON Schema of `bundle.json`, derived from the IR classes themselves, so the two
cannot drift apart."""

from __future__ import annotations

import typing as t

import attrs

from promptlang import ir


def bundle_schema() -> dict:
    defs: dict[str, dict] = {}
    _define(ir.ProgramIR, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://promptlang.dev/schemas/bundle-1.json",
        "title": "popsc bundle",
        "type": "object",
        "required": ["program", "generator"],
        "properties": {
            "$schema": {"type": "string"},
            "generator": {"type": "string"},
            "program": {"$ref": "#/$defs/ProgramIR"},
        },
        "$defs": dict(sorted(defs.items())),
    }


def _define(cls, defs: dict) -> dict:
    if cls.__name__ not in defs:
        defs[cls.__name__] = {}
        hints = t.get_type_hints(cls)
        fields = attrs.fields(cls)
        defs[cls.__name__] = {
            "type": "object",
            "additionalProperties": False,
            "required": [f.name for f in fields],
            "properties": {f.name: _schema(hints[f.name], defs) for f in fields},
        }
        if cls is ir.ProgramIR:
            defs[cls.__name__]["properties"]["format"] = {"const": ir.FORMAT}
    return {"$ref": f"#/$defs/{cls.__name__}"}


def _schema(hint, defs: dict) -> dict:
    origin = t.get_origin(hint)
    args = t.get_args(hint)
    if attrs.has(hint):
        return _define(hint, defs)
    if hint is t.Any:
        return {}
    if origin in (t.Union, getattr(__import__("types"), "UnionType", t.Union)):
        options = [_schema(a, defs) for a in args]
        return {"anyOf": options}
    if origin is tuple:
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _schema(args[1], defs)}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}, type(None): {"type": "null"}}[hint]
