"""Source files and spans: offsets everywhere, lines and columns only when shown."""

from __future__ import annotations

import bisect
import hashlib
import operator

import attrs


def fast_pickle(cls):
    """Pickle instances of a frozen attrs class as `cls(*fields)`: one C-level getter
    call instead of attrs' per-instance state dictionary."""
    names = tuple(a.name for a in attrs.fields(cls))
    getter = operator.attrgetter(*names)
    if len(names) == 1:
        cls.__reduce__ = lambda self: (cls, (getter(self),))
    else:
        cls.__reduce__ = lambda self: (cls, getter(self))
    return cls


@fast_pickle
@attrs.frozen(slots=True)
class Span:
    """A half-open range of character offsets in one file (`file` is its display path)."""

    file: str
    start: int
    end: int

    def cover(self, other: Span) -> Span:
        """The smallest span holding both (same file)."""
        return Span(self.file, min(self.start, other.start), max(self.end, other.end))


@attrs.define(slots=True, eq=False)
class SourceFile:
    """The text of one `.pops` file, with a line table built on first use."""

    path: str
    text: str
    module: str = ""
    _line_starts: list[int] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of an offset (columns count characters)."""
        offset = max(0, min(offset, len(self.text)))
        starts = self.line_starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        starts = self.line_starts()
        if line < 1 or line > len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")

    def span(self, start: int, end: int) -> Span:
        return Span(self.path, start, end)
