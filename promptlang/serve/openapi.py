"""The gateway's OpenAPI 3.1 document, generated from the IR: one operation per prompt
with its input and output schemas, and the routing, feedback and operations endpoints.
OpenAPI 3.1 schemas are JSON Schema 2020-12, so the types are the ones
`emit.json_schema` gives structured output, with two changes for a request:
a field is required only when it has no default and is not optional (as the SDK reads
it), and undeclared fields are allowed (the SDK ignores them)."""

from __future__ import annotations

import typing as t

from promptlang import ir
from promptlang.emit import json_schema
from promptlang.emit.python.views import must_be_given

REF = "#/components/schemas/"
DEFS = "#/$defs/"
ERROR_STATUSES = {"400": "The body is not JSON", "413": "The body is too large",
                  "422": "The input does not fit (the error names the field) or a policy refused it",
                  "502": "The model or its provider failed", "503": "Not configured or rate limited",
                  "504": "The model did not answer in time"}


def document(program: ir.ProgramIR, prompts: t.Iterable[ir.PromptIR]) -> dict:
    """The OpenAPI document of a gateway serving `prompts` of `program`."""
    defs: dict[str, dict] = {}
    paths = {f"/prompts/{p.qname}": {"post": _operation(program, p, defs)} for p in prompts}
    paths.update(_fixed_paths())
    schemas = {**_fixed_schemas(), **{name: _for_requests(program, name, schema)
                                      for name, schema in sorted(defs.items())}}
    project = program.project
    info = {"title": f"{project.get('name') or 'prompts'} prompt gateway",
            "version": str(project.get("version") or "0.0.0")}
    if project.get("description"):
        info["description"] = project["description"]
    return {"openapi": "3.1.0", "info": info, "paths": _refs(paths),
            "components": {"schemas": _refs(schemas)}}


def _operation(program: ir.ProgramIR, prompt: ir.PromptIR, defs: dict) -> dict:
    summary = (prompt.description or prompt.doc or prompt.name).strip().split("\n")[0]
    output = _type(program, prompt.output, None, defs)
    response = {"type": "object", "required": ["output", "prompt", "version", "track", "request_id"],
                "properties": {"output": output, "prompt": {"const": prompt.qname},
                               "version": {"type": "string"},
                               "track": {"enum": ["current", "canary", "stable"]},
                               "request_id": {"type": "string"}}}
    return {
        "operationId": prompt.qname.replace(".", "_"),
        "summary": summary,
        "tags": [prompt.module],
        "parameters": [_header("X-Request-Id"), _header("X-Rollout-Key")],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _inputs(program, prompt, defs)}}},
        "responses": {"200": {"description": "The prompt's answer",
                              "headers": {"X-Prompt-Version": {"schema": {"type": "string"}},
                                          "X-Prompt-Track": {"schema": {"type": "string"}}},
                              "content": {"application/json": {"schema": response}}},
                      **_errors()},
    }


def _inputs(program: ir.ProgramIR, prompt: ir.PromptIR, defs: dict) -> dict:
    properties = {p.name: ({**_type(program, p.type, p, defs), "default": p.default}
                           if p.has_default else _type(program, p.type, p, defs))
                  for p in prompt.params}
    schema: dict = {"type": "object", "properties": properties}
    required = [p.name for p in prompt.params if must_be_given(p)]
    if required:
        schema["required"] = required
    return schema


def _type(program: ir.ProgramIR, type_: ir.TypeIR, field: ir.FieldIR | None, defs: dict) -> dict:
    records, enums = json_schema._declared(program)
    schema = json_schema._schema(type_, records, enums, defs, field)
    if field is not None and field.description:
        schema = {**schema, "description": field.description}
    return schema


def _for_requests(program: ir.ProgramIR, name: str, schema: dict) -> dict:
    """A record's schema as requests may send it (see the module's docstring)."""
    record = json_schema._declared(program)[0].get(name)
    if record is None:
        return schema
    fitted = {k: v for k, v in schema.items() if k != "additionalProperties"}
    fitted["properties"] = {name: _with_default(field_schema, record, name)
                            for name, field_schema in schema["properties"].items()}
    fitted["required"] = [f.name for f in record.fields if must_be_given(f)]
    if not fitted["required"]:
        del fitted["required"]
    return fitted


def _with_default(schema: dict, record: ir.RecordIR, name: str) -> dict:
    field = next(f for f in record.fields if f.name == name)
    return {**schema, "default": field.default} if field.has_default else schema


def _refs(value: t.Any) -> t.Any:
    """`#/$defs/X` references pointed at `#/components/schemas/X`."""
    if isinstance(value, dict):
        return {k: (REF + v[len(DEFS):] if k == "$ref" and str(v).startswith(DEFS) else _refs(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_refs(v) for v in value]
    return value


HEADERS = {
    "X-Request-Id": "The request's id, echoed and logged; one of letters, digits and `._:-` "
                    "up to 128 characters, else the gateway makes one",
    "X-Rollout-Key": "A user or session id: the same key always gets the same side of a canary",
}


def _header(name: str) -> dict:
    return {"name": name, "in": "header", "required": False, "description": HEADERS[name],
            "schema": {"type": "string"}}


def _errors() -> dict:
    return {status: {"description": text, "content": {"application/json": {
        "schema": {"$ref": REF + "Error"}}}} for status, text in ERROR_STATUSES.items()}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _fixed_paths() -> dict:
    text = {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}
    status = {"$ref": REF + "Status"}
    return {
        "/route": {"post": {
            "operationId": "route", "summary": "Route free text through the intents",
            "tags": ["gateway"], "parameters": [_header("X-Request-Id"), _header("X-Rollout-Key")],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": REF + "RouteRequest"}}}},
            "responses": {"200": _json({"$ref": REF + "RouteResult"}, "Where the text went"),
                          **_errors()}}},
        "/feedback": {"post": {
            "operationId": "feedback", "summary": "Rate an answer by its request id",
            "tags": ["gateway"],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": REF + "Feedback"}}}},
            "responses": {"202": _json({"$ref": REF + "FeedbackAccepted"}, "Counted"),
                          **_errors()}}},
        "/healthz": {"get": {"operationId": "healthz", "summary": "The process is alive",
                             "tags": ["operations"], "responses": {"200": _json(status, "Alive")}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "Ready to serve calls",
                            "tags": ["operations"],
                            "responses": {"200": _json(status, "Ready"),
                                          "503": _json(status, "Not ready, and why")}}},
        "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics",
                             "tags": ["operations"], "responses": {"200": text}}},
    }


def _fixed_schemas() -> dict:
    nullable_string = {"type": ["string", "null"]}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message", "request_id"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                           "field": {"type": "string"}, "request_id": {"type": "string"}}}}},
        "Status": {"type": "object", "required": ["status"], "properties": {
            "status": {"enum": ["ok", "not ready"]},
            "missing_secrets": {"type": "array", "items": {"type": "string"}}}},
        "RouteRequest": {"type": "object", "required": ["text"], "properties": {
            "text": {"type": "string", "maxLength": 10000, "pattern": "\\S"}}},
        "RouteResult": {"type": "object", "required": ["intent", "request_id"], "properties": {
            "intent": nullable_string, "name": nullable_string,
            "confidence": {"type": "number"}, "matcher": {"type": "string"},
            "slots": {"type": "object"}, "missing": {"type": "array", "items": {"type": "string"}},
            "prompt": nullable_string, "version": nullable_string, "track": nullable_string,
            "output": {}, "request_id": {"type": "string"}}},
        "Feedback": {"type": "object", "required": ["request_id", "rating"], "properties": {
            "request_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
            "rating": {"enum": ["good", "bad"]},
            "comment": {"type": ["string", "null"], "maxLength": 2000}}},
        "FeedbackAccepted": {"type": "object", "required": ["accepted"], "properties": {
            "accepted": {"const": True}, "prompt": {"type": "string"},
            "version": {"type": "string"}}},
    }
