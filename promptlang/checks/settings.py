"""Generic block bodies: sort entries by kind and check each setting's value shape."""

from __future__ import annotations

import typing as t

import attrs

from promptlang.checks.context import Ctx
from promptlang.checks.values import describe
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.syntax import nodes as n

_ENTRY_WORDS = {n.Setting: "setting", n.Field: "field", n.Block: "block", n.Rule: "rule",
                n.Mapping: "`\"text\" -> target` line"}


@attrs.define
class Body:
    """A block's entries sorted by kind; settings by key."""

    settings: dict[str, n.Setting] = attrs.Factory(dict)
    blocks: list[n.Block] = attrs.Factory(list)
    rules: list[n.Rule] = attrs.Factory(list)
    fields: list[n.Field] = attrs.Factory(list)
    mappings: list[n.Mapping] = attrs.Factory(list)


def sort_entries(ctx: Ctx, entries, where: str, *, keys: t.Iterable[str] = (),
                 blocks: t.Iterable[str] = (), rules: t.Iterable[str] = (),
                 fields: bool = False, mappings: bool = False) -> Body:
    """Entries of a block, each unknown or misplaced one reported once."""
    keys, blocks, rules = set(keys), set(blocks), set(rules)
    body = Body()
    for entry in entries:
        if isinstance(entry, n.Setting):
            _take_setting(ctx, entry, body, keys, where, blocks | rules)
        elif isinstance(entry, n.Block) and entry.kind.value in blocks:
            body.blocks.append(entry)
        elif isinstance(entry, n.Rule) and entry.keyword.value in rules:
            body.rules.append(entry)
        elif isinstance(entry, n.Field) and fields:
            body.fields.append(entry)
        elif isinstance(entry, n.Mapping) and mappings:
            body.mappings.append(entry)
        else:
            _misplaced(ctx, entry, where, keys, blocks, rules)
    return body


def _take_setting(ctx, entry, body, keys, where, others) -> None:
    key = entry.key.value
    if key not in keys:
        help = did_you_mean(key, keys)
        if key in others:
            help = f"`{key}` is not written with `=` here: `{key} ...`"
        ctx.sink.report("E0305", entry.key.span, f"unknown setting `{key}` in {where}",
                        label="not a setting here", help=help or _known(keys))
    elif key in body.settings:
        ctx.sink.report("E0210", entry.key.span, f"`{key}` is set twice",
                        label="set again here",
                        secondary=(Label(body.settings[key].key.span, "first set here"),),
                        help="keep one of them")
    else:
        body.settings[key] = entry


def _known(keys) -> str | None:
    return ("settings here are " + ", ".join(f"`{k}`" for k in sorted(keys))) if keys else None


def _misplaced(ctx, entry, where, keys, blocks, rules) -> None:
    word = _ENTRY_WORDS[type(entry)]
    if isinstance(entry, n.Block):
        name = entry.kind.value
        help = did_you_mean(name, blocks) or (f"`{name}` is a setting: `{name} = ...`" if name in keys else None)
        ctx.sink.report("E0318", entry.kind.span, f"unexpected block `{name}` in {where}",
                        label="not a block here", help=help or _allowed(blocks, "blocks"))
    elif isinstance(entry, n.Rule):
        name = entry.keyword.value
        help = did_you_mean(name, rules | keys)
        if name in keys:
            help = f"write `{name} = ...`"
        ctx.sink.report("E0318", entry.keyword.span, f"unexpected `{name}` line in {where}",
                        label=f"`{name}` means nothing here", help=help or _allowed(rules, "rules"))
    elif isinstance(entry, n.Field):
        name = entry.name.value
        help = f"settings are written `{name} = value`" if name in keys else None
        ctx.sink.report("E0318", entry.name.span, f"unexpected field `{name}` in {where}",
                        label="fields are declared only in records, parameters and `slots`", help=help)
    else:
        ctx.sink.report("E0318", entry.span, f"unexpected {word} in {where}",
                        label=f"{word}s belong in `test intents` blocks")


def _allowed(names, what) -> str | None:
    return (f"{what} here are " + ", ".join(f"`{x}`" for x in sorted(names))) if names else None


def require(ctx: Ctx, body: Body, key: str, owner: n.Name, where: str, example: str) -> n.Setting | None:
    setting = body.settings.get(key)
    if setting is None:
        ctx.sink.report("E0306", owner.span, f"{where} has no `{key}`",
                        label=f"`{key}` is required", help=f"add `{example}`")
    return setting


# ---- value shapes -------------------------------------------------------------


def expect_string(ctx: Ctx, expr, what: str) -> str | None:
    if isinstance(expr, n.Str):
        return expr.value
    _shape(ctx, expr, what, "a string", '"..."')
    return None


def expect_number(ctx: Ctx, expr, what: str, lo=None, hi=None, integer=False):
    ok = isinstance(expr, n.Int) or (not integer and isinstance(expr, n.Float))
    if not ok:
        _shape(ctx, expr, what, "a whole number" if integer else "a number", "1" if integer else "0.5")
        return None
    if (lo is not None and expr.value < lo) or (hi is not None and expr.value > hi):
        bounds = f"from {lo} to {hi}" if hi is not None else f"{lo} or more"
        ctx.sink.report("E0307", expr.span, f"`{what}` must be {bounds}, found {expr.value}",
                        label="out of range")
        return None
    return expr.value


def expect_duration(ctx: Ctx, expr, what: str):
    if isinstance(expr, n.Duration):
        if expr.ms <= 0:
            ctx.sink.report("E0307", expr.span, f"`{what}` must be longer than zero", label="not positive")
        return expr.ms
    _shape(ctx, expr, what, "a duration", "30s")
    return None


def expect_percent(ctx: Ctx, expr, what: str):
    if isinstance(expr, n.Percent):
        if not 0 <= expr.value <= 100:
            ctx.sink.report("E0307", expr.span, f"`{what}` must be from 0% to 100%", label="out of range")
        return expr.value
    _shape(ctx, expr, what, "a percentage", "70%")
    return None


def expect_bool(ctx: Ctx, expr, what: str):
    if isinstance(expr, n.Bool):
        return expr.value
    _shape(ctx, expr, what, "`true` or `false`", "true")
    return None


def expect_list(ctx: Ctx, expr, what: str):
    if isinstance(expr, n.ListExpr):
        return expr.items
    _shape(ctx, expr, what, "a list", "[a, b]")
    return None


def expect_word(ctx: Ctx, expr, what: str, choices) -> str | None:
    """A bare word from a fixed set (`severity = error`)."""
    if isinstance(expr, n.Ident) and expr.name in choices:
        return expr.name
    name = expr.name if isinstance(expr, n.Ident) else (expr.value if isinstance(expr, n.Str) else None)
    help = did_you_mean(name, choices) if name else None
    if name in choices:
        help = f"write it bare: `{name}`"
    ctx.sink.report("E0301", expr.span, f"`{what}` must be one of " + ", ".join(f"`{c}`" for c in choices),
                    label=f"found {describe(expr)}", help=help)
    return None


def _shape(ctx: Ctx, expr, what: str, wanted: str, example: str) -> None:
    ctx.sink.report("E0301", expr.span, f"`{what}` must be {wanted}, found {describe(expr)}",
                    label=f"expected {wanted}", help=f"for example `{what} = {example}`")
