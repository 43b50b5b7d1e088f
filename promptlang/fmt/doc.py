"""The layout algebra the formatter prints with, and its renderer.

A Wadler/Prettier-style document: text, line breaks that are a space (or nothing) when
their group fits on the line and a newline when it does not, indentation, and groups.
Hand-written (about a hundred lines) because the formatter needs two things the Python
pretty-printing libraries do not offer: `IfBreak` (the trailing comma of a broken list,
the comma that a broken `{ ... }` drops) and comments, which must end their line, never
swallow the code after them, and keep the blank lines an author put before them.
"""

from __future__ import annotations

import attrs

WIDTH = 100
INDENT = 2


@attrs.frozen
class Line:
    """A break: in a flat group `flat` (a space or nothing), else a newline. `hard`
    lines always break and break every group around them."""

    flat: str = " "
    hard: bool = False


SOFT = Line("")
LINE = Line(" ")
HARD = Line("", hard=True)


@attrs.frozen
class Blank:
    """An empty line before what follows (kept from the source between entries)."""


@attrs.frozen
class Comment:
    """A source comment. `own_line` ones sit alone on a line at the current indent;
    the others wait for the end of the current line, so code never follows them."""

    text: str
    own_line: bool
    blank_before: bool = False


@attrs.frozen
class InlineComment:
    """A one-line `/* */` written before the code that follows it, like a token; at
    the end of the line instead if comments already wait there (order is kept)."""

    text: str


@attrs.frozen
class Indent:
    parts: tuple


@attrs.frozen
class IfBreak:
    """`broken` when the enclosing group breaks, else `flat`."""

    broken: str
    flat: str = ""


@attrs.frozen
class Group:
    """Parts laid out flat if they fit in the rest of the line, else broken."""

    parts: tuple
    broken: bool


def indent(*parts) -> Indent:
    return Indent(tuple(parts))


def group(*parts, broken: bool = False) -> Group:
    """A group; it is broken from the start if it holds a hard line, a blank line or
    a comment (a `//` comment ends its line, so nothing around it can stay flat)."""
    return Group(tuple(parts), broken or _must_break(parts))


def _must_break(parts) -> bool:
    for part in parts:
        if isinstance(part, (Blank, Comment)) or (isinstance(part, Line) and part.hard):
            return True
        if isinstance(part, Group) and part.broken:
            return True
        if isinstance(part, (list, tuple)) and _must_break(part):
            return True
        if isinstance(part, Indent) and _must_break(part.parts):
            return True
    return False


_FLAT, _BREAK = 0, 1


class _Renderer:
    """Prints a document. Newlines are lazy: a break only records the indent of the next
    line, so comments met before the next text still land on the line they ended."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.out: list[str] = []
        self.col = 0
        self.trailing: list[str] = []
        self.newline: int | None = None  # indent of a pending line break
        self.blank = False

    def run(self, doc) -> str:
        stack = [(0, _BREAK, doc)]
        while stack:
            ind, mode, item = stack.pop()
            if isinstance(item, (list, tuple)):
                stack.extend((ind, mode, part) for part in reversed(item))
            elif isinstance(item, str):
                self.text(item)
            elif isinstance(item, Line):
                self.line(item, ind, mode)
            elif isinstance(item, Group):
                flat = mode == _FLAT or (not item.broken and self.fits(item.parts, stack))
                stack.append((ind, _FLAT if flat else _BREAK, item.parts))
            elif isinstance(item, Indent):
                stack.append((ind + INDENT, mode, item.parts))
            elif isinstance(item, IfBreak):
                self.text(item.broken if mode == _BREAK else item.flat)
            elif isinstance(item, Comment):
                self.comment(item, ind)
            elif isinstance(item, InlineComment):
                self.inline_comment(item, ind)
            elif isinstance(item, Blank):
                self.blank = self.newline is not None
        self.newline = 0
        self.blank = False
        self.flush()
        return "".join(self.out).lstrip("\n")

    def text(self, text: str) -> None:
        if not text:
            return
        self.flush()
        self.out.append(text)
        last = text.rfind("\n")
        self.col = self.col + len(text) if last < 0 else len(text) - last - 1

    def line(self, line: Line, ind: int, mode: int) -> None:
        if mode == _FLAT and not line.hard:
            self.text(line.flat)
        else:
            self.newline = ind

    def comment(self, comment: Comment, ind: int) -> None:
        if not comment.own_line:
            self.trailing.append(comment.text)
            return
        if self.out:
            self.newline = ind if self.newline is None else self.newline
            self.blank = self.blank or comment.blank_before
        self.text(comment.text)
        self.newline = ind

    def inline_comment(self, comment: InlineComment, ind: int) -> None:
        """Before the next code, unless comments wait for the end of this line: then
        after them, on the next line if one of them is a `//` (only inside brackets can
        a `//` wait with code still to come, and there a line break is allowed)."""
        if self.trailing and self.newline is None:
            if not any(text.startswith("//") for text in self.trailing):
                self.trailing.append(comment.text)
                return
            self.newline = ind
        self.text(comment.text + " ")

    def flush(self) -> None:
        """Write the pending line break, after the comments that end the current line."""
        if self.newline is None:
            return
        if self.trailing:
            if self.out:
                self.out[-1] = self.out[-1].rstrip(" ")
            self.out.append(" " + " ".join(self.trailing))
            self.trailing.clear()
        if self.out:  # strings end in a quote, so only spaces the layout wrote go
            self.out[-1] = self.out[-1].rstrip(" ")
            self.out.append("\n\n" if self.blank else "\n")
        self.out.append(" " * self.newline)
        self.col = self.newline
        self.newline = None
        self.blank = False

    def fits(self, parts, rest) -> bool:
        """Whether `parts`, flat, and what follows them up to the next break fit."""
        room = self.width - (self.col if self.newline is None else self.newline)
        todo = [(_FLAT, parts)]
        rest_index = len(rest)
        while room >= 0:
            if not todo:
                if rest_index == 0:
                    return True
                rest_index -= 1
                _, mode, item = rest[rest_index]
                todo.append((mode, item))
                continue
            mode, item = todo.pop()
            if isinstance(item, (list, tuple)):
                todo.extend((mode, part) for part in reversed(item))
            elif isinstance(item, str):
                cut = item.find("\n")
                room -= len(item) if cut < 0 else cut
                if cut >= 0:
                    return room >= 0
            elif isinstance(item, Line):
                if mode == _BREAK or item.hard:
                    return True
                room -= len(item.flat)
            elif isinstance(item, Group):
                todo.append((_BREAK if item.broken else mode, item.parts))
            elif isinstance(item, Indent):
                todo.append((mode, item.parts))
            elif isinstance(item, IfBreak):
                room -= len(item.broken if mode == _BREAK else item.flat)
            elif isinstance(item, InlineComment):
                room -= len(item.text) + 1
            elif isinstance(item, Comment) and item.own_line:
                return True
        return False


def render(doc, width: int = WIDTH) -> str:
    """The text of `doc`, lines at most `width` columns where a break allows it,
    ending in one newline (or empty)."""
    text = _Renderer(width).run(doc).rstrip("\n")
    return text + "\n" if text else ""
