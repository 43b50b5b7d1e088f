"""Templates and prompts as Python: each template and each message body compiled to a
function (`emit.template_compiler`), and one class per prompt whose `render`,
`__call__` and `acall` take the prompt's parameters as typed keyword arguments."""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from promptlang import ir
from promptlang.emit import json_schema
from promptlang.emit.python.layout import ModuleScope
from promptlang.emit.python.layout import identifier
from promptlang.emit.python.literals import py_literal
from promptlang.emit.python.literals import wrapped
from promptlang.emit.python.views import Typing
from promptlang.emit.python.views import converted
from promptlang.emit.python.views import must_be_given
from promptlang.emit.template_compiler import Types
from promptlang.emit.template_compiler import compile_template

# Keyword arguments of `__call__` and `acall` besides the prompt's own parameters.
OPTIONS = (("model", "_rt.ModelConfig | None"), ("on_metrics", "_rt.Observer | None"),
           ("providers", "_rt.Providers | None"))


@attrs.frozen
class Param:
    """A parameter: Python name, `.pops` name, annotation, default's source or None."""

    name: str
    pops_name: str
    annotation: str
    default: str | None


@attrs.frozen
class PromptView:
    name: str  # the module-level object
    cls: str
    doc: str
    me: str  # what the methods call `self` (a parameter may be named self)
    info: str
    model: str
    json_schema: str
    policies: str
    params: tuple[Param, ...]
    options: tuple[tuple[str, str], ...]  # (python name, option) for model, on_metrics, ...
    render_def: str
    call_def: str
    acall_def: str
    render_call: str  # `self.render(ticket=ticket, ...)` as `__call__` writes it
    required: tuple[str, ...]  # `.pops` names of the parameters `arguments` needs
    converted: tuple[tuple[str, str], ...]  # (python name, how `arguments` reads it)
    inputs: str  # the inputs as a dict literal keyed by `.pops` names
    messages: tuple[tuple[str, str], ...]  # (role, function)
    output: str  # annotation
    output_name: str  # how docstrings name the output
    parse: str  # the expression `parse` returns, of `text`
    functions: tuple[str, ...]  # the message functions' sources


class Compiler:
    """Compiles the templates and prompts of one module."""

    def __init__(self, program: ir.ProgramIR, scope: ModuleScope, typing: Typing,
                 record_fields: Mapping[str, Mapping[str, ir.TypeIR]]):
        self.program, self.scope, self.typing = program, scope, typing
        self.record_fields = record_fields
        self.enums = _EnumNames(scope)

    def types(self, params: tuple[ir.FieldIR, ...]) -> Types:
        return Types(params={p.name: p.type for p in params}, records=self.record_fields,
                     enums=self.enums)

    def calls(self, calls: Mapping[str, str], params: tuple[ir.FieldIR, ...]) -> dict[str, str]:
        avoid = {identifier(p.name) for p in params}
        return {written: self.scope.ref(qname, avoid) for written, qname in calls.items()}

    def template(self, template: ir.TemplateIR) -> str:
        params = [(p.name, self.typing.annotation(p.type), *_given(self.typing.default(p)))
                  for p in template.params]
        return compile_template(self.scope.ref(template.qname), template.body, params,
                                self.calls(template.calls, template.params),
                                self.types(template.params), doc=template.doc)

    def prompt(self, prompt: ir.PromptIR) -> PromptView:
        name = self.scope.ref(prompt.qname)
        params = tuple(Param(identifier(p.name), p.name, self.typing.annotation(p.type),
                             self.typing.default(p)) for p in prompt.params)
        taken = {p.name for p in params}
        functions, messages = [], []
        roles: dict[str, int] = {}
        for message in prompt.messages:
            roles[message.role] = roles.get(message.role, 0) + 1
            suffix = f"_{roles[message.role]}" if roles[message.role] > 1 else ""
            function = self.scope.layout.claim(prompt.module, f"_{name}_{message.role}{suffix}")
            used = _used_params(prompt.params, message.body)
            functions.append(compile_template(
                function, message.body, [(p.name, self.typing.annotation(p.type)) for p in used],
                self.calls(message.calls, prompt.params), self.types(prompt.params)))
            messages.append((message.role, f"{function}({', '.join(identifier(p.name) for p in used)})"))
        output, output_name, parse, schema = self.output(prompt.output)
        me = "self" if "self" not in taken else "this"
        options = tuple((_free(option, taken), option) for option, _ in OPTIONS)
        declared = [f"{p.name}: {p.annotation}" + (f" = {p.default}" if p.default else "")
                    for p in params]
        extra = [f"{py}: {annotation} = None" for (py, _), (_, annotation) in zip(options, OPTIONS)]
        return PromptView(
            name=name, cls=self.scope.layout.class_of[prompt.qname],
            doc=_prompt_doc(prompt), me=me,
            info=self.info(prompt), model=self.scope.ref(prompt.model or ""),
            json_schema=py_literal(schema, 4),
            policies=wrapped("(", [self.scope.ref(q) for q in prompt.policies
                                   if q in self.scope.layout.name_of], ")", 4, 40),
            params=params,
            options=options,
            render_def=method("def render", me, declared, "list[_rt.Message]"),
            call_def=method("def __call__", me, declared + extra, output),
            acall_def=method("async def acall", me, declared + extra, output),
            render_call=_render_call(me, [f"{p.name}={p.name}" for p in params]),
            required=tuple(p.name for p in prompt.params if must_be_given(p)),
            converted=tuple((identifier(p.name), converted(p, self.typing, check=True))
                            for p in prompt.params),
            inputs=wrapped("{", [f"{py_literal(p.pops_name)}: {p.name}" for p in params], "}", 12, 50),
            messages=tuple(messages), output=output, output_name=output_name, parse=parse,
            functions=tuple(functions),
        )

    def output(self, type_: ir.TypeIR) -> tuple[str, str, str, object]:
        """The output's annotation, its name in docstrings, the expression `parse`
        returns, and its JSON Schema (None for text)."""
        annotation = self.typing.annotation(type_)
        if type_.kind == "string":
            return annotation, "text", "text", None
        schema = json_schema.output_schema(self.program, type_)
        data = "_rt.parse_json(text)"
        if type_.kind != "record":
            data = f"_rt.unwrap({data})"
        return annotation, f"`{annotation}`", f'{self.typing.converter(type_)}({data}, "output")', schema

    def info(self, prompt: ir.PromptIR) -> str:
        args = [f"name={py_literal(prompt.qname)}", f"version={py_literal(prompt.version or '')}",
                f"content_hash={py_literal(prompt.content_hash)}"]
        pii = pii_paths(prompt.params, self.typing.records)
        if pii:
            args.append(f"pii={py_literal(tuple(pii))}")
        one = f"_rt.PromptInfo({', '.join(args)})"
        if len(one) <= 80:
            return one
        return "_rt.PromptInfo(\n" + "".join(f"        {a},\n" for a in args) + "    )"


class _EnumNames(Mapping[str, str]):
    """`Types.enums` for one module: an enum's class, imported only when code uses it."""

    def __init__(self, scope: ModuleScope):
        self.scope = scope

    def __getitem__(self, qname: str) -> str:
        if qname not in self.scope.layout.name_of:
            raise KeyError(qname)
        return self.scope.ref(qname)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def method(head: str, me: str, params: list[str], returns: str) -> str:
    """A method's `def` line, keyword-only parameters, split one per line when long."""
    args = [me, *(["*"] if params else []), *params]
    one = f"    {head}({', '.join(args)}) -> {returns}:"
    if len(one) <= 96:
        return one
    return f"    {head}(\n" + "".join(f"        {a},\n" for a in args) + f"    ) -> {returns}:"


def _render_call(me: str, arguments: list[str]) -> str:
    one = f"{me}.render({', '.join(arguments)})"
    if len(one) <= 76:
        return one
    return f"{me}.render(\n" + "".join(f"                {a},\n" for a in arguments) + "            )"


def _used_params(params: tuple[ir.FieldIR, ...], body: str) -> tuple[ir.FieldIR, ...]:
    """The parameters a message body may read: those whose names it mentions inside a
    `{{ }}` or `{% %}` (a superset is harmless; the function just takes more)."""
    if "{{" not in body and "{%" not in body:
        return ()
    return tuple(p for p in params if re.search(rf"\b{re.escape(p.name)}\b", body))


def _given(default: str | None) -> tuple[str, ...]:
    return () if default is None else (default,)


def _free(option: str, taken: set[str]) -> str:
    while option in taken:
        option += "_"
    return option


def _prompt_doc(prompt: ir.PromptIR) -> str:
    lines = [prompt.doc or prompt.description or f"The `{prompt.name}` prompt."]
    facts = []
    if prompt.version:
        facts.append(f"Version {prompt.version}")
    if prompt.owner:
        facts.append(f"owned by {prompt.owner}")
    if facts:
        lines += ["", ", ".join(facts) + "."]
    return "\n".join(lines)


def pii_paths(params: tuple[ir.FieldIR, ...], records: Mapping[str, ir.RecordIR]) -> list[str]:
    """The paths of `@pii` values among the inputs (`ticket.email`; through lists and
    maps the field of every item), which the audit log redacts."""
    found: list[str] = []

    def visit(path: str, field: ir.FieldIR, seen: frozenset[str]) -> None:
        if field.pii:
            found.append(path)
            return
        type_ = field.type
        while type_.of is not None:
            type_ = type_.of
        if type_.kind == "record" and type_.name in records and type_.name not in seen:
            for sub in records[type_.name].fields:
                visit(f"{path}.{sub.name}", sub, seen | {type_.name})

    for param in params:
        visit(param.name, param, frozenset())
    return found
