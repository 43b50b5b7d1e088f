"""Offsets <-> LSP positions: columns in the negotiated encoding's code units."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from promptlang.lsp import positions
from promptlang.source import SourceFile

TEXT = 'type A {\n  // 🎫é ok\n  x: strin\n}\n'


@pytest.mark.parametrize("encoding, column", [("utf-16", 9), ("utf-8", 12), ("utf-32", 8)])
def test_a_column_after_an_emoji_counts_code_units(encoding, column):
    source = SourceFile("a.pops", TEXT)
    offset = TEXT.index("ok")
    assert positions.position(source, offset, encoding) == lsp.Position(line=1, character=column)
    assert positions.offset(source, lsp.Position(line=1, character=column), encoding) == offset


def test_positions_past_a_line_or_the_text_are_clamped():
    source = SourceFile("a.pops", TEXT)
    assert positions.offset(source, lsp.Position(line=0, character=99)) == TEXT.index("\n")
    assert positions.offset(source, lsp.Position(line=99, character=0)) == len(TEXT)


def test_a_range_covers_the_span():
    source = SourceFile("a.pops", TEXT)
    start = TEXT.index("strin")
    found = positions.to_range(source, source.span(start, start + 5))
    assert found == lsp.Range(start=lsp.Position(line=2, character=5), end=lsp.Position(line=2, character=10))
