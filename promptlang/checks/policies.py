"""Policies: their rules are checked where written, then judged against every prompt they
apply to (through `apply` anywhere in the project, or a prompt's own `policies`)."""

from __future__ import annotations

import attrs

from promptlang.annotations import check_regex
from promptlang.checks import settings as s
from promptlang.checks.context import Ctx
from promptlang.checks.values import dotted_parts
from promptlang.diagnostics.model import Severity
from promptlang.diagnostics.sink import Sink
from promptlang.syntax import nodes as n

SUBJECTS = ("input", "output")
PROMPT_FIELDS = ("owner", "description", "version")
MODEL_SETTINGS = ("provider", "name", "temperature", "top_p", "max_tokens", "timeout", "retries",
                  "seed", "top_k", "base_url")
RULE_FORMS = ("`forbid pii in prompt`, `forbid secret in prompt`, `deny output matches /re/`, "
              "`deny words [\"a\"] in output`, `require model.max_tokens <= 1024`, `require owner`, "
              "`require tests >= 1`")


@attrs.frozen
class PolicyRule:
    """One understood rule: `kind` is forbid, deny_match, deny_words, require_model,
    require_field or require_tests."""

    kind: str
    rule: n.Rule
    subject: str = ""
    op: str = ""
    value: object = None


def check_policy(ctx: Ctx, decl: n.Policy) -> None:
    body = s.sort_entries(ctx, decl.entries, f"policy `{decl.name.value}`",
                          keys=("severity", "description"), rules=("forbid", "deny", "require"))
    if "severity" in body.settings:
        s.expect_word(ctx, body.settings["severity"].value, "severity", ("error", "warning"))
    if "description" in body.settings:
        s.expect_string(ctx, body.settings["description"].value, "description")
    for rule in body.rules:
        interpret(rule, ctx.sink)


def check_apply(ctx: Ctx, decl: n.ApplyPolicy) -> None:
    ctx.program.lookup(ctx.scope, decl.policy.parts, {"policy"}, "a policy", ctx.sink)
    for target in decl.targets or ():
        ctx.program.lookup(ctx.scope, target.parts, {"prompt"}, "a prompt", ctx.sink)


def interpret(rule: n.Rule, sink: Sink) -> PolicyRule | None:
    """What a rule means, or None after an E0506 saying which forms exist."""
    handler = {"forbid": _forbid, "deny": _deny, "require": _require}[rule.keyword.value]
    result = handler(rule, rule.expr, sink)
    if result is None:
        sink.report("E0506", rule.expr.span, f"popsc does not understand this `{rule.keyword.value}` rule",
                    label="not a policy rule", help="rules are " + RULE_FORMS)
    return result


def _forbid(rule, e, sink):
    if (isinstance(e, n.Compare) and e.op == "in" and isinstance(e.left, n.Ident)
            and e.left.name in ("pii", "secret") and isinstance(e.right, n.Ident) and e.right.name == "prompt"):
        return PolicyRule("forbid", rule, subject=e.left.name)
    return None


def _deny(rule, e, sink):
    if isinstance(e, n.Compare) and e.op == "matches" and _subject(e.left) and isinstance(e.right, n.Regex):
        check_regex(e.right.pattern, e.right.flags, e.right.span, sink)
        return PolicyRule("deny_match", rule, subject=e.left.name, value=e.right)
    if (isinstance(e, n.Compare) and e.op == "in" and isinstance(e.left, n.Apply)
            and e.left.word.value == "words" and _subject(e.right)):
        words = e.left.arg
        if isinstance(words, n.ListExpr) and words.items and all(isinstance(w, n.Str) for w in words.items):
            return PolicyRule("deny_words", rule, subject=e.right.name, value=words)
    return None


def _subject(expr) -> bool:
    return isinstance(expr, n.Ident) and expr.name in SUBJECTS


def _require(rule, e, sink):
    if isinstance(e, n.Ident) and e.name in PROMPT_FIELDS:
        return PolicyRule("require_field", rule, subject=e.name)
    if not isinstance(e, n.Compare):
        return None
    if isinstance(e.left, n.Ident) and e.left.name == "tests" and e.op in (">=", ">") and isinstance(e.right, n.Int):
        return PolicyRule("require_tests", rule, op=e.op, value=e.right.value)
    parts = dotted_parts(e.left)
    if parts and len(parts) == 2 and parts[0].value == "model":
        if parts[1].value not in MODEL_SETTINGS:
            sink.report("E0506", parts[1].span, f"policies cannot require model setting `{parts[1].value}`",
                        label="not a model setting policies read",
                        help="model settings are " + ", ".join(f"`{k}`" for k in MODEL_SETTINGS))
            return PolicyRule("invalid", rule)
        return _require_model(rule, parts[1].value, e, sink)
    return None


_REQUIRE_OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
# what kind of literal each model setting is compared with
_SETTING_KINDS = {"provider": "string", "name": "string", "base_url": "string",
                  "timeout": "duration", "temperature": "number", "top_p": "number",
                  "max_tokens": "number", "retries": "number", "seed": "number", "top_k": "number"}
_KIND_NODES = {"string": (n.Str,), "duration": (n.Duration,), "number": (n.Int, n.Float)}


def _require_model(rule, setting: str, e: n.Compare, sink: Sink) -> PolicyRule | None:
    if e.op not in _REQUIRE_OPS:
        sink.report("E0506", e.op_span, f"`require model.{setting}` cannot use `{e.op.replace('_', ' ')}`",
                    label="not a comparison policies evaluate",
                    help="use `==`, `!=`, `<`, `<=`, `>`, `>=`, `in` or `not in`")
        return PolicyRule("invalid", rule)
    kind = _SETTING_KINDS[setting]
    items = e.right.items if e.op in ("in", "not_in") and isinstance(e.right, n.ListExpr) else (e.right,)
    if e.op in ("in", "not_in") and not isinstance(e.right, n.ListExpr):
        sink.report("E0506", e.right.span, f"`{e.op.replace('_', ' ')}` takes a list here",
                    label="not a list", help=f'write `require model.{setting} in ["a", "b"]`')
        return PolicyRule("invalid", rule)
    for item in items:
        if not isinstance(item, _KIND_NODES[kind]):
            sink.report("E0506", item.span, f"`model.{setting}` is a {kind}, so it cannot be compared with this",
                        label=f"expected a {kind}", help=f"compare `model.{setting}` with a {kind} literal")
            return PolicyRule("invalid", rule)
    return PolicyRule("require_model", rule, subject=setting, op=e.op, value=literal_value(e.right))


_NOT_LITERAL = object()


def literal_value(expr):
    """The Python value of a literal, for comparing settings; lists of literals too."""
    if isinstance(expr, (n.Str, n.Int, n.Float, n.Bool)):
        return expr.value
    if isinstance(expr, n.Duration):
        return expr.ms
    if isinstance(expr, n.Percent):
        return expr.value
    if isinstance(expr, n.ListExpr):
        items = [literal_value(i) for i in expr.items]
        return _NOT_LITERAL if _NOT_LITERAL in items else items
    return _NOT_LITERAL


def compare(op: str, left, right) -> bool | None:
    """`left op right`, or None when the two cannot be compared."""
    try:
        return {
            "==": lambda: left == right, "!=": lambda: left != right,
            "<": lambda: left < right, "<=": lambda: left <= right,
            ">": lambda: left > right, ">=": lambda: left >= right,
            "in": lambda: left in right, "not_in": lambda: left not in right,
        }[op]()
    except (TypeError, KeyError):
        return None


def severity_of(decl: n.Policy) -> Severity:
    for entry in decl.entries:
        if isinstance(entry, n.Setting) and entry.key.value == "severity":
            if isinstance(entry.value, n.Ident) and entry.value.name == "warning":
                return Severity.WARNING
    return Severity.ERROR
