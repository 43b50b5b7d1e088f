"""Models and policies as the runtime objects the SDK passes to `promptlang.runtime`:
`ModelConfig(...)` and `Policy(...)` calls, written out as source."""

from __future__ import annotations

import attrs

from promptlang import ir
from promptlang.emit.python.layout import ModuleScope
from promptlang.emit.python.layout import has_runtime_rules
from promptlang.emit.python.literals import py_literal
from promptlang.emit.python.literals import wrapped
from promptlang.runtime.config import ModelConfig

# Settings that ModelConfig takes as they are (`stop` becomes a tuple).
_PASSED = tuple(f.name for f in attrs.fields(ModelConfig)
                if f.name not in ("provider", "name", "api_key_env", "fallback"))


@attrs.frozen
class Assignment:
    """`name = <source>` at module level, with a comment above it when there is one."""

    name: str
    source: str
    comment: tuple[str, ...] = ()


def model_assignment(model: ir.ModelIR, scope: ModuleScope) -> Assignment:
    args = [f"provider={py_literal(model.provider)}"]
    if model.model is not None:
        args.append(f"name={py_literal(model.model)}")
    for key in _PASSED:
        if key in model.settings:
            value = model.settings[key]
            args.append(f"{key}={py_literal(tuple(value) if isinstance(value, list) else value)}")
    comment: tuple[str, ...] = ()
    key = model.api_key
    if key is not None and key.source == "env":
        args.append(f"api_key_env={py_literal(key.name)}")
    elif key is not None:
        comment = (f"# The API key is in Vault ({key.path}, key {key.key}); the runtime reads",
                   "# keys from environment variables only: pass a ModelConfig with",
                   "# api_key_env set to where your deployment puts it.")
    if model.fallback:
        args.append(f"fallback={tuple_source([scope.ref(q) for q in model.fallback])}")
    return Assignment(scope.ref(model.qname), call_source("_rt.ModelConfig", args), comment)


def policy_assignment(policy: ir.PolicyIR, scope: ModuleScope) -> Assignment:
    rules = [_rule(r) for r in policy.rules if r.kind in ("deny_match", "deny_words")]
    args = [py_literal(policy.qname), wrapped("(", rules, ")", 4, 70)]
    if policy.severity != "error":
        args.append(f"severity={py_literal(policy.severity)}")
    return Assignment(scope.ref(policy.qname), call_source("_rt.Policy", args))


def _rule(rule: ir.PolicyRuleIR) -> str:
    subject = py_literal(rule.subject or "output")
    if rule.kind == "deny_match":
        flags = f", {py_literal(rule.flags)}" if rule.flags else ""
        return f"_rt.DenyPattern({subject}, {py_literal(str(rule.value))}{flags})"
    return f"_rt.DenyWords({subject}, {py_literal(tuple(rule.value or ()), 8)})"


def tuple_source(items: list[str]) -> str:
    """`(a,)`, `(a, b)` or `()` of item sources."""
    return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def call_source(function: str, args: list[str]) -> str:
    one = f"{function}({', '.join(args)})"
    if len(one) <= 88:
        return one
    return function + "(\n" + "".join(f"    {a},\n" for a in args) + ")"


def runtime_policies(program: ir.ProgramIR) -> dict[str, ir.PolicyIR]:
    """The policies the SDK enforces, by qualified name."""
    return {p.qname: p for p in program.policies if has_runtime_rules(p)}
