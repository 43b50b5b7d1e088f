"""The checks, one concern per module; `check_module` runs the per-module ones and
`check_program` the few that need the whole program at once."""

from __future__ import annotations

from promptlang.checks.context import Ctx
from promptlang.diagnostics.sink import Sink
from promptlang.syntax import nodes as n


def _handlers():
    from promptlang.checks import declarations
    from promptlang.checks import environments
    from promptlang.checks import intents
    from promptlang.checks import models
    from promptlang.checks import policies
    from promptlang.checks import prompts
    from promptlang.checks import tests

    return {
        n.Record: declarations.check_record,
        n.Model: models.check_model,
        n.Template: prompts.check_template_decl,
        n.Prompt: prompts.check_prompt,
        n.Intent: intents.check_intent,
        n.Test: tests.check_test,
        n.IntentTests: tests.check_intent_tests,
        n.Policy: policies.check_policy,
        n.ApplyPolicy: policies.check_apply,
        n.Environment: environments.check_environment,
    }


def check_module(program, scope) -> dict[str, list]:
    """Check one module's declarations; returns the leaks of each of its prompts."""
    ctx = Ctx(program, scope, scope.sink)
    handlers = _handlers()
    leaks: dict[str, list] = {}
    for decl in scope.ast.decls:
        handler = handlers.get(type(decl))
        if handler is None:
            continue
        result = handler(ctx, decl)
        if isinstance(decl, n.Prompt):
            leaks[f"{scope.module}.{decl.name.value}"] = result
    from promptlang.checks.imports import check_unused_imports

    check_unused_imports(ctx)
    return leaks


def check_program(program, sink: Sink, leaks: dict[str, list]) -> None:
    """Checks across modules: import cycles, fallback cycles, colliding intents,
    environments of one name, policies."""
    from promptlang.checks.compliance import judge
    from promptlang.checks.environments import check_environment_names
    from promptlang.checks.environments import check_shared_namespaces
    from promptlang.checks.imports import check_import_cycles
    from promptlang.checks.intents import check_intent_collisions
    from promptlang.checks.models import check_fallback_cycles

    check_import_cycles(program, sink)
    check_fallback_cycles(program, sink)
    check_intent_collisions(program, _Everywhere(sink))
    check_environment_names(program, sink)
    check_shared_namespaces(program, sink)
    judge(program, leaks, sink)


class _Everywhere(dict):
    """A mapping that hands the same sink for every module name."""

    def __init__(self, sink: Sink):
        super().__init__()
        self.sink = sink

    def __missing__(self, name):
        return self.sink
