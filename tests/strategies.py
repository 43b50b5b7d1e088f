"""Hypothesis strategies: programs generated from the grammar itself."""

from __future__ import annotations

import functools

import lark
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from promptlang.syntax.parser import grammar_text

# Terminals drawn from small, readable sets so generated programs stay varied but
# lex back into the same tokens (each is followed by a space; `_NL` by a newline).
_SMALL = {
    "NAME": st.sampled_from(["a", "b", "ticket", "Reply", "string", "list", "output", "pii",
                             "prompt", "model", "fast", "x_1", "high", "input", "none"]),
    "STRING": st.sampled_from(['"x"', '""', '"{{ a.b }}"', '"T-1"', '"{slot}"', '"a\\"b"']),
    "TRIPLE_STRING": st.sampled_from(['"""\n  hi {{ a }}\n"""', '"""{% for x in a %}{{ x }}{% endfor %}"""',
                                      '"""{{ a | upper }}"""', '"""{% if a %}y{% endif %}"""']),
    "INT": st.sampled_from(["0", "1", "42", "-3"]),
    "FLOAT": st.sampled_from(["0.5", "1.0", "2.25"]),
    "DURATION": st.sampled_from(["30s", "1500ms", "5m", "1h"]),
    "PERCENT": st.sampled_from(["70%", "1%"]),
    "REGEX": st.sampled_from(["/a+/", "/\\d{3}/i", "/(/"]),
    "_NL": st.just("\n"),
}


@functools.lru_cache(maxsize=1)
def _grammar() -> lark.Lark:
    return lark.Lark(grammar_text(), parser="lalr", lexer="contextual")


def programs() -> st.SearchStrategy[str]:
    """Token sequences the grammar accepts, joined with spaces."""
    grammar = _grammar()
    explicit = {}
    for term in grammar.terminals:
        if term.name in ("COMMENT", "BLOCK_COMMENT"):
            continue
        base = _SMALL.get(term.name)
        if base is None:
            base = st.from_regex(term.pattern.to_regexp(), fullmatch=True)
        suffix = "" if term.name == "_NL" else " "
        explicit[term.name] = base.map(lambda s, suffix=suffix: s + suffix)
    return from_lark(grammar, start="start", explicit=explicit)
