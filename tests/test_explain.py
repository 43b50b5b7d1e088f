"""`popsc explain`: every catalog code has a long explanation in the agreed shape, and
its example and fix are written in the language the parser accepts."""

from __future__ import annotations

import re

import pytest

from promptlang.diagnostics.codes import CODES
from promptlang.diagnostics.explain import all_codes
from promptlang.diagnostics.explain import explain
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse

SECTIONS = ("## What it means", "## Example", "## How to fix")
# Syntax codes the parser itself reports; the other E01 codes come from later stages.
PARSER_CODES = {"E0101", "E0102", "E0103", "E0104", "E0105"}


def pops_blocks(markdown: str) -> list[str]:
    return re.findall(r"```pops\n(.*?)```", markdown, re.S)


def section(markdown: str, title: str) -> str:
    """The text of one `## ` section, up to the next one."""
    after = markdown.split(title + "\n", 1)[1]
    return after.split("\n## ", 1)[0]


def syntax_codes(text: str) -> list[str]:
    sink = Sink()
    parse(SourceFile("example.pops", text), sink)
    return [d.code for d in sink.sorted()]


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_an_explanation_with_three_sections(code):
    """Each code's explanation starts `# CODE: slug`, has the three sections in order,
    shows code in the example and the fix, and stays between 15 and 40 lines."""
    text = explain(code)
    assert text is not None, f"no explain/{code}.md"
    assert text.splitlines()[0] == f"# {code}: {CODES[code].slug}"
    positions = [text.index(title + "\n") for title in SECTIONS]
    assert positions == sorted(positions)
    assert "```" in section(text, "## Example")
    assert "```" in section(text, "## How to fix")
    assert 15 <= len(text.splitlines()) <= 40


@pytest.mark.parametrize("code", sorted(CODES))
def test_fixed_snippets_parse_cleanly(code):
    """The corrected `.pops` snippets have no syntax error: a fix must not teach a
    mistake. Examples of later-stage codes parse too, so they show the error they name."""
    text = explain(code)
    for block in pops_blocks(section(text, "## How to fix")):
        assert syntax_codes(block) == [], block
    if not code.startswith("E01"):
        for block in pops_blocks(section(text, "## Example")):
            assert syntax_codes(block) == [], block


@pytest.mark.parametrize("code", sorted(PARSER_CODES))
def test_syntax_examples_trigger_their_code(code):
    """The example of a parser code really makes the parser report that code."""
    [block] = pops_blocks(section(explain(code), "## Example"))
    assert code in syntax_codes(block)


def test_explain_accepts_any_case_and_rejects_unknown_codes():
    """Users may type `e0204` or ` E0204 `; a code outside the catalog gives None."""
    assert explain("e0204") == explain("E0204") == explain(" E0204 ")
    assert explain("e0204").startswith("# E0204: unknown-field")
    assert explain("E9999") is None
    assert explain("") is None


def test_all_codes_lists_the_whole_catalog_in_order():
    """Every catalog code is explained, so `all_codes` is the catalog in its order."""
    assert all_codes() == tuple(CODES)
