"""Judge every prompt against the static rules of the policies that apply to it."""

from __future__ import annotations

from promptlang.checks.policies import compare
from promptlang.checks.policies import interpret
from promptlang.checks.policies import literal_value
from promptlang.checks.policies import severity_of
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.syntax import nodes as n

_SHOW_OP = {"not_in": "not in"}


def judge(program, leaks: dict[str, list], sink: Sink) -> None:
    """Report each static policy rule a prompt breaks, with the policy's severity."""
    scratch = Sink()
    applied = applied_policies(program, scratch)
    tests = _test_counts(program, scratch)
    for prompt_q in sorted(applied):
        prompt = program.symbols[prompt_q]
        for policy_q in sorted(applied[prompt_q]):
            policy = program.symbols[policy_q]
            for entry in policy.decl.entries:
                if isinstance(entry, n.Rule) and entry.keyword.value in ("forbid", "require"):
                    rule = interpret(entry, scratch)
                    if rule is not None:
                        _judge_rule(program, prompt, policy, rule, leaks, tests, sink)


def _project_prompts(program):
    return [s for q, s in sorted(program.symbols.items()) if s.kind == "prompt" and not s.module.startswith("std.")]


def applied_policies(program, scratch: Sink) -> dict[str, set[str]]:
    applied: dict[str, set[str]] = {s.qname: set() for s in _project_prompts(program)}
    for scope in program.scopes.values():
        for decl in scope.ast.decls:
            if isinstance(decl, n.ApplyPolicy):
                _apply(program, scope, decl, applied, scratch)
    for prompt in _project_prompts(program):
        scope = program.scopes[prompt.module]
        for entry in prompt.decl.entries:
            if isinstance(entry, n.Setting) and entry.key.value == "policies" and isinstance(entry.value, n.ListExpr):
                for item in entry.value.items:
                    policy = _lookup(program, scope, item, "policy", scratch)
                    if policy:
                        applied[prompt.qname].add(policy.qname)
    return applied


def _apply(program, scope, decl: n.ApplyPolicy, applied, scratch) -> None:
    policy = program.lookup(scope, decl.policy.parts, {"policy"}, "a policy", scratch)
    if policy is None:
        return
    if decl.targets is None:
        targets = list(applied)
    else:
        found = [program.lookup(scope, t.parts, {"prompt"}, "a prompt", scratch) for t in decl.targets]
        targets = [s.qname for s in found if s is not None and s.qname in applied]
    for target in targets:
        applied[target].add(policy.qname)


def _lookup(program, scope, expr, kind, scratch):
    parts = dotted_parts(expr)
    return parts and program.lookup(scope, parts, {kind}, kind, scratch)


def _test_counts(program, scratch) -> dict[str, int]:
    counts: dict[str, int] = {}
    for scope in program.scopes.values():
        for decl in scope.ast.decls:
            if isinstance(decl, n.Test):
                target = program.lookup(scope, decl.target.parts, {"prompt"}, "a prompt", scratch)
                if target is not None:
                    counts[target.qname] = counts.get(target.qname, 0) + 1
    return counts


def _judge_rule(program, prompt, policy, rule, leaks, tests, sink) -> None:
    severity = severity_of(policy.decl)
    because = Label(rule.rule.span, f"required by policy `{policy.name}`")
    where = f"prompt `{prompt.name}`"
    if rule.kind == "forbid":
        code = "E0501" if rule.subject == "pii" else "E0502"
        for leak in leaks.get(prompt.qname, ()):
            if leak.kind == rule.subject:
                _forbidden(sink, code, severity, leak, where, because)
    elif rule.kind == "require_field":
        _require_field(sink, prompt, rule, severity, because)
    elif rule.kind == "require_tests":
        count = tests.get(prompt.qname, 0)
        if not compare(rule.op, count, rule.value):
            sink.report("E0505", prompt.decl.name.span,
                        f"{where} has {count} test{'s' if count != 1 else ''}; policy `{policy.name}` requires {rule.op} {rule.value}",
                        label="too few tests", secondary=(because,), severity=severity,
                        help=f'add `test "..." for {prompt.name} {{ given {{ ... }} expect ... }}`')
    elif rule.kind == "require_model":
        _require_model(program, sink, prompt, rule, severity, because)


def _forbidden(sink, code, severity, leak, where, because) -> None:
    if leak.kind == "pii":
        sink.report(code, leak.span, f"{where} interpolates `@pii` value {leak.what} without `| redact`",
                    label="personal data sent to the model", secondary=(because,), severity=severity,
                    help=f"redact it: {leak.fix or _redacted(leak.what)}")
    else:
        sink.report(code, leak.span, f"{where} interpolates `@secret` value {leak.what}",
                    label="a secret sent to the model", secondary=(because,), severity=severity,
                    help="secrets must never reach a prompt; remove this interpolation")


def _redacted(what: str) -> str:
    return f"`{{{{ {what.strip('`')} | redact }}}}`"


def _require_field(sink, prompt, rule, severity, because) -> None:
    for entry in prompt.decl.entries:
        if isinstance(entry, n.Setting) and entry.key.value == rule.subject:
            return
    code = "E0504" if rule.subject == "owner" else "E0503"
    example = {"owner": 'owner = "team-name"', "description": 'description = "..."',
               "version": 'version = "1.0.0"'}[rule.subject]
    sink.report(code, prompt.decl.name.span, f"prompt `{prompt.name}` has no `{rule.subject}`",
                label=f"`{rule.subject}` is required", secondary=(because,), severity=severity,
                help=f"add `{example}`")


def _require_model(program, sink, prompt, rule, severity, because) -> None:
    scope = program.scopes[prompt.module]
    model_setting = next((e for e in prompt.decl.entries
                          if isinstance(e, n.Setting) and e.key.value == "model"), None)
    model = model_setting and _lookup(program, scope, model_setting.value, "model", Sink())
    if model is None:
        return
    setting = next((e for e in model.decl.entries
                    if isinstance(e, n.Setting) and e.key.value == rule.subject), None)
    shown = f"{rule.subject} {_SHOW_OP.get(rule.op, rule.op)} {_show_setting(rule.rule.expr.right)}"
    if setting is None:
        sink.report("E0503", model_setting.value.span,
                    f"model `{model.name}` of prompt `{prompt.name}` does not set `{rule.subject}`",
                    label=f"policy requires `{shown}`", secondary=(because,), severity=severity,
                    help=f"set `{rule.subject}` in model `{model.name}`")
        return
    value = literal_value(setting.value)
    if compare(rule.op, value, rule.value) is False:
        sink.report("E0503", model_setting.value.span,
                    f"prompt `{prompt.name}` uses model `{model.name}` with `{rule.subject} = {_show_setting(setting.value)}`, "
                    f"but policy requires `{shown}`",
                    label="breaks the policy", severity=severity,
                    secondary=(Label(setting.value.span, "set here"), because),
                    help=f"change `{rule.subject}` of model `{model.name}` or use another model")


def _show_setting(expr) -> str:
    """A literal as it is written in the source (`30s`, not milliseconds)."""
    if isinstance(expr, n.Duration):
        return expr.text
    if isinstance(expr, n.ListExpr):
        return "[" + ", ".join(_show_setting(i) for i in expr.items) + "]"
    return _show(literal_value(expr))


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
