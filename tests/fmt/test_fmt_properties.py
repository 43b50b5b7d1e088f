"""Properties over programs generated from the grammar: formatting is idempotent, keeps
the syntax tree, and keeps every comment, in order, wherever comments may stand."""

from __future__ import annotations

import re

from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from lark import Token

from promptlang.diagnostics.sink import Sink
from promptlang.fmt import FormatError
from promptlang.fmt import format_text
from promptlang.fmt.api import _parser
from promptlang.fmt.api import shape
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse
from strategies import programs

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
_MARKER = re.compile(r"(?://|/\*) c\d+")


def _formatted(text: str, width: int = 100) -> str:
    try:
        return format_text(text, "main.pops", width=width)
    except FormatError:
        assume(False)
        raise


def _module(text: str):
    return parse(SourceFile("main.pops", text, "main"), Sink())


def _tree(text: str):
    return shape(_module(text))


def _comments(text: str) -> list[str]:
    return [comment.text.rstrip() for comment in _module(text).comments]


@st.composite
def commented_programs(draw):
    """A generated program with `/* cN */` after some tokens and `// cN` at the end of
    some lines (only where the lexer sees a line break, never inside a string)."""
    text = draw(programs())
    try:
        tree, _ = _parser().parse(text)
    except Exception:
        assume(False)
    tokens = sorted(tree.scan_values(lambda v: isinstance(v, Token)), key=lambda t: t.start_pos)
    inserts = []
    for tok in tokens:
        if tok.type == "_NL" and draw(st.booleans()):
            inserts.append((tok.start_pos, "line"))
        elif tok.type != "_NL" and draw(st.integers(0, 4)) == 0:
            inserts.append((tok.end_pos, "block"))
    for number, (pos, kind) in enumerate(sorted(inserts, reverse=True)):
        comment = f" // c{number}" if kind == "line" else f" /* c{number} */ "
        text = text[:pos] + comment + text[pos:]
    return text


# A narrow page as well, so that lists, parameters and braces break often.
WIDTHS = st.sampled_from([100, 24])


@SETTINGS
@given(programs(), WIDTHS)
def test_formatting_is_idempotent(text, width):
    once = _formatted(text, width)
    assert format_text(once, "main.pops", width=width) == once


@SETTINGS
@given(programs(), WIDTHS)
def test_formatting_keeps_the_syntax_tree(text, width):
    assert _tree(_formatted(text, width)) == _tree(text)


@SETTINGS
@given(commented_programs(), WIDTHS)
def test_comments_are_kept_in_order_and_formatting_stays_idempotent(text, width):
    once = _formatted(text, width)
    assert _comments(once) == _comments(text)
    assert _MARKER.findall(once) == _MARKER.findall(text)
    assert _tree(once) == _tree(text)
    assert format_text(once, "main.pops", width=width) == once
