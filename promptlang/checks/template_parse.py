"""Parse a template body with Jinja's own parser, keeping exact character positions.

Jinja records a line number on every token and node. We hand its parser tokens whose
`lineno` is their character offset in the body instead, so every node knows exactly
where it starts, and we keep the token list to find where an expression ends."""

from __future__ import annotations

import bisect
import re

import attrs
import jinja2
from jinja2 import nodes as jn
from jinja2.exceptions import TemplateSyntaxError
from jinja2.lexer import TokenStream
from jinja2.parser import Parser

from promptlang.checks.context import Ctx
from promptlang.checks.template_syntax import report_syntax
from promptlang.source import Span
from promptlang.syntax import nodes as n
from promptlang.syntax.build import unescape

_CLOSE = {"(": ")", "[": "]", "{": "}"}
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4}|.)")  # as `syntax.build`
_UNEXPECTED_CHAR = re.compile(r"unexpected char (.+) at (\d+)$")


@attrs.frozen(slots=True)
class Token:
    """One lexed token with its offsets in the body."""

    start: int
    end: int
    type: str
    value: str


class Tokens:
    """The body's tokens in order, to find where a node ends and what lies around it."""

    def __init__(self, items: list[Token]):
        self.items = items
        self._starts = [tok.start for tok in items]

    def index(self, offset: int) -> int:
        """The index of the last token starting at or before `offset`."""
        return max(0, bisect.bisect_right(self._starts, offset) - 1)

    def at(self, offset: int) -> Token | None:
        if not self.items:
            return None
        tok = self.items[self.index(offset)]
        return tok if tok.start == offset else None

    def step(self, offset: int, steps: int) -> Token | None:
        """The token `steps` away from the one at `offset` (negative goes back)."""
        i = self.index(offset) + steps
        return self.items[i] if 0 <= i < len(self.items) else None

    def find(self, value: str, start: int, stop: int | None = None) -> Token | None:
        """The first token with this value at or after `start` (and before `stop`)."""
        for tok in self.items[self.index(start):]:
            if stop is not None and tok.start >= stop:
                return None
            if tok.start >= start and tok.value == value:
                return tok
        return None

    def extent(self, node: jn.Node) -> tuple[int, int]:
        """Where an expression starts and ends, closing brackets it opens included."""
        marks = [(self.index(offset) + after, offset) for offset, after in _linenos(node)]
        if not marks or not self.items:
            return 0, 0
        first = self.index(min(offset for _, offset in marks))
        last = min(max(i for i, _ in marks), len(self.items) - 1)
        depth = 0
        for i, tok in enumerate(self.items[first:], first):
            if tok.value in _CLOSE:
                depth += 1
            elif tok.value in _CLOSE.values() and depth > 0:
                depth -= 1
            if i >= last and depth == 0:
                return self.items[first].start, tok.end
        return self.items[first].start, self.items[-1].end

    def block_tags(self):
        """`(offset, name)` of each `{% name ... %}` tag, in order."""
        for tok, nxt in zip(self.items, self.items[1:]):
            if tok.type == "block_begin" and nxt.type == "name":
                yield nxt.start, nxt.value


# Nodes whose recorded token is followed by one that belongs to them: `.` then the
# attribute name, `is` then the test name.
_TRAILING = {"Getattr": 1, "Test": 1}


def _linenos(node: jn.Node):
    """`(offset, tokens after it that belong to the node)` recorded in an expression;
    a `Compare` records the token after it, so its own is skipped."""
    kind = type(node).__name__
    if node.lineno is not None and kind != "Compare":
        yield node.lineno, _TRAILING.get(kind, 0)
    for child in node.iter_child_nodes():
        yield from _linenos(child)


class OffsetEnvironment(jinja2.Environment):
    """A Jinja environment whose tokens carry character offsets instead of lines."""

    def _tokenize(self, source, name, filename=None, state=None):
        record: list[Token] = []
        raw = _with_offsets(source, self.lexer.tokeniter(source, name, filename, state), record)
        stream = TokenStream(self.lexer.wrap(raw, name, filename), name, filename)
        stream.pops_tokens = record
        return stream


def _with_offsets(source: str, raw, record: list[Token]):
    """Replace each token's line by its offset: values are verbatim slices of `source`
    (data may lose trailing whitespace), so each is found at or after the previous one."""
    cursor = 0
    try:
        for _line, kind, value in raw:
            start = source.find(value, cursor)
            start = cursor if start < 0 else start
            cursor = start + len(value)
            if kind != "whitespace" and value:
                record.append(Token(start, cursor, kind, value))
            yield start, kind, value
    except TemplateSyntaxError as error:
        raise _at_offset(error, cursor) from None


def _at_offset(error: TemplateSyntaxError, cursor: int) -> TemplateSyntaxError:
    """The lexer's error with an offset for a line: the position it names, else where
    lexing stopped (just after the last good token)."""
    match = _UNEXPECTED_CHAR.match(error.message or "")
    if match:
        return TemplateSyntaxError(f"unexpected character {match.group(1)}", int(match.group(2)))
    return TemplateSyntaxError(error.message or "invalid template syntax", cursor)


_ENV = OffsetEnvironment(autoescape=False, keep_trailing_newline=True)


@attrs.frozen
class Body:
    """A template body's text and how its offsets map into the `.pops` file: one to one
    from `base`, or through `raw` (the raw offset of each character of an unescaped
    single-line string, and of its end)."""

    text: str
    base: int
    raw: tuple[int, ...] | None = None

    def span(self, ctx: Ctx, start: int, end: int) -> Span:
        return ctx.source.span(self.base + self._raw(start), self.base + self._raw(end))

    def _raw(self, offset: int) -> int:
        if self.raw is None:
            return offset
        return self.raw[max(0, min(offset, len(self.raw) - 1))]


@attrs.frozen
class Parsed:
    """A parsed body: Jinja's tree (linenos are offsets) and its tokens."""

    body: Body
    tree: jn.Template
    tokens: Tokens


def body_of(ctx: Ctx, string: n.Str) -> Body:
    """The text between the quotes. A triple-quoted body is parsed as written (its common
    indentation does not matter to Jinja); a `"..."` one with escapes is parsed from its
    value, each character mapped back to where its escape is written."""
    close = 3 if string.triple else 1
    written = ctx.source.text[string.body_start:string.span.end - close]
    if string.triple or "\\" not in written:
        return Body(written, string.body_start)
    return Body(string.value, string.body_start, _raw_offsets(written))


def _raw_offsets(written: str) -> tuple[int, ...]:
    offsets: list[int] = []
    done = 0
    for match in _ESCAPE.finditer(written):
        offsets.extend(range(done, match.start()))
        offsets.extend([match.start()] * len(unescape(match.group(0))))
        done = match.end()
    offsets.extend(range(done, len(written) + 1))
    return tuple(offsets)


def parse_body(ctx: Ctx, string: n.Str) -> Parsed | None:
    """The parsed body, or None after reporting its syntax error (E0107)."""
    body = body_of(ctx, string)
    # Same-length newline normalisation keeps offsets: Jinja turns `\r\n` into `\n`.
    text = body.text.replace("\r\n", " \n").replace("\r", "\n")
    parser = None
    try:
        parser = Parser(_ENV, text)
        tree = parser.parse()
    except TemplateSyntaxError as error:
        tokens = Tokens(parser.stream.pops_tokens if parser else [])
        offset = error.lineno if isinstance(error.lineno, int) else 0
        report_syntax(ctx, body, tokens, error.message or "", offset)
        return None
    return Parsed(body, tree, Tokens(parser.stream.pops_tokens))
