"""Character offsets (what spans hold) to LSP positions and back.

LSP columns count code units of the negotiated encoding, UTF-16 by default: an emoji
before an error is two columns to VS Code but one character to Python."""

from __future__ import annotations

from lsprotocol import types as lsp

from promptlang.source import SourceFile
from promptlang.source import Span

UTF16 = "utf-16"


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def position(source: SourceFile, offset: int, encoding: str = UTF16) -> lsp.Position:
    """The LSP position of a character offset."""
    line, col = source.line_col(offset)
    start = source.line_starts()[line - 1]
    return lsp.Position(line=line - 1, character=_units(source.text[start:start + col - 1], encoding))


def to_range(source: SourceFile, span: Span, encoding: str = UTF16) -> lsp.Range:
    return lsp.Range(start=position(source, span.start, encoding), end=position(source, span.end, encoding))


def offset(source: SourceFile, pos: lsp.Position, encoding: str = UTF16) -> int:
    """The character offset of an LSP position (clamped to its line)."""
    starts = source.line_starts()
    if pos.line >= len(starts):
        return len(source.text)
    start = starts[pos.line]
    end = starts[pos.line + 1] - 1 if pos.line + 1 < len(starts) else len(source.text)
    units = 0
    for index in range(start, end):
        if units >= pos.character:
            return index
        units += _units(source.text[index], encoding)
    return end
