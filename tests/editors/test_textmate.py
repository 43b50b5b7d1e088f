"""The VS Code TextMate grammar, run by the engine VS Code uses (vscode-textmate on
vscode-oniguruma, from npm; see `editor_sources.node_modules`).

Two kinds of evidence: annotated samples (`samples/*.pops`, the vscode-tmgrammar-test
format: `^^^ scope` under a line asserts its scopes, `- scope` forbids one), and every
example project and stdlib module tokenized whole and compared with the compiler's own
tokens of the same text.
"""

from __future__ import annotations

import bisect
import json
import subprocess

import pytest
from hypothesis import HealthCheck
from hypothesis import assume
from hypothesis import given
from hypothesis import settings
from lark.exceptions import UnexpectedInput
from editor_sources import EXTENSION
from editor_sources import GRAMMAR
from editor_sources import KEYWORD_SCOPES
from editor_sources import LITERAL_SCOPES
from editor_sources import NOT_A_NAME
from editor_sources import ROOT
from editor_sources import SAMPLES
from editor_sources import SOURCES
from editor_sources import compiler_tokens
from editor_sources import jinja_openers
from editor_sources import node_modules

from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import DECL_KEYWORDS
from promptlang.syntax.parser import parse
from strategies import programs

TOKENIZE = ROOT / "tests/editors/tokenize.mjs"
# Every real source, and the samples the compiler parses (not the one of broken code).
CHECKED = [pytest.param(p, id=str(p.relative_to(ROOT)))
           for p in [*SOURCES, *SAMPLES] if p.name != "recovery.pops"]
# The samples are real .pops: they parse with exactly these syntax errors.
SAMPLE_ERRORS = {"recovery.pops": ["E0104", "E0104", "E0103"]}


def _tmgrammar_test(modules, *files):
    tool = modules / "vscode-tmgrammar-test/dist/unit.js"
    return subprocess.run(
        ["node", str(tool), "--config", str(EXTENSION / "package.json"), *map(str, files)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_annotated_sample(sample):
    """Every scope asserted in the sample is what VS Code's engine gives that text."""
    result = _tmgrammar_test(node_modules(), sample.relative_to(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expectation_fails(tmp_path):
    """The harness can fail: a sample asserting a scope the grammar does not give."""
    sample = tmp_path / "wrong.pops"
    sample.write_text('// SYNTAX TEST "source.pops"\nmodel m { name = "x" }\n'
                      "//               ^^^ constant.numeric.integer.pops\n")
    result = _tmgrammar_test(node_modules(), sample)
    assert result.returncode != 0
    assert "missing required scopes: constant.numeric.integer.pops" in result.stdout


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_is_pops(sample):
    """The annotation lines are comments: each sample is a .pops file the compiler reads."""
    sink = Sink()
    parse(SourceFile(sample.name, sample.read_text(encoding="utf-8")), sink)
    assert [d.code for d in sink.sorted()] == SAMPLE_ERRORS.get(sample.name, [])


@pytest.fixture(scope="module")
def tokenized():
    """Every checked source tokenized by vscode-textmate, in one node run."""
    modules = node_modules()
    result = subprocess.run(
        ["node", str(TOKENIZE), str(modules), str(GRAMMAR), *(str(p.values[0]) for p in CHECKED)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    return json.loads(result.stdout)


class Tokens:
    """One file's TextMate tokens, looked up by character offset."""

    def __init__(self, text, tokens):
        starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.spans = [(starts[line - 1] + a, starts[line - 1] + b, scopes)
                      for line, a, b, scopes in tokens if b > a]
        self.begins = [s[0] for s in self.spans]
        self.boundaries = {s[0] for s in self.spans} | {s[1] for s in self.spans}

    def at(self, offset):
        """The scopes of the character at `offset`."""
        index = bisect.bisect_right(self.begins, offset) - 1
        start, end, scopes = self.spans[index]
        assert start <= offset < end, offset
        return scopes

    def within(self, start, end):
        return [s for s in self.spans if s[0] < end and s[1] > start]


def _file_tokens(tokenized, path):
    text = path.read_text(encoding="utf-8")
    return text, Tokens(text, tokenized[str(path)]["tokens"])


def _has(scopes, prefix):
    return any(s.startswith(prefix) for s in scopes)


def _line(text, offset):
    return text.count("\n", 0, offset) + 1


def literal_mismatches(text, tokens, read):
    """Each string, regex, number and comment the compiler reads must be one highlighted
    literal of its kind: the scope all through, token boundaries at both ends."""
    found = []
    for token in read:
        scope = LITERAL_SCOPES.get(token.type)
        if scope is None:
            continue
        where = f"line {_line(text, token.start_pos)} {token.value[:40]!r}"
        if not {token.start_pos, token.end_pos} <= tokens.boundaries:
            found.append(f"{where}: not a token of its own")
        inside = tokens.within(token.start_pos, token.end_pos)
        found += [f"{where}: {scopes}" for _, _, scopes in inside if scope not in scopes]
    return found


def word_mismatches(text, tokens, read):
    """Declaration keywords, word operators and constants must get their scopes; a name
    is never coloured as a literal, a comment or an operator."""
    found = []
    for token in read:
        scopes = tokens.at(token.start_pos)
        where = f"line {_line(text, token.start_pos)} {token.value!r}: {scopes}"
        if token.type in KEYWORD_SCOPES and not _has(scopes, KEYWORD_SCOPES[token.type]):
            found.append(where)
        elif token.type == "NAME" and any(_has(scopes, bad) for bad in NOT_A_NAME):
            found.append(where)
    return found


def jinja_mismatches(text, tokens):
    """Every `{{`, `{%` and `{#` in a template or message string must open a Jinja scope."""
    return [f"line {_line(text, offset)}: {tokens.at(offset)}" for offset in jinja_openers(text)
            if not (_has(tokens.at(offset), "punctuation.section.embedded.begin.jinja")
                    or _has(tokens.at(offset), "comment.block.jinja"))]


@pytest.mark.parametrize("path", CHECKED)
def test_example_closes_every_region(tokenized, path):
    """After the last line the engine is back at the top level: braces, parentheses,
    strings and Jinja tags the grammar opened in a real file were all closed."""
    assert tokenized[str(path)]["depth"] == 1


@pytest.mark.parametrize("path", CHECKED)
def test_literals_agree_with_the_compiler(tokenized, path):
    text, tokens = _file_tokens(tokenized, path)
    assert literal_mismatches(text, tokens, compiler_tokens(text)) == []


@pytest.mark.parametrize("path", CHECKED)
def test_keywords_and_names_agree_with_the_compiler(tokenized, path):
    text, tokens = _file_tokens(tokenized, path)
    assert word_mismatches(text, tokens, compiler_tokens(text)) == []


@pytest.mark.parametrize("path", CHECKED)
def test_jinja_tags_in_strings_are_scoped(tokenized, path):
    text, tokens = _file_tokens(tokenized, path)
    assert jinja_mismatches(text, tokens) == []


def test_examples_hold_jinja():
    """The check above has something to check."""
    assert sum(len(jinja_openers(p.read_text(encoding="utf-8"))) for p in SOURCES) > 50


@pytest.fixture(scope="module")
def textmate():
    """Tokenizes one text at a time through a node process kept running."""
    process = subprocess.Popen(
        ["node", str(TOKENIZE), str(node_modules()), str(GRAMMAR)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
    )

    def tokenize(text):
        process.stdin.write(json.dumps(text) + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    yield tokenize
    process.stdin.close()
    process.wait(timeout=30)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=programs())
def test_generated_programs_agree_with_the_compiler(textmate, text):
    """Any program the grammar generates and the compiler reads (odd spacing, comments
    anywhere) is highlighted as the compiler reads it, and closes every region. Not
    generated: a body entry that starts a line with a declaration keyword and a name
    (`model fast` at column 0 inside braces), which the grammar takes for the next
    declaration on purpose, so that an unclosed brace does not swallow the file."""
    try:
        read = compiler_tokens(text)
    except UnexpectedInput:  # a `//` Hypothesis put between two tokens ate the rest
        assume(False)
    assume(not any(t.type == "NAME" and t.column == 1 and t.value in DECL_KEYWORDS for t in read))
    result = textmate(text)
    tokens = Tokens(text, result["tokens"])
    assert result["depth"] == 1
    assert literal_mismatches(text, tokens, read) == []
    assert word_mismatches(text, tokens, read) == []
    assert jinja_mismatches(text, tokens) == []
