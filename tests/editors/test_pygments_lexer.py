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
        for i, text in enumerate(re.findall(r"```pops\n(.*?)```", doc.read_text("utf-8"), re.S)):
            blocks.append(pytest.param(text, id=f"{doc.name}#{i + 1}"))
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
    result = subprocess.run([sys.executable, "-m", "pygments", "-l", "pops", "-f", "html", str(path)],
                            capture_output=True, text=True, check=True, timeout=60)
    assert '<span class="kd">template</span>' in result.stdout
    assert '<span class="cp">{{</span>' in result.stdout  # a Jinja tag, by Pygments' Jinja


SOURCE_PARAMS = [pytest.param(p, id=str(p.relative_to(ROOT))) for p in [*SOURCES, *SAMPLES]]
# The compiler's tokens need a file that parses: not the sample of broken code.
PARSING = [p for p in SOURCE_PARAMS if p.values[0].name != "recovery.pops"]


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
