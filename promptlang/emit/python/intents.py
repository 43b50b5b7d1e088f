"""Intents as the runtime objects the SDK's router is built from: one `_rt.Intent(...)`
per intent in its module, and the package's `_router` module that gathers them all
into one `Router` with a `route(text)` function."""

from __future__ import annotations

from promptlang import ir
from promptlang.emit.python.layout import ModuleScope
from promptlang.emit.python.literals import py_literal
from promptlang.emit.python.settings import Assignment
from promptlang.emit.python.settings import call_source
from promptlang.emit.python.views import Typing
from promptlang.emit.python.views import constraint_args

_KINDS = {"string": "string", "int": "int", "float": "float", "bool": "bool", "enum": "enum"}


def intent_assignment(intent: ir.IntentIR, scope: ModuleScope, typing: Typing,
                      enums: dict[str, ir.EnumIR], prompts: dict[str, ir.PromptIR]) -> Assignment:
    """`name = _rt.Intent(...)`: examples, typed slots, threshold and the routed call."""
    args = [py_literal(intent.qname), py_literal(intent.name),
            f"examples={_lines([py_literal(e) for e in intent.examples], 8)}"]
    if intent.slots:
        args.append(f"slots={_lines([_slot(s, typing, enums) for s in intent.slots], 8)}")
    if intent.threshold is not None:
        args.append(f"threshold={intent.threshold!r}")
    if intent.matcher != "lexical":
        args.append(f"matcher={py_literal(intent.matcher)}")
    prompt = prompts.get(intent.route_prompt or "")
    if prompt is not None:
        args.append(f"prompt={scope.ref(prompt.qname)}")
        params = {p.name: p for p in prompt.params}
        route = [_arg(a, params.get(a.param), typing) for a in intent.route_args]
        args.append(f"args={_lines(route, 8)}")
    if intent.description:
        args.append(f"description={py_literal(intent.description)}")
    comment = (f"# Intent `{intent.name}`" + (f": {intent.description}" if intent.description else ""),)
    return Assignment(scope.ref(intent.qname), call_source("_rt.Intent", args), comment)


def _slot(slot: ir.FieldIR, typing: Typing, enums: dict[str, ir.EnumIR]) -> str:
    type_ = slot.type.of if slot.type.kind == "optional" and slot.type.of else slot.type
    kind = _KINDS.get(type_.kind, "string")
    convert = typing.converter(type_)
    rules = constraint_args(slot)
    if rules:
        convert = f"_rt.within({convert}, {rules})"
    args = [py_literal(slot.name), py_literal(kind)]
    if slot.pattern is not None:
        args.append(f"pattern={py_literal(slot.pattern)}")
    if kind == "enum" and type_.name in enums:
        args.append(f"members={py_literal(tuple(enums[type_.name].members))}")
    args.append(f"convert={convert}")
    return "_rt.Slot(" + ", ".join(args) + ")"


def _arg(arg: ir.RouteArgIR, param: ir.FieldIR | None, typing: Typing) -> str:
    args = [py_literal(arg.param), py_literal(arg.source)]
    if arg.source == "slot":
        args.append(f"slot={py_literal(arg.slot)}")
    elif arg.source == "value":
        value = typing.value(arg.value, param.type) if param is not None else py_literal(arg.value)
        args.append(f"value={value}")
    if param is not None and (param.has_default or param.type.kind == "optional"):
        args.append("required=False")
    return "_rt.RouteArg(" + ", ".join(args) + ")"


def _lines(items: list[str], indent: int) -> str:
    """A tuple of item sources, one per line when they do not fit on one."""
    if not items:
        return "()"
    one = "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if len(one) <= 60:
        return one
    pad = " " * indent
    return "(\n" + "".join(f"{pad}{item},\n" for item in items) + " " * (indent - 4) + ")"


def router_module(header: str, intents: list[tuple[str, str]], package: str) -> str:
    """The package's `_router` module: every intent of the project (`(python module,
    name)` pairs, in declaration order: module name, then source order) in one Router."""
    imports = [f"from {module} import {name} as _i{n}" for n, (module, name) in enumerate(intents)]
    listed = "".join(f"    _i{n},\n" for n in range(len(intents)))
    return (
        f"{header}\n"
        f'"""The intent router of `{package}`: `route(text)` finds the intent a text means,\n'
        "its slots, and the prompt call its `route` describes (see `promptlang.runtime.router`).\n"
        '"""\n\n'
        "from __future__ import annotations\n\n"
        "from promptlang.runtime import api as _rt\n"
        + ("\n" + "\n".join(imports) + "\n" if imports else "")
        + f"\nrouter = _rt.Router((\n{listed}))\n\n\n"
        "def route(text: str) -> _rt.Match | None:\n"
        '    """The intent `text` means with its slots and routed call, or None when no\n'
        '    intent is confident enough (see `promptlang.runtime.router`)."""\n'
        "    return router.route(text)\n"
    )
