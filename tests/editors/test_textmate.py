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
from promptlang.syntax.parser import parse

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


@pytest.mark.parametrize("path", CHECKED)
def test_example_closes_every_region(tokenized, path):
    """After the last line the engine is back at the top level: braces, parentheses,
    strings and Jinja tags the grammar opened in a real file were all closed."""
    assert tokenized[str(path)]["depth"] == 1


@pytest.mark.parametrize("path", CHECKED)
def test_literals_agree_with_the_compiler(tokenized, path):
    """Each string, regex, number and comment the compiler reads is one highlighted
    literal of its kind: the scope all through, token boundaries at both ends."""
    text, tokens = _file_tokens(tokenized, path)
    for token in compiler_tokens(text):
        scope = LITERAL_SCOPES.get(token.type)
        if scope is None:
            continue
        where = f"{path.name}:{_line(text, token.start_pos)} {token.value[:40]!r}"
        assert {token.start_pos, token.end_pos} <= tokens.boundaries, where
        for _, _, scopes in tokens.within(token.start_pos, token.end_pos):
            assert scope in scopes, (where, scopes)


@pytest.mark.parametrize("path", CHECKED)
def test_keywords_and_names_agree_with_the_compiler(tokenized, path):
    """Declaration keywords, word operators and constants get their scopes; a name is
    never coloured as a literal, a comment or an operator."""
    text, tokens = _file_tokens(tokenized, path)
    for token in compiler_tokens(text):
        scopes = tokens.at(token.start_pos)
        where = f"{path.name}:{_line(text, token.start_pos)} {token.value!r}"
        if token.type in KEYWORD_SCOPES:
            assert _has(scopes, KEYWORD_SCOPES[token.type]), (where, scopes)
        elif token.type == "NAME":
            assert not any(_has(scopes, bad) for bad in NOT_A_NAME), (where, scopes)


@pytest.mark.parametrize("path", CHECKED)
def test_jinja_tags_in_strings_are_scoped(tokenized, path):
    """Every `{{`, `{%` and `{#` in a template or message string opens a Jinja scope."""
    text, tokens = _file_tokens(tokenized, path)
    for offset in jinja_openers(text):
        scopes = tokens.at(offset)
        assert _has(scopes, "punctuation.section.embedded.begin.jinja") or _has(
            scopes, "comment.block.jinja"), (f"{path.name}:{_line(text, offset)}", scopes)


def test_examples_hold_jinja():
    """The check above has something to check."""
    assert sum(len(jinja_openers(p.read_text(encoding="utf-8"))) for p in SOURCES) > 50
