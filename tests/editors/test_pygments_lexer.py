"""The Pygments lexer: found through its entry point, lexes every example and every
`pops` block of the docs without an `Error` token, and agrees with the compiler's own
tokens on literals, keywords and names (the tables in `editor_sources`)."""

from __future__ import annotations

import bisect
import re
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
from lark.exceptions import UnexpectedInput
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from editor_sources import KEYWORD_SCOPES
from editor_sources import LITERAL_SCOPES
from editor_sources import ROOT
from editor_sources import SAMPLES
from editor_sources import SOURCES
from editor_sources import compiler_tokens
from editor_sources import jinja_openers
from pygments.lexers import get_lexer_by_name
from pygments.lexers import get_lexer_for_filename
from pygments.token import Comment
from pygments.token import Error
from pygments.token import Keyword
from pygments.token import Name
from pygments.token import Number
from pygments.token import Operator
from pygments.token import String

from promptlang.pygments_lexer import PopsLexer
from strategies import programs

# Compiler terminal -> the Pygments token type of a literal.
LITERAL_TOKENS = {
    "STRING": String, "TRIPLE_STRING": String, "REGEX": String.Regex, "DURATION": Number,
    "PERCENT": Number, "FLOAT": Number.Float, "INT": Number.Integer,
    "COMMENT": Comment.Single, "BLOCK_COMMENT": Comment.Multiline,
}
assert LITERAL_TOKENS.keys() == LITERAL_SCOPES.keys()
KEYWORD_TOKENS = {
    kind: (Keyword.Constant if kind in ("TRUE", "FALSE", "NULL") else
           Operator.Word if scope.startswith("keyword.operator.word") else
           Name.Decorator if kind == "AT" else Keyword)
    for kind, scope in KEYWORD_SCOPES.items()
}
NOT_A_NAME = (String, Comment, Number, Operator.Word, Keyword.Constant, Error)


def _doc_blocks():
    """The ```pops blocks of the docs and README, as (name, text)."""
    blocks = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        found = re.findall(r"```pops\n(.*?)```", doc.read_text("utf-8"), re.DOTALL)
        blocks += [pytest.param(text, id=f"{doc.name}#{i + 1}") for i, text in enumerate(found)]
    return blocks


def _lex(text):
    return list(PopsLexer().get_tokens_unprocessed(text))


def test_registered_through_the_entry_point():
    """`pygmentize -l pops` and tools that look lexers up by name or file find it."""
    assert "pops" in {ep.name for ep in entry_points(group="pygments.lexers")}
    assert type(get_lexer_by_name("pops")) is PopsLexer
    assert type(get_lexer_for_filename("support/prompts.pops")) is PopsLexer


def test_pygmentize_highlights_a_file():
    """The command line: `pygmentize -l pops -f html FILE` marks keywords and Jinja."""
    path = ROOT / "promptlang/stdlib/templates.pops"
    command = [sys.executable, "-m", "pygments", "-l", "pops", "-f", "html", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    assert '<span class="kd">template</span>' in result.stdout
    assert '<span class="cp">{{</span>' in result.stdout  # a Jinja tag, by Pygments' Jinja


SOURCE_PARAMS = [pytest.param(p, id=str(p.relative_to(ROOT))) for p in [*SOURCES, *SAMPLES]]
# The compiler's tokens need a file that parses: not the sample of broken code.
PARSING = [p for p in SOURCE_PARAMS if p.values[0].name != "recovery.pops"]


# (source, a piece of it, the token type that piece must get): what the compiler's
# tokens cannot tell apart (a setting's key from a field's name, a type from a value).
SPOTS = [
    ("model m {\n  timeout = 2s\n}", "timeout", Name.Attribute),
    ("model m { a = 1, b = 2 }", "b", Name.Attribute),
    ("type T {\n  id: string @pii\n}", "id", Name.Attribute),
    ("type T {\n  id: string @pii\n}", "string", Keyword.Type),
    ("type T {\n  id: string @pii\n}", "pii", Name.Decorator),
    ("type T { e: t.Email? }", "Email", Name.Class),
    ('type OrderId = string @pattern("^[0-9]{6}$")', "pattern", Name.Decorator),
    ('type OrderId = string @pattern("^[0-9]{6}$")', "OrderId", Name.Class),
    ("enum P { low, high }", "high", Name.Constant),
    ("prompt p(x: list<T>) -> R {\n  model = m\n}", "x", Name.Variable),
    ("prompt p(x: list<T>) -> R {\n  model = m\n}", "T", Name.Class),
    ("prompt p(x: list<T>) -> R {\n  model = m\n}", "R", Name.Class),
    ("prompt p(x: list<T>) -> R {\n  model = m\n}", "model", Name.Attribute),
    ('prompt p(x: T) {\n  user """ {{ x | trim }} """\n}', "user", Keyword),
    ('prompt p(x: T) {\n  user """ {{ x | trim }} """\n}', "trim", Name.Function),
    ('template t(x: T) "Hi {{ x.name }}"', "x.", Name.Variable),
    ('test "t" for p {\n  given {\n    t = { id: "T" }\n  }\n}', "given", Keyword),
    ('test "t" for p {\n  given {\n    t = { id: "T" }\n  }\n}', "id", Name.Attribute),
    ('test "t" for p {\n  expect output matches /a/i\n}', "expect", Keyword),
    ('intent i {\n  examples = ["refund {order_id}"]\n}', "{order_id}", String.Interpol),
    ('intent i {\n  route = reply(order_id = x)\n}', "order_id", Name.Variable),
    ('model m { name = "a\\nb" }', "\\n", String.Escape),
    ('model m { api_key = env("KEY") }', "env", Name.Builtin),
    ("import a.b as c", "c", Name.Namespace),
    ("from a.b import c", "c", Name),
    ("apply house_rules to *", "house_rules", Name.Constant),
    ("environment e {\n  rollout canary { weight = 10% }\n}", "canary", Name.Label),
]


@pytest.mark.parametrize(("source", "piece", "expected"), SPOTS)
def test_spot(source, piece, expected):
    offset = source.index(piece)
    assert dict((i, t) for i, t, _ in _lex(source)).get(offset) in expected


@pytest.mark.parametrize("path", SOURCE_PARAMS)
def test_sources_lex_without_errors(path):
    """No Error token in any example, stdlib module or grammar sample, and the tokens
    put together are the text again."""
    text = path.read_text(encoding="utf-8")
    tokens = _lex(text)
    assert [(i, v) for i, t, v in tokens if t in Error] == []
    assert "".join(v for _, _, v in tokens) == text


@pytest.mark.parametrize("text", _doc_blocks())
def test_doc_blocks_lex_without_errors(text):
    assert [(i, v) for i, t, v in _lex(text) if t in Error] == []


def _starts(tokens):
    return {i: t for i, t, _ in tokens}


def _covering(tokens, offset):
    """The type of the token holding the character at `offset`."""
    index = bisect.bisect_right([i for i, _, _ in tokens], offset) - 1
    return tokens[index][1]


@pytest.mark.parametrize("path", PARSING)
def test_agrees_with_the_compiler(path):
    """Literals start and end where the compiler's do, with their kind; keywords are
    keywords; names are never literals, comments or operators."""
    text = path.read_text(encoding="utf-8")
    tokens = _lex(text)
    starts = _starts(tokens)
    ends = {i + len(v) for i, _, v in tokens}
    lengths = {i: len(v) for i, _, v in tokens}
    for token in compiler_tokens(text):
        where = f"{path.name}:{token.line} {token.value[:40]!r}"
        kind = starts.get(token.start_pos)
        if token.type in LITERAL_TOKENS:
            assert token.end_pos in ends, where
            assert kind in LITERAL_TOKENS[token.type], (where, kind)
            if token.type not in ("STRING", "TRIPLE_STRING"):  # Jinja tags split strings
                assert lengths[token.start_pos] == len(token.value), (where, "split")
        elif token.type in KEYWORD_TOKENS:
            assert kind in KEYWORD_TOKENS[token.type], (where, kind)
        elif token.type == "NAME":
            kind = _covering(tokens, token.start_pos)
            assert not any(kind in bad for bad in NOT_A_NAME), (where, kind)


@pytest.mark.parametrize("path", PARSING)
def test_jinja_tags_are_lexed_as_jinja(path):
    """Each `{{`, `{%` and `{#` in a string is a tag token of Pygments' Jinja lexer."""
    text = path.read_text(encoding="utf-8")
    starts = _starts(_lex(text))
    for offset in jinja_openers(text):
        assert starts.get(offset) in (Comment.Preproc, Comment), (path.name, offset)


PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


@PROPERTY
@given(programs())
def test_generated_programs_agree_with_the_compiler(text):
    """Any program the grammar generates and the compiler reads (odd spacing, comments
    anywhere, names that look like keywords) lexes without an Error token, and its
    literals, keywords and names are what the compiler reads."""
    try:  # Hypothesis puts comments between tokens, and `//` may swallow what follows
        read = compiler_tokens(text)
    except UnexpectedInput:
        assume(False)
    tokens = _lex(text)
    assert [v for _, t, v in tokens if t in Error] == []
    starts = _starts(tokens)
    for token in read:
        kind = starts.get(token.start_pos)
        if token.type in LITERAL_TOKENS:
            assert kind in LITERAL_TOKENS[token.type], (token, kind)
        elif token.type in KEYWORD_TOKENS:
            assert kind in KEYWORD_TOKENS[token.type], (token, kind)
        elif token.type == "NAME":
            kind = _covering(tokens, token.start_pos)
            assert not any(kind in bad for bad in NOT_A_NAME), (token, kind)


@PROPERTY
@given(st.text())
def test_any_text_lexes_back_to_itself(text):
    """Pygments' contract: the token values put together are the input."""
    assert "".join(v for _, _, v in _lex(text)) == text
