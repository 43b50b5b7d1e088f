"""Model settings, checked per provider: known keys, value kinds, ranges, references."""

from __future__ import annotations

import re

from promptlang.checks import settings as s
from promptlang.checks.context import Ctx
from promptlang.checks.values import describe
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.syntax import nodes as n

PROVIDERS = ("openai", "anthropic", "azure_openai", "ollama", "openai_compatible", "replay")
COMMON = ("provider", "name", "temperature", "top_p", "max_tokens", "timeout", "retries",
          "api_key", "fallback", "stop", "description")
EXTRA = {
    "openai": ("base_url", "seed", "organization"),
    "anthropic": ("top_k", "base_url"),
    "azure_openai": ("base_url", "seed", "deployment", "api_version"),
    "ollama": ("base_url", "seed"),
    "openai_compatible": ("base_url", "seed"),
    "replay": ("recordings",),
}
REQUIRED = {"openai_compatible": ("base_url",), "azure_openai": ("deployment", "base_url")}
ALL_KEYS = set(COMMON).union(*EXTRA.values())


def check_model(ctx: Ctx, decl: n.Model) -> None:
    body = s.sort_entries(ctx, decl.entries, f"model `{decl.name.value}`", keys=ALL_KEYS)
    provider = _provider(ctx, decl, body)
    if provider is not None:
        _provider_keys(ctx, decl, body, provider)
    for key, setting in body.settings.items():
        _CHECKS.get(key, _string)(ctx, setting.value, key, provider)


def _provider(ctx: Ctx, decl: n.Model, body: s.Body) -> str | None:
    setting = s.require(ctx, body, "provider", decl.name, f"model `{decl.name.value}`",
                        'provider = "openai"')
    if setting is None:
        return None
    value = s.expect_string(ctx, setting.value, "provider")
    if value is not None and value not in PROVIDERS:
        ctx.sink.report("E0301", setting.value.span, f"unknown provider `{value}`",
                        label="not a provider popsc knows",
                        help=did_you_mean(value, PROVIDERS) or "providers are " + ", ".join(PROVIDERS))
        return None
    return value


def _provider_keys(ctx: Ctx, decl: n.Model, body: s.Body, provider: str) -> None:
    allowed = set(COMMON) | set(EXTRA[provider])
    for key, setting in body.settings.items():
        if key not in allowed:
            takers = [p for p in PROVIDERS if key in EXTRA[p]]
            ctx.sink.report("E0305", setting.key.span, f"`{key}` is not a setting of provider `{provider}`",
                            label=f"not for `{provider}`",
                            help="it belongs to " + ", ".join(f"`{p}`" for p in takers))
    where = f"model `{decl.name.value}`"
    if provider != "replay":
        s.require(ctx, body, "name", decl.name, where, 'name = "gpt-4o-mini"')
    for key in REQUIRED.get(provider, ()):
        s.require(ctx, body, key, decl.name, where, f'{key} = "..."')


def _string(ctx, expr, key, provider):
    s.expect_string(ctx, expr, key)


def _temperature(ctx, expr, key, provider):
    s.expect_number(ctx, expr, key, 0, 1 if provider == "anthropic" else 2)


def _unit(ctx, expr, key, provider):
    s.expect_number(ctx, expr, key, 0, 1)


def _max_tokens(ctx, expr, key, provider):
    s.expect_number(ctx, expr, key, 1, 1_000_000, integer=True)


def _retries(ctx, expr, key, provider):
    s.expect_number(ctx, expr, key, 0, 10, integer=True)


def _count(ctx, expr, key, provider):
    s.expect_number(ctx, expr, key, 0, None, integer=True)


def _timeout(ctx, expr, key, provider):
    s.expect_duration(ctx, expr, key)


def _stop(ctx, expr, key, provider):
    for item in s.expect_list(ctx, expr, key) or ():
        s.expect_string(ctx, item, "stop")


def _api_key(ctx, expr, key, provider):
    if isinstance(expr, n.Str):
        ctx.sink.report("E0310", expr.span, "an API key is written as a value",
                        label="secrets must not be written in sources",
                        help='read it from the environment: `api_key = env("OPENAI_API_KEY")` '
                             'or from Vault: `vault("secret/data/llm", "openai")`')
        return
    check_reference(ctx, expr, key)


def _fallback(ctx, expr, key, provider):
    for item in s.expect_list(ctx, expr, key) or ():
        parts = dotted_parts(item)
        if parts is None:
            ctx.sink.report("E0301", item.span, f"`fallback` lists models, found {describe(item)}",
                            label="expected a model name")
            continue
        ctx.program.lookup(ctx.scope, parts, {"model"}, "a model", ctx.sink)


def check_reference(ctx: Ctx, expr, key: str) -> None:
    """`env("NAME")` or `vault("path", "key")`: where a secret comes from, never its value."""
    call = expr if isinstance(expr, n.Call) and isinstance(expr.func, n.Ident) else None
    shapes = {"env": 1, "vault": 2}
    if call is None or call.func.name not in shapes:
        ctx.sink.report("E0301", expr.span, f"`{key}` must be `env(\"NAME\")` or `vault(\"path\", \"key\")`",
                        label=f"found {describe(expr)}")
        return
    check_builtin_call(ctx, call)


def check_builtin_call(ctx: Ctx, call: n.Call) -> bool:
    """`env`, `vault` and `file` take string literals: one, two and one."""
    name = call.func.name
    count = {"env": 1, "vault": 2, "file": 1}[name]
    shape = {"env": 'env("NAME")', "vault": 'vault("path", "key")', "file": 'file("relative/path")'}[name]
    if len(call.args) != count or any(a.name is not None or not isinstance(a.value, n.Str) for a in call.args):
        ctx.sink.report("E0315", call.span, f"`{name}` takes {count} string argument{'s' if count > 1 else ''}",
                        label="wrong arguments", help=f"write `{shape}`")
        return False
    if name == "env" and not _ENV_NAME.match(call.args[0].value.value):
        ctx.sink.report("E0315", call.args[0].span, "`env` takes the name of an environment variable",
                        label="not a variable name", help='write it like `env("OPENAI_API_KEY")`')
        return False
    if any(not a.value.value.strip() for a in call.args):
        ctx.sink.report("E0315", call.span, f"`{name}` arguments must not be empty",
                        label="empty", help=f"write `{shape}`")
        return False
    return True


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


_CHECKS = {
    "temperature": _temperature, "top_p": _unit, "max_tokens": _max_tokens, "retries": _retries,
    "timeout": _timeout, "api_key": _api_key, "fallback": _fallback, "stop": _stop,
    "seed": _count, "top_k": _count,
}


def check_fallback_cycles(program, sink: Sink) -> None:
    """Report each cycle of `fallback` references once, on its first model."""
    edges = _fallback_edges(program)
    for start in sorted(edges):
        cycle = _cycle_from(edges, start)
        if cycle is None or min(cycle) != start:
            continue
        sym = program.symbols[start]
        names = [program.symbols[q].name for q in cycle] + [sym.name]
        secondary = tuple(Label(program.symbols[q].decl.name.span, "on the cycle") for q in cycle[1:])
        sink.report("E0319", sym.decl.name.span,
                    "models fall back in a cycle: " + " -> ".join(f"`{x}`" for x in names),
                    label="this model", secondary=secondary,
                    help="a fallback chain must end in a model without `fallback`")


def _fallback_edges(program) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {}
    scratch = Sink()
    for qname, sym in program.symbols.items():
        if sym.kind != "model":
            continue
        scope = program.scopes[sym.module]
        targets = []
        for entry in sym.decl.entries:
            if isinstance(entry, n.Setting) and entry.key.value == "fallback" and isinstance(entry.value, n.ListExpr):
                for item in entry.value.items:
                    parts = dotted_parts(item)
                    found = parts and program.lookup(scope, parts, {"model"}, "a model", scratch)
                    if found:
                        targets.append(found.qname)
        edges[qname] = targets
    return edges


def _cycle_from(edges, start):
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in edges.get(node, ()):
            if nxt == start:
                return path
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None
