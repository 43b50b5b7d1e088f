"""Tests: prompt tests (`given` inputs typed by the prompt's parameters, `expect`
assertions typed by its output) and `test intents` routing cases."""

from __future__ import annotations

from promptlang import types as ty
from promptlang.annotations import check_regex
from promptlang.checks.context import Ctx
from promptlang.checks.intents import blocks_by_kind
from promptlang.checks.intents import intent_slots
from promptlang.checks.settings import expect_string
from promptlang.checks.settings import sort_entries
from promptlang.checks.values import check_value
from promptlang.checks.values import first_time
from promptlang.checks.values import describe
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import all_of
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.diagnostics.suggest import meant
from promptlang.resolve import signature
from promptlang.syntax import nodes as n

EXPECT_FORMS = ("an expectation is one of `output.field == value`, `output contains \"text\"`, "
                "`output matches /re/`, `output similar_to \"text\" >= 0.8`, `rubric \"...\"`, "
                "`latency < 2s`, `tokens < 500` or `cost < 0.01`")
OUTPUT = "output"
# budget -> (literal kinds, what they are, an example bound)
BUDGETS = {
    "latency": ((n.Duration,), "a duration", "2s"),
    "tokens": ((n.Int,), "a whole number", "500"),
    "cost": ((n.Int, n.Float), "a number", "0.01"),
}
INTENT_CASE_HELP = ('each line is `"what a user writes" -> intent_name`, '
                    '`-> intent_name(slot = value)` or `-> none`')


def check_test(ctx: Ctx, decl: n.Test) -> None:
    """Check one prompt test: its inputs must be a valid call of the prompt and each
    `expect` an assertion the runner can evaluate on the prompt's output."""
    sym = ctx.program.lookup(ctx.scope, decl.target.parts, {"prompt"}, "a prompt", ctx.sink)
    sig = signature(ctx.program, sym) if sym is not None else None
    body = sort_entries(ctx, decl.entries, f'test "{decl.title.value}"', keys=("model", "description"),
                        blocks=("given",), rules=("expect",))
    given = _given_settings(ctx, blocks_by_kind(ctx, body.blocks).get("given"))
    if sig is not None:
        _check_given(ctx, decl, given, sym.name, sig.params)
    if "model" in body.settings:
        _check_model(ctx, body.settings["model"].value)
    if "description" in body.settings:
        expect_string(ctx, body.settings["description"].value, "description")
    for rule in body.rules:
        _check_expect(ctx, rule.expr, sig.output if sig is not None else ty.ANY)
    if not body.rules:
        ctx.sink.report("W0409", decl.title.span, "test has no `expect` line",
                        label="this test always passes",
                        help='add an assertion, such as `expect output contains "..."`')


# ---- given -------------------------------------------------------------------------------


def _given_settings(ctx: Ctx, block: n.Block | None) -> tuple[n.Block | None, dict[str, n.Setting]]:
    """The `given` block and its `param = value` entries (repeats and other entries are
    reported by `sort_entries`)."""
    if block is None:
        return None, {}
    keys = {e.key.value for e in block.entries if isinstance(e, n.Setting)}
    return block, sort_entries(ctx, block.entries, "`given`", keys=keys).settings


def _check_given(ctx: Ctx, decl: n.Test, given, prompt: str, params) -> None:
    """`given` is a call of the prompt: known parameters, typed values, nothing required
    left out. A misspelt parameter is one mistake, so the one it was meant to be is not
    also reported as missing."""
    block, settings = given
    unknown = []
    for key, setting in settings.items():
        param = params.get(key)
        if param is not None:
            check_value(ctx, setting.value, param.type, param.constraints)
            continue
        unknown.append(key)
        ctx.sink.report("E0204", setting.key.span, f"prompt `{prompt}` has no parameter `{key}`",
                        label="not a parameter",
                        help=did_you_mean(key, params) or _params_help(prompt, params))
    misspelt = meant(unknown, params)
    missing = [p.name for p in params.values()
               if p.required and p.name not in settings and p.name not in misspelt]
    if missing:
        span = block.kind.span if block is not None else decl.title.span
        example = f"{missing[0]} = ..."
        ctx.sink.report("E0406", span, f"test does not give {all_of(missing)} to `{prompt}`",
                        label=f"`{prompt}` needs {all_of(missing)}",
                        help=f"add `{example}` to `given`" if block is not None
                        else f"add `given {{ {example} }}`")


def _params_help(prompt: str, params) -> str:
    return f"its parameters are {all_of(params)}" if params else f"`{prompt}` takes no parameters"


def _check_model(ctx: Ctx, value) -> None:
    """A test may pin the model it runs on (`model = recorded` for replayed answers)."""
    parts = dotted_parts(value)
    if parts is not None:
        ctx.program.lookup(ctx.scope, parts, {"model"}, "a model", ctx.sink)
        return
    help = f"write the model name bare: `model = {value.value}`" if isinstance(value, n.Str) else None
    ctx.sink.report("E0301", value.span, f"`model` must name a model, found {describe(value)}",
                    label="expected a model name", help=help or "for example `model = recorded`")


# ---- expectations ------------------------------------------------------------------------------


def _check_expect(ctx: Ctx, expr, output: ty.Type) -> None:
    handler = _EXPECT.get(type(expr))
    if handler is None:
        _bad_expect(ctx, expr, output)
    else:
        handler(ctx, expr, output)


def _bad_expect(ctx: Ctx, expr, output: ty.Type) -> None:
    help = EXPECT_FORMS
    if isinstance(expr, n.BoolOp):
        help = f"write one `expect` line for each assertion instead of `{expr.op}`"
    elif isinstance(expr, n.Not):
        help = "negate the assertion itself: `!=`, `not contains` or `not matches`"
    elif dotted_parts(expr) is not None:
        help = _assertion_help(ctx, expr, output)
    ctx.sink.report("E0407", expr.span, "not an assertion a test can check",
                    label="expected a comparison, `similar_to` or `rubric`", help=help)


def _assertion_help(ctx: Ctx, expr, output: ty.Type) -> str:
    """For `expect x` written alone: assertions that fit what `x` is. A mistake in `x`
    itself (an unknown field) is not reported on top of the missing comparison."""
    subject = _text(expr)
    if subject in BUDGETS:
        return f"a budget is an upper bound: `expect {subject} < {BUDGETS[subject][2]}`"
    found = _output_path(Ctx(ctx.program, ctx.scope, Sink()), expr, output)
    forms = _assertions(ctx, subject, found[0]) if found is not None else []
    if not forms:
        return EXPECT_FORMS
    return "for example " + " or ".join(f"`expect {form}`" for form in forms)


def _assertions(ctx: Ctx, subject: str, type_: ty.Type, depth: int = 0) -> list[str]:
    """Assertions on `subject` that fit its type: `== true` for a flag, `contains` for
    text, a bound for a number, a member for an enum, one field of a record."""
    base = ty.strip_optional(type_)
    if base == ty.STRING:
        if subject == OUTPUT:  # free text: exact equality is brittle (W0320)
            return [f'{subject} contains "..."', f'{subject} similar_to "..." >= 0.8']
        return [f'{subject} contains "..."', f'{subject} == "..."']
    if base in (ty.INT, ty.FLOAT):
        return [f"{subject} >= {_example(ctx, base)}"]
    if isinstance(base, ty.ListT) and _example(ctx, base.elem):
        return [f"{subject} contains {_example(ctx, base.elem)}"]
    if isinstance(base, ty.MapT) and _example(ctx, base.value):
        return [f"{subject}.key == {_example(ctx, base.value)}"]
    if isinstance(base, ty.RecordT) and depth == 0:
        fields = ctx.program.records.get(base.qname) or {}
        for name, info in fields.items():
            forms = _assertions(ctx, f"{subject}.{name}", info.type, depth + 1)
            if forms:
                return forms[:1]
    example = _example(ctx, base)
    return [f"{subject} == {example}"] if example else []


def _example(ctx: Ctx, type_: ty.Type) -> str | None:
    """A literal of a scalar type, to show in a help: `true`, `"..."`, a number, a member."""
    base = ty.strip_optional(type_)
    if isinstance(base, ty.EnumT):
        return next(iter(ctx.program.enums.get(base.qname, {})), None)
    return {ty.BOOL: "true", ty.STRING: '"..."', ty.INT: "1", ty.FLOAT: "0.8"}.get(base)


def _expect_compare(ctx: Ctx, expr: n.Compare, output: ty.Type) -> None:
    if isinstance(expr.left, n.Ident) and expr.left.name in BUDGETS:
        _budget(ctx, expr)
        return
    found = _output_path(ctx, expr.left, output)
    if found is None:
        return
    _COMPARISONS[expr.op](ctx, expr, found)
    _brittle_equality(ctx, expr, found[0])


def _brittle_equality(ctx: Ctx, expr: n.Compare, found: ty.Type) -> None:
    """`output == "..."` on free text passes only on the exact wording, which a model
    rarely repeats; a field of a structured output is compared as a value."""
    if expr.op == "==" and isinstance(expr.left, n.Ident) and isinstance(expr.right, n.Str) \
            and ty.strip_optional(found) == ty.STRING:
        ctx.sink.report("W0320", expr.op_span, "comparing free-text output with `==` is brittle",
                        label="passes only if the model writes exactly this text",
                        help='check what the answer says instead: `contains "..."`, '
                             '`matches /.../` or `similar_to "..." >= 0.8`')


def _output_path(ctx: Ctx, expr, output: ty.Type) -> tuple[ty.Type, ty.Constraints] | None:
    """The type (and constraints) of `output` or `output.a.b`, or None after a diagnostic."""
    parts = dotted_parts(expr)
    if parts is None or parts[0].value != OUTPUT:
        name = parts[0].value if parts else ""
        ctx.sink.report("E0407", parts[0].span if parts else expr.span,
                        "an expectation reads `output`, `latency`, `tokens` or `cost`",
                        label=f"found `{_dotted(parts)}`" if parts else f"found {describe(expr)}",
                        help=did_you_mean(name, [OUTPUT, *BUDGETS]) or EXPECT_FORMS)
        return None
    found = (output, ty.NO_CONSTRAINTS)
    for index in range(1, len(parts)):
        found = _field(ctx, found[0], parts[:index], parts[index])
        if found is None:
            return None
    return found


def _field(ctx: Ctx, owner: ty.Type, path, name: n.Name) -> tuple[ty.Type, ty.Constraints] | None:
    base = ty.strip_optional(owner)
    if isinstance(base, ty.AnyT):
        return ty.ANY, ty.NO_CONSTRAINTS
    if isinstance(base, ty.MapT):
        return base.value, ty.NO_CONSTRAINTS
    fields = ctx.program.records.get(base.qname) if isinstance(base, ty.RecordT) else None
    if fields is not None and name.value in fields:
        return fields[name.value].type, fields[name.value].constraints
    if fields is not None:
        ctx.sink.report("E0204", name.span, f"record `{base.name}` has no field `{name.value}`",
                        label=f"not a field of `{base.name}`",
                        help=did_you_mean(name.value, fields) or f"its fields are {all_of(fields)}")
    elif isinstance(base, ty.RecordT):
        return ty.ANY, ty.NO_CONSTRAINTS
    elif len(path) == 1:
        ctx.sink.report("E0204", name.span, f"`{base.show()}` output has no field `{name.value}`",
                        label="the prompt returns free text",
                        help="compare the whole `output`, or give the prompt a record output type")
    else:
        ctx.sink.report("E0204", name.span,
                        f"`{_dotted(path)}` is `{base.show()}` and has no field `{name.value}`",
                        label=f"not a field of `{base.show()}`")
    return None


# A value compared with the output (right of `==`, `<`, `contains`, an item of `in`, a
# budget's bound) that has the wrong type is a comparison that can never hold: E0317, not
# the E0301 of a value given where a type is declared. What an operator itself takes (the
# pattern of `matches`, the list of `in`, the arguments of `similar_to`) stays E0301.


def _equal(ctx: Ctx, expr: n.Compare, found) -> None:
    """`==` must be able to hold: the value is checked with the field's constraints too."""
    field_type, constraints = found
    check_value(ctx, expr.right, field_type, constraints if expr.op == "==" else ty.NO_CONSTRAINTS,
                mismatch="E0317")


def _order(ctx: Ctx, expr: n.Compare, found) -> None:
    if _operand(ctx, expr, found, lambda t: ty.is_numeric(t), "numbers"):
        check_value(ctx, expr.right, ty.FLOAT, mismatch="E0317")


def _contains(ctx: Ctx, expr: n.Compare, found) -> None:
    def fits(t):
        return t == ty.STRING or isinstance(t, ty.ListT)
    if _operand(ctx, expr, found, fits, "text or a list"):
        base = ty.strip_optional(found[0])
        check_value(ctx, expr.right, base.elem if isinstance(base, ty.ListT) else ty.STRING,
                    mismatch="E0317")


def _matches(ctx: Ctx, expr: n.Compare, found) -> None:
    if not _operand(ctx, expr, found, lambda t: t == ty.STRING, "text"):
        return
    right = expr.right
    if isinstance(right, n.Regex):
        check_regex(right.pattern, right.flags, right.span, ctx.sink)
        return
    help = f"write `/{right.value}/`" if isinstance(right, n.Str) else "for example `/refund/i`"
    ctx.sink.report("E0301", right.span, f"expected a regular expression, found {describe(right)}",
                    label="expected `/pattern/`", help=help)


def _member(ctx: Ctx, expr: n.Compare, found) -> None:
    if not isinstance(expr.right, n.ListExpr):
        ctx.sink.report("E0301", expr.right.span, f"expected a list, found {describe(expr.right)}",
                        label="expected `[a, b]`", help="for example `output.category in [billing, returns]`")
        return
    for item in expr.right.items:
        check_value(ctx, item, found[0], found[1], mismatch="E0317")


def _operand(ctx: Ctx, expr: n.Compare, found, fits, wanted: str) -> bool:
    """Whether the output value can stand left of this operator."""
    base = ty.strip_optional(found[0])
    if isinstance(base, ty.AnyT) or fits(base):
        return True
    op = expr.op.replace("_", " ")
    ctx.sink.report("E0317", expr.op_span,
                    f"`{op}` needs {wanted}, but `{_text(expr.left)}` is `{found[0].show()}`",
                    label=f"not for `{found[0].show()}`", help="compare it with `==` or `!=`")
    return False


def _budget(ctx: Ctx, expr: n.Compare) -> None:
    """`latency`, `tokens` and `cost` are budgets: an upper bound of the right kind."""
    name = expr.left.name
    kinds, wanted, example = BUDGETS[name]
    if expr.op not in ("<", "<="):
        ctx.sink.report("E0407", expr.op_span, f"`{name}` can only be bounded with `<` or `<=`",
                        label="a budget is an upper bound", help=f"write `expect {name} < {example}`")
    elif not isinstance(expr.right, kinds):
        ctx.sink.report("E0317", expr.right.span,
                        f"`{name}` is measured as {wanted}, found {describe(expr.right)}",
                        label=f"expected {wanted}", help=f"for example `expect {name} < {example}`")
    elif (expr.right.ms if isinstance(expr.right, n.Duration) else expr.right.value) <= 0:
        ctx.sink.report("E0307", expr.right.span, f"`{name}` must be bounded by more than zero",
                        label="this can never hold")


def _expect_similar(ctx: Ctx, expr: n.Similar, output: ty.Type) -> None:
    found = _output_path(ctx, expr.left, output)
    base = ty.strip_optional(found[0]) if found else ty.ANY
    if base != ty.STRING and not isinstance(base, ty.AnyT):
        ctx.sink.report("E0317", expr.left.span,
                        f"`similar_to` compares text, but `{_text(expr.left)}` is `{found[0].show()}`",
                        label="not text", help="compare it with `==` or `!=`")
    if not isinstance(expr.reference, n.Str):
        ctx.sink.report("E0301", expr.reference.span,
                        f"the reference of `similar_to` must be a string, found {describe(expr.reference)}",
                        label="expected a string", help='write the expected text: `similar_to "..." >= 0.8`')
    _similarity(ctx, expr.threshold)


def _similarity(ctx: Ctx, threshold) -> None:
    if isinstance(threshold, (n.Int, n.Float)):
        if not 0 <= threshold.value <= 1:
            ctx.sink.report("E0307", threshold.span,
                            f"similarity must be from 0 to 1, found {threshold.value}", label="out of range")
        return
    help = f"write `{threshold.value / 100:g}`" if isinstance(threshold, n.Percent) else "for example `0.8`"
    ctx.sink.report("E0301", threshold.span,
                    f"similarity must be a number from 0 to 1, found {describe(threshold)}",
                    label="expected a number", help=help)


def _expect_apply(ctx: Ctx, expr: n.Apply, output: ty.Type) -> None:
    """`rubric "..."`: criteria a judge model grades the output against."""
    word = expr.word.value
    if word != "rubric":
        ctx.sink.report("E0407", expr.word.span, f"unknown expectation `{word}`",
                        label="not an assertion popsc knows",
                        help=did_you_mean(word, ["rubric"]) or EXPECT_FORMS)
    elif not isinstance(expr.arg, n.Str) or not expr.arg.value.strip():
        found = "an empty string" if isinstance(expr.arg, n.Str) else describe(expr.arg)
        ctx.sink.report("E0301", expr.arg.span, f"`rubric` takes the criteria as text, found {found}",
                        label="expected the criteria", help='for example `rubric "polite, no promises"`')


def _text(expr) -> str:
    parts = dotted_parts(expr)
    return _dotted(parts) if parts else "this value"


def _dotted(parts) -> str:
    return ".".join(p.value for p in parts)


_EXPECT = {n.Compare: _expect_compare, n.Similar: _expect_similar, n.Apply: _expect_apply}
_COMPARISONS = {
    "==": _equal, "!=": _equal, "<": _order, "<=": _order, ">": _order, ">=": _order,
    "contains": _contains, "not_contains": _contains, "matches": _matches, "not_matches": _matches,
    "in": _member, "not_in": _member,
}


# ---- test intents ----------------------------------------------------------------------------


def check_intent_tests(ctx: Ctx, decl: n.IntentTests) -> None:
    """Each line is a routing case the compiled router must pass: what a user writes and
    the intent (with slot values) or `none` it must match."""
    if decl.name.value != "intents":
        ctx.sink.report("E0408", decl.name.span, f"unknown test kind `{decl.name.value}`",
                        label="expected `intents` or a quoted title",
                        help=did_you_mean(decl.name.value, ["intents"])
                        or 'write `test intents { ... }` or `test "title" for prompt { ... }`')
    texts: dict[str, n.Mapping] = {}
    for entry in decl.entries:
        if isinstance(entry, n.Mapping):
            _check_case(ctx, entry, texts)
        else:
            ctx.sink.report("E0408", _head(entry), "expected `\"text\" -> intent` here",
                            label="not a routing case", help=INTENT_CASE_HELP)


def _head(entry) -> object:
    """The narrowest span naming an entry: its key, kind, keyword or name."""
    for attr in ("key", "kind", "keyword", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr).span
    return entry.span


def _check_case(ctx: Ctx, case: n.Mapping, texts: dict[str, n.Mapping]) -> None:
    text = case.text.value
    if text in texts:
        ctx.sink.report("E0210", case.text.span, "the same text is tested twice",
                        label="tested again here",
                        secondary=(Label(texts[text].text.span, "first tested here"),),
                        help="keep one of the two lines")
        return
    texts[text] = case
    target = case.target
    if isinstance(target, n.Ident) and target.name == "none":
        return
    if isinstance(target, n.Call):
        _intent_call(ctx, target)
        return
    parts = dotted_parts(target)
    if parts is not None:
        ctx.program.lookup(ctx.scope, parts, {"intent"}, "an intent", ctx.sink)
        return
    help = "write `none` for text no intent should match" if isinstance(target, n.Null) else INTENT_CASE_HELP
    ctx.sink.report("E0408", target.span, f"expected an intent or `none`, found {describe(target)}",
                    label="not an intent", help=help)


def _intent_call(ctx: Ctx, call: n.Call) -> None:
    """`intent(slot = value)`: the router must match the intent and extract these values."""
    parts = dotted_parts(call.func)
    if parts is None:
        ctx.sink.report("E0408", call.span, "expected an intent with slot values",
                        label="not an intent", help=INTENT_CASE_HELP)
        return
    if _dotted(parts) == "none":
        ctx.sink.report("E0408", call.span, "`none` takes no slot values",
                        label="no intent, no slots", help="write `-> none`")
        return
    sym = ctx.program.lookup(ctx.scope, parts, {"intent"}, "an intent", ctx.sink)
    if sym is None:
        return
    slots = intent_slots(ctx.program, sym)
    given: dict[str, n.Arg] = {}
    for arg in call.args:
        _slot_value(ctx, arg, sym.name, slots, given)


def _slot_value(ctx: Ctx, arg: n.Arg, intent: str, slots, given: dict[str, n.Arg]) -> None:
    if arg.name is None:
        hint = next(iter(slots), "slot")
        ctx.sink.report("E0408", arg.span, "slot values must be named", label="positional value",
                        help=f"name it: `{hint} = ...`")
        return
    name = arg.name.value
    if not first_time(ctx, arg.name, {k: a.name for k, a in given.items()}):
        return
    given[name] = arg
    slot = slots.get(name)
    if slot is not None:
        check_value(ctx, arg.value, slot.type, slot.constraints)
        return
    ctx.sink.report("E0204", arg.name.span, f"intent `{intent}` has no slot `{name}`",
                    label="not a slot", help=did_you_mean(name, slots)
                    or (f"its slots are {all_of(slots)}" if slots else f"`{intent}` declares no slots"))
