"""Prompts and templates: parameters, output type, settings, message blocks, template bodies."""

from __future__ import annotations

import re

from promptlang.checks import settings as s
from promptlang.checks.context import Ctx
from promptlang.checks.declarations import check_defaults
from promptlang.checks.templates import Binding
from promptlang.checks.templates import check_template
from promptlang.checks.values import describe
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.syntax import nodes as n

ROLES = ("system", "user", "assistant")
PROMPT_KEYS = ("version", "model", "owner", "description", "policies", "tags")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def check_template_decl(ctx: Ctx, decl: n.Template) -> None:
    params = ctx.program.fields_of(ctx.scope, decl.params, ctx.sink)
    check_defaults(ctx, params)
    check_template(ctx, decl.body, _bindings(params))


def check_prompt(ctx: Ctx, decl: n.Prompt) -> list:
    """Check a prompt; returns the leaks (interpolated `@pii`/`@secret` values) that
    policies judge later, once it is known which policies apply."""
    params = ctx.program.fields_of(ctx.scope, decl.params, ctx.sink)
    check_defaults(ctx, params)
    if decl.output is not None:
        ctx.program.resolve_type(ctx.scope, decl.output, ctx.sink)
    where = f"prompt `{decl.name.value}`"
    body = s.sort_entries(ctx, decl.entries, where, keys=PROMPT_KEYS, rules=ROLES)
    _check_settings(ctx, decl, body)
    _check_message_order(ctx, decl, body.rules)
    bindings = _bindings(params)
    leaks = []
    for rule in body.rules:
        if _is_message_text(ctx, rule):
            leaks.extend(check_template(ctx, rule.expr, bindings))
    return leaks


def _bindings(params) -> dict[str, Binding]:
    return {name: Binding(field.type, field.constraints) for name, field in params.items()}


def _check_settings(ctx: Ctx, decl: n.Prompt, body: s.Body) -> None:
    model = s.require(ctx, body, "model", decl.name, f"prompt `{decl.name.value}`", "model = fast")
    if model is not None:
        _reference(ctx, model.value, "model", {"model"}, "a model")
    version = body.settings.get("version")
    if version is not None:
        text = s.expect_string(ctx, version.value, "version")
        if text is not None and not SEMVER.match(text):
            ctx.sink.report("E0312", version.value.span, f"`{text}` is not a semantic version",
                            label="expected MAJOR.MINOR.PATCH", help='write it like `version = "1.0.0"`')
    for key in ("owner", "description"):
        if key in body.settings:
            s.expect_string(ctx, body.settings[key].value, key)
    if "policies" in body.settings:
        for item in s.expect_list(ctx, body.settings["policies"].value, "policies") or ():
            _reference(ctx, item, "policies", {"policy"}, "a policy")
    if "tags" in body.settings:
        for item in s.expect_list(ctx, body.settings["tags"].value, "tags") or ():
            s.expect_string(ctx, item, "tags")


def _reference(ctx: Ctx, expr, key: str, kinds, what: str):
    parts = dotted_parts(expr)
    if parts is None:
        ctx.sink.report("E0301", expr.span, f"`{key}` names {what}, found {describe(expr)}",
                        label=f"expected {what}",
                        help="write the name without quotes" if isinstance(expr, n.Str) else None)
        return None
    return ctx.program.lookup(ctx.scope, parts, kinds, what, ctx.sink)


def _is_message_text(ctx: Ctx, rule: n.Rule) -> bool:
    if isinstance(rule.expr, n.Str) and rule.for_ is None:
        return True
    ctx.sink.report("E0311", rule.expr.span, f"a `{rule.keyword.value}` message must be a string",
                    label=f"found {describe(rule.expr)}",
                    help=f'write `{rule.keyword.value} """..."""`')
    return False


def _check_message_order(ctx: Ctx, decl: n.Prompt, rules: list[n.Rule]) -> None:
    for index, rule in enumerate(rules):
        if rule.keyword.value == "system" and index > 0:
            ctx.sink.report("E0311", rule.keyword.span, "the `system` message must come first",
                            label="after another message",
                            secondary=(Label(rules[0].keyword.span, "first message"),),
                            help="move this block above the other messages")
    if not any(r.keyword.value == "user" for r in rules):
        ctx.sink.report("E0311", decl.name.span, f"prompt `{decl.name.value}` has no `user` message",
                        label="no `user` block", help='add `user """..."""` with what the model answers')
