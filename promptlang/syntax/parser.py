"""Parse one `.pops` source into an AST module, reporting syntax errors to the sink."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import re

import lark
from lark.exceptions import UnexpectedCharacters
from lark.exceptions import UnexpectedEOF
from lark.exceptions import UnexpectedInput
from lark.exceptions import UnexpectedToken

from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax import nodes as n
from promptlang.syntax.build import AstBuilder
from promptlang.syntax.postlex import BracketTracker
from promptlang.syntax.syntax_errors import describe_unexpected_token
from promptlang.syntax.syntax_errors import report_lexer_error
from promptlang.syntax.syntax_errors import report_unclosed

DECL_KEYWORDS = (
    "import", "from", "enum", "type", "model", "template", "prompt", "intent", "test",
    "policy", "apply", "environment",
)
_DECL_START = re.compile(r"(?:%s)\b" % "|".join(DECL_KEYWORDS))


def grammar_text() -> str:
    return importlib.resources.files("promptlang.syntax").joinpath("pops.lark").read_text("utf-8")


def _cache_path(grammar: str) -> str | None:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    key = hashlib.sha256((lark.__version__ + grammar).encode()).hexdigest()[:16]
    folder = os.path.join(root, "promptlang")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return os.path.join(folder, f"grammar-{key}.lark-cache")


class _Parser:
    """The Lark parser, built once per process, with its builder and bracket tracker."""

    def __init__(self) -> None:
        grammar = grammar_text()
        self.builder = AstBuilder()
        self.tracker = BracketTracker()
        self.comments: list = []
        options = dict(
            parser="lalr",
            lexer="contextual",
            transformer=self.builder,
            postlex=self.tracker,
            lexer_callbacks={"COMMENT": self.comments.append, "BLOCK_COMMENT": self.comments.append},
            maybe_placeholders=False,
        )
        path = _cache_path(grammar)
        try:
            self.lark = lark.Lark(grammar, cache=path or False, **options)
        except Exception:  # an unwritable or corrupt cache file only costs the build time
            self.lark = lark.Lark(grammar, **options)

    def run(self, text: str, file: str, base: int) -> tuple:
        self.builder.file = file
        self.builder.base = base
        return self.lark.parse(text)


@functools.lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


def parse(source: SourceFile, sink: Sink) -> n.Module:
    """The module's AST; on syntax errors, the declarations that could be recovered."""
    parser = _parser()
    parser.comments.clear()
    try:
        decls = parser.run(source.text, source.path, 0)
    except UnexpectedInput:
        parser.comments.clear()
        decls = _parse_in_chunks(parser, source, sink)
    comments = tuple(
        n.Comment(source.span(tok.start_pos + base, tok.end_pos + base), str(tok))
        for tok, base in _comment_positions(parser)
    )
    return n.Module(source.path, source.module, tuple(decls), comments)


def _comment_positions(parser: _Parser):
    for item in parser.comments:
        if isinstance(item, tuple):
            yield item
        else:
            yield item, 0


def _parse_in_chunks(parser: _Parser, source: SourceFile, sink: Sink) -> list:
    """Parse each top-level declaration alone so one error does not hide the rest."""
    decls: list = []
    collected: list = []
    for start, end in declaration_chunks(source.text):
        parser.comments.clear()
        chunk = source.text[start:end]
        try:
            decls.extend(parser.run(chunk, source.path, start))
        except UnexpectedInput as error:
            _report(error, parser, source, chunk, start, sink)
            broken = _broken_declaration(source, chunk, start)
            if broken is not None:
                decls.append(broken)
        collected.extend((tok, start) for tok in parser.comments)
    parser.comments[:] = collected
    return decls


def _report(error, parser: _Parser, source: SourceFile, chunk: str, base: int, sink: Sink) -> None:
    stack = list(parser.tracker.stack)
    if isinstance(error, UnexpectedCharacters):
        report_lexer_error(source, chunk, base, error, sink)
    elif isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        if stack:
            report_unclosed(source, base, stack, sink)
        else:
            describe_unexpected_token(source, base, error, stack, sink)
    else:
        describe_unexpected_token(source, base, error, stack, sink)


_NAMED_HEADER = re.compile(
    r"(enum|type|model|template|prompt|intent|policy|environment)\s+([A-Za-z_][A-Za-z0-9_]*)")


def _broken_declaration(source: SourceFile, chunk: str, base: int) -> n.Broken | None:
    match = _NAMED_HEADER.match(chunk)
    if match is None:
        return None
    name = n.Name(source.span(base + match.start(2), base + match.end(2)), match.group(2))
    return n.Broken(source.span(base, base + len(chunk.rstrip())), match.group(1), name)


def declaration_chunks(text: str) -> list[tuple[int, int]]:
    """Offsets of the top-level declarations: lines that start at column 1 with a
    declaration keyword, outside `\"\"\"` blocks. The first chunk starts at 0."""
    starts = [0]
    in_triple = False
    offset = 0
    for line in text.splitlines(keepends=True):
        if not in_triple and offset and _DECL_START.match(line):
            starts.append(offset)
        code = line
        comment = line.find("//")
        if not in_triple and comment >= 0 and '"' not in line[:comment]:
            code = line[:comment]
        if code.count('"""') % 2:
            in_triple = not in_triple
        offset += len(line)
    bounds = starts + [len(text)]
    return [(bounds[i], bounds[i + 1]) for i in range(len(starts))]
