"""The grammar itself: conflict-free LALR, and every rule has an AST builder."""

from __future__ import annotations

import lark

from promptlang.syntax.build import AstBuilder
from promptlang.syntax.parser import grammar_text


def test_grammar_is_strict_lalr():
    """No shift/reduce conflicts and no colliding terminals (Lark's strict mode)."""
    lark.Lark(grammar_text(), parser="lalr", lexer="contextual", strict=True)


def _builds_a_node(rule) -> bool:
    """Rules inlined by `?` with a single kept child never reach the builder."""
    kept = [s for s in rule.expansion if not (s.is_term and s.filter_out)]
    return bool(rule.alias) or not (rule.options.expand1 and len(kept) == 1)


def test_every_rule_has_a_builder_method():
    """A grammar edit cannot silently leave raw `Tree` objects in the AST."""
    grammar = lark.Lark(grammar_text(), parser="lalr")
    names = {str(rule.alias or rule.origin.name) for rule in grammar.rules if _builds_a_node(rule)}
    missing = sorted(n for n in names if not n.startswith("_") and not callable(getattr(AstBuilder, n, None)))
    assert missing == []
