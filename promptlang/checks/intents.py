"""Intents: example sentences with `{slot}` placeholders, typed slots, and a route into a
prompt; and, across the whole program, examples that two intents share."""

from __future__ import annotations

import re

from promptlang import MATCHERS
from promptlang import types as ty
from promptlang.checks.context import Ctx
from promptlang.checks.settings import expect_list
from promptlang.checks.settings import expect_number
from promptlang.checks.settings import expect_string
from promptlang.checks.settings import require
from promptlang.checks.settings import sort_entries
from promptlang.checks.values import check_value
from promptlang.checks.values import first_time
from promptlang.checks.values import describe
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import all_of
from promptlang.diagnostics.suggest import closest
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.diagnostics.suggest import meant
from promptlang.resolve import FieldInfo
from promptlang.resolve import Program
from promptlang.resolve import Symbol
from promptlang.resolve import signature
from promptlang.runtime import intent_text as tx
from promptlang.runtime.router import Slot
from promptlang.runtime.router import bucket
from promptlang.runtime.router import candidate_buckets
from promptlang.checks.regex_sample import sample_of
from promptlang.source import SourceFile
from promptlang.source import Span
from promptlang.syntax import nodes as n

MIN_EXAMPLES = 3
PLACEHOLDER = tx.PLACEHOLDER
INPUT = "input"  # the route argument that stands for the user's raw text
SLOT_TYPES = "`string`, `int`, `float`, `bool` or an enum"
_SETTINGS = ("examples", "route", "threshold", "description", "matcher")


def check_intent(ctx: Ctx, decl: n.Intent) -> None:
    """Check one intent: the router compiled from it must be able to fill every slot it
    promises from the text, and call its route with arguments the prompt accepts."""
    where = f"intent `{decl.name.value}`"
    body = sort_entries(ctx, decl.entries, where, keys=_SETTINGS, blocks=("slots",))
    slots = _slots(ctx, blocks_by_kind(ctx, body.blocks).get("slots"))
    examples = _examples(ctx, decl, body)
    if examples is not None:
        _check_placeholders(ctx, examples, slots)
    if "route" in body.settings:
        _check_route(ctx, body.settings["route"].value, slots)
    if "threshold" in body.settings:
        expect_number(ctx, body.settings["threshold"].value, "threshold", 0, 1)
    if "description" in body.settings:
        expect_string(ctx, body.settings["description"].value, "description")
    if "matcher" in body.settings:
        _check_matcher(ctx, body.settings["matcher"].value)


def _check_matcher(ctx: Ctx, value) -> None:
    name = value.name if isinstance(value, n.Ident) else None
    if name not in MATCHERS:
        ctx.sink.report("E0301", value.span, f"unknown matcher {describe(value) if name is None else '`' + name + '`'}",
                        label="expected `lexical` or `semantic`",
                        help=(did_you_mean(name, MATCHERS) if name else None)
                        or "`lexical` needs no model; `semantic` compares sentence embeddings "
                           "(`pip install 'promptlang[similarity]'`)")


def blocks_by_kind(ctx: Ctx, blocks, labelled=frozenset()) -> dict[str, n.Block]:
    """The first block of each kind, in source order. Later code reads one block of each
    kind, so a repeated block or a label where none is meant is reported here."""
    first: dict[str, n.Block] = {}
    for block in blocks:
        kind = block.kind.value
        if kind in first:
            ctx.sink.report("E0210", block.kind.span, f"`{kind}` is given twice",
                            label="given again here",
                            secondary=(Label(first[kind].kind.span, "first given here"),),
                            help=f"merge the two `{kind}` blocks")
            continue
        first[kind] = block
        if block.label is not None and kind not in labelled:
            ctx.sink.report("E0318", block.label.span, f"`{kind}` takes no label",
                            label="unexpected label", help=f"write `{kind} {{ ... }}`")
    return first


# ---- slots ------------------------------------------------------------------------


def _slots(ctx: Ctx, block: n.Block | None) -> dict[str, FieldInfo]:
    """Declared slots. A type no router can read out of a sentence is reported and then
    treated as unknown, so its uses do not report the same mistake again."""
    if block is None:
        return {}
    fields = sort_entries(ctx, block.entries, "`slots`", fields=True).fields
    slots = ctx.program.fields_of(ctx.scope, fields, ctx.sink)
    for name, info in slots.items():
        if not _extractable(info.type):
            ctx.sink.report("E0301", info.decl.type.span,
                            f"slot `{name}` cannot have type `{info.type.show()}`",
                            label="not a slot type",
                            help=f"a slot holds one value read from the text: {SLOT_TYPES}")
        elif info.decl.default is not None:
            check_value(ctx, info.decl.default, info.type, info.constraints)
    return {name: _as_slot(info) for name, info in slots.items()}


def _extractable(slot_type: ty.Type) -> bool:
    inner = ty.strip_optional(slot_type)
    return inner in (ty.STRING, ty.INT, ty.FLOAT, ty.BOOL) or isinstance(inner, (ty.EnumT, ty.AnyT))


def _as_slot(info: FieldInfo) -> FieldInfo:
    if _extractable(info.type):
        return info
    return FieldInfo(info.name, ty.ANY, info.constraints, info.decl)


def intent_slots(program: Program, sym: Symbol) -> dict[str, FieldInfo]:
    """Slots of an intent, for checks in any module (`test intents`). Mistakes in the
    declaration are reported by its own module's check, so this reports into a scratch sink."""
    cache = program.__dict__.setdefault("_intent_slots", {})
    if sym.qname not in cache:
        block = next((e for e in sym.decl.entries
                      if isinstance(e, n.Block) and e.kind.value == "slots"), None)
        fields = [e for e in block.entries if isinstance(e, n.Field)] if block else []
        slots = program.fields_of(program.scopes[sym.module], fields, Sink())
        cache[sym.qname] = {name: _as_slot(info) for name, info in slots.items()}
    return cache[sym.qname]


# ---- examples and placeholders ------------------------------------------------------------


def _examples(ctx: Ctx, decl: n.Intent, body) -> list[n.Str] | None:
    """The example strings; None when the list itself is missing or wrong, since then
    nothing can be said about which slots are used."""
    where = f"intent `{decl.name.value}`"
    setting = require(ctx, body, "examples", decl.name, where, 'examples = ["...", "..."]')
    items = expect_list(ctx, setting.value, "examples") if setting else None
    if items is None:
        return None
    for item in items:
        if not isinstance(item, n.Str):
            ctx.sink.report("E0301", item.span, f"examples must be strings, found {describe(item)}",
                            label="expected a string", help='write what a user would type: `"..."`')
    if not items:
        ctx.sink.report("E0306", setting.value.span, f"{where} has no examples",
                        label="empty list", help="add sentences a user might write to mean this intent")
    elif len(items) < MIN_EXAMPLES:
        ctx.sink.report("W0405", setting.key.span,
                        f"{where} has only {len(items)} example{'s' if len(items) > 1 else ''}",
                        label=f"{MIN_EXAMPLES} or more match reliably",
                        help="add varied sentences a user might write to mean this intent")
    return [item for item in items if isinstance(item, n.Str)]


def placeholders(source: SourceFile, literal: n.Str) -> list[tuple[str, Span]]:
    """Each `{name}` in a string literal with its span: the exact `{name}` when the
    literal's raw text spells the placeholders as its value does (escapes and dedent
    elsewhere do not matter), else the whole literal."""
    found = list(PLACEHOLDER.finditer(literal.value))
    close = 3 if literal.triple else 1
    raw = source.text[literal.body_start:literal.span.end - close]
    raw_found = list(PLACEHOLDER.finditer(raw))
    if [m.group(0) for m in raw_found] != [m.group(0) for m in found]:
        return [(m.group(1), literal.span) for m in found]
    base, file = literal.body_start, literal.span.file
    return [(m.group(1), Span(file, base + m.start(), base + m.end())) for m in raw_found]


def _check_placeholders(ctx: Ctx, examples: list[n.Str], slots: dict[str, FieldInfo]) -> None:
    """Every `{slot}` written must be declared, and every declared slot written somewhere,
    or the router can never fill it. A misspelt placeholder is one mistake: the slot it
    was meant to be is not reported as unused as well."""
    used: set[str] = set()
    for example in examples:
        for name, span in placeholders(ctx.source, example):
            if name in slots:
                used.add(name)
                continue
            used.add(closest(name, slots) or name)
            ctx.sink.report("E0401", span, f"slot `{name}` is not declared",
                            label="not a slot of this intent",
                            help=did_you_mean(name, slots) or f"declare it: `slots {{ {name}: string }}`")
    for name, info in slots.items():
        if name not in used:
            ctx.sink.report("W0402", info.decl.name.span, f"slot `{name}` is used in no example",
                            label="the router never fills it",
                            help=f'write it in an example, such as `"... {{{name}}}"`, or remove it')


# ---- route -------------------------------------------------------------------------------


def _check_route(ctx: Ctx, expr, slots: dict[str, FieldInfo]) -> None:
    """The route is compiled into a call of the prompt, so it must type-check as one."""
    parts = dotted_parts(expr.func) if isinstance(expr, n.Call) else None
    if parts is None:
        ctx.sink.report("E0403", expr.span, "`route` must call a prompt",
                        label=f"found {describe(expr)}",
                        help="write `route = prompt_name(param = slot, text = input)`")
        return
    sym = ctx.program.lookup(ctx.scope, parts, {"prompt"}, "a prompt", ctx.sink)
    if sym is None:
        return
    params = signature(ctx.program, sym).params
    given: dict[str, n.Arg] = {}
    positional = False
    for index, arg in enumerate(expr.args):
        positional |= arg.name is None
        _route_arg(ctx, index, arg, sym, params, slots, given)
    if not positional:
        _missing_route_args(ctx, expr, sym, params, given, slots)


def _route_arg(ctx: Ctx, index: int, arg: n.Arg, sym: Symbol, params, slots, given) -> None:
    if arg.name is None:
        names = list(params)
        hint = f"`{names[index]} = ...`" if index < len(names) else "`param = value`"
        ctx.sink.report("E0403", arg.span, "route arguments must be named",
                        label="positional argument", help=f"name it: {hint}")
        return
    name = arg.name.value
    if not first_time(ctx, arg.name, {k: a.name for k, a in given.items()}):
        return
    given[name] = arg
    if name not in params:
        help = did_you_mean(name, params) or (f"its parameters are {all_of(params)}" if params
                                              else f"`{sym.name}` takes no parameters")
        ctx.sink.report("E0403", arg.name.span, f"prompt `{sym.name}` has no parameter `{name}`",
                        label="not a parameter", help=help)
        return
    _route_value(ctx, arg.value, params[name], slots)


def _route_value(ctx: Ctx, value, param: FieldInfo, slots: dict[str, FieldInfo]) -> None:
    """A route argument is a slot, `input` (the user's text) or a literal; a bare name is
    a literal only where an enum member is expected."""
    name = value.name if isinstance(value, n.Ident) else None
    if name in slots or name == INPUT:
        found = slots[name].type if name in slots else ty.STRING
        if not ty.assignable(found, param.type):
            ctx.sink.report("E0403", value.span,
                            f"`{name}` is `{found.show()}`, but parameter `{param.name}` "
                            f"is `{param.type.show()}`",
                            label=f"expected `{param.type.show()}`",
                            help="declare the slot with the parameter's type")
    elif name is not None and not isinstance(ty.strip_optional(param.type), ty.EnumT):
        ctx.sink.report("E0203", value.span, f"unknown slot `{name}`",
                        label="not a slot of this intent",
                        help=did_you_mean(name, [*slots, INPUT])
                        or "a route argument is a slot, `input` (the user's text) or a literal")
    else:
        check_value(ctx, value, param.type, param.constraints)


def _missing_route_args(ctx: Ctx, call: n.Call, sym: Symbol, params, given, slots) -> None:
    """Required parameters the route leaves out. A misspelt argument is one mistake, so
    the parameter it was meant to be is not reported as left out as well."""
    misspelt = meant([name for name in given if name not in params], params)
    missing = [p.name for p in params.values()
               if p.required and p.name not in given and p.name not in misspelt]
    if not missing:
        return
    first = missing[0]
    value = first if first in slots else "..."
    ctx.sink.report("E0403", call.func.span, f"route to `{sym.name}` does not give {all_of(missing)}",
                    label=f"`{sym.name}` needs {all_of(missing)}",
                    help=f"add `{first} = {value}` to the route")


# ---- collisions ------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """What a router matches on: case, spacing, punctuation and slot names do not count."""
    return tx.normalised(text)


def example_strings(decl: n.Intent) -> list[n.Str]:
    """The string literals of an intent's (first) `examples` list, in source order."""
    for entry in decl.entries:
        if isinstance(entry, n.Setting) and entry.key.value == "examples":
            items = entry.value.items if isinstance(entry.value, n.ListExpr) else ()
            return [item for item in items if isinstance(item, n.Str)]
    return []


def check_intent_collisions(program: Program, sink_for_module: dict[str, Sink]) -> None:
    """Report an example two intents share (the router cannot tell them apart) or one
    intent repeats. The later one is reported, by module name then source order, so the
    result does not depend on the order modules were loaded in."""
    seen: dict[str, tuple[n.Intent, str, n.Str]] = {}
    repeated: set[int] = set()
    for module in sorted(program.scopes):
        scope = program.scopes[module]
        sink = _sink_of(sink_for_module, module, scope.sink)
        for decl in scope.ast.decls:
            if not isinstance(decl, n.Intent):
                continue
            for example in example_strings(decl):
                key = normalise(example.value)
                if key:
                    first = seen.setdefault(key, (decl, module, example))
                    if first[2] is not example:
                        repeated.update((id(example), id(first[2])))
                        _collision(sink, first, (decl, module, example))
    _pattern_collisions(program, sink_for_module, repeated)


def _pattern_collisions(program: Program, sink_for_module, repeated: set[int]) -> None:
    """Report an example that another intent's example pattern matches whole: the router
    would route that very sentence to the other intent (pattern matches score 1.0), so
    the two intents cannot be told apart on it. The example is tried with a sample value
    in each `{slot}` (an enum's first member, a number, a string fitting `@pattern`)."""
    compiled = []  # (intent symbol, example node, its regex, a sample sentence of it)
    buckets: dict[tuple[str, ...], list[int]] = {}
    for sym in sorted((s for s in program.symbols.values() if s.kind == "intent"), key=lambda s: s.qname):
        slots = {name: slot_spec(program, info) for name, info in intent_slots(program, sym).items()}
        patterns = {name: spec.regex() for name, spec in slots.items()}
        for example in example_strings(sym.decl):
            regex = re.compile(tx.example_regex(example.value, patterns, "s"), re.IGNORECASE)
            buckets.setdefault(bucket(tx.example_tokens(example.value)), []).append(len(compiled))
            compiled.append((sym, example, regex, _instance(example.value, slots)))
    reported: set[frozenset[int]] = set()
    for sym, example, _, sample in compiled:
        if sample is None or id(example) in repeated:
            continue
        for other, other_example, regex, _ in (compiled[k] for key in candidate_buckets(tx.words(sample))
                                              for k in buckets.get(key, ())):
            pair = frozenset((id(example), id(other_example)))
            if other.qname != sym.qname and pair not in reported and regex.fullmatch(sample):
                reported.add(pair)
                _pattern_collision(program, sink_for_module, (sym, example, sample), (other, other_example))
                break


def slot_spec(program: Program, info: FieldInfo) -> Slot:
    """The router's view of a slot, for checks that ask what the router would do."""
    inner = ty.strip_optional(info.type)
    kinds = {ty.STRING: "string", ty.INT: "int", ty.FLOAT: "float", ty.BOOL: "bool"}
    if isinstance(inner, ty.EnumT):
        return Slot(info.name, "enum", members=tuple(program.enums.get(inner.qname, {})))
    return Slot(info.name, kinds.get(inner, "string"), pattern=info.constraints.pattern)


_SAMPLES = {"int": "7", "float": "1.5", "bool": "yes", "string": "something"}


def _instance(example: str, slots: dict[str, Slot]) -> str | None:
    """The example with a sample value in each placeholder; None when a slot's pattern
    is beyond the sampler (the example is then not tried)."""
    def sample(m: re.Match[str]) -> str:
        slot = slots.get(m.group(1))
        if slot is None:
            return _SAMPLES["string"]
        if slot.kind == "enum":
            return slot.members[0] if slot.members else "x"
        if slot.pattern is not None:
            value = sample_of(slot.pattern)
            if value is None:
                raise LookupError(slot.pattern)
            return value
        return _SAMPLES.get(slot.kind, "something")
    try:
        return tx.PLACEHOLDER.sub(sample, example)
    except LookupError:
        return None


def _pattern_collision(program: Program, sinks, found, other) -> None:
    sym, example, sample = found
    other_sym, other_example = other
    scope = program.scopes[sym.module]
    sink = _sink_of(sinks, sym.module, scope.sink)
    name = other_sym.name if other_sym.module == sym.module else other_sym.qname
    shown = f" (as {sample!r})" if sample != example.value else ""
    sink.report("E0404", example.span,
                f"example of `{sym.name}`{shown} is matched whole by an example of `{name}`",
                label=f"the router would send this sentence to `{name}`",
                secondary=(Label(other_example.span, f"this example of `{name}` matches it"),),
                help="reword one of the two, or give the slot a narrower type or `@pattern`, "
                     "so that the sentences differ in a word")


def _sink_of(sinks, module: str, default: Sink) -> Sink:
    """Indexing (not `.get`) so a mapping with `__missing__` can hand out one sink for all."""
    try:
        return sinks[module]
    except KeyError:
        return default


def _collision(sink: Sink, first, later) -> None:
    first_decl, first_module, first_example = first
    decl, module, example = later
    name = decl.name.value
    if first_decl is decl:
        sink.report("E0210", example.span, f"example repeats an earlier example of `{name}`",
                    label="same as an earlier example",
                    secondary=(Label(first_example.span, "first given here"),),
                    help="remove one of them; case, spacing, punctuation and slot names do not count")
        return
    other = first_decl.name.value if first_module == module else f"{first_module}.{first_decl.name.value}"
    sink.report("E0404", example.span, f"example of `{name}` is also an example of `{other}`",
                label="the router cannot tell the two intents apart",
                secondary=(Label(first_example.span, f"also an example of `{other}` here"),),
                help="keep it in one intent, or reword one so they differ in more than "
                     "case, spacing, punctuation or slot names")
