"""Format one source text: refuse it if it has syntax errors, lay it out, and check
that the result means the same program before handing it back."""

from __future__ import annotations

import functools

import attrs
import lark

from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.sink import Sink
from promptlang.fmt.doc import WIDTH
from promptlang.fmt.doc import render
from promptlang.fmt.layout import document
from promptlang.source import SourceFile
from promptlang.source import Span
from promptlang.syntax import parser as syntax
from promptlang.syntax.nodes import Comment
from promptlang.syntax.postlex import BracketTracker


class FormatError(Exception):
    """The text cannot be formatted: it has syntax errors (`diagnostics`)."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


class _ConcreteParser:
    """Lark's parse tree with every token kept (the compiler's parser builds the AST
    directly and drops punctuation), plus the comments the lexer set aside."""

    def __init__(self) -> None:
        grammar = syntax.grammar_text()
        self.comments: list = []
        options = dict(
            parser="lalr", lexer="contextual", postlex=BracketTracker(), keep_all_tokens=True,
            maybe_placeholders=False,
            lexer_callbacks={"COMMENT": self.comments.append, "BLOCK_COMMENT": self.comments.append},
        )
        path = syntax._cache_path(grammar + "\n// popsc fmt: keep_all_tokens")
        try:
            self.lark = lark.Lark(grammar, cache=path or False, **options)
        except Exception:  # an unwritable or corrupt cache file only costs the build time
            self.lark = lark.Lark(grammar, **options)

    def parse(self, text: str) -> tuple[lark.Tree, list]:
        self.comments.clear()
        tree = self.lark.parse(text)
        return tree, list(self.comments)


@functools.lru_cache(maxsize=1)
def _parser() -> _ConcreteParser:
    return _ConcreteParser()


def format_text(text: str, path: str, *, width: int = WIDTH) -> str:
    """`text` (the contents of the `.pops` file at `path`) in the canonical layout
    (`width` is for tests that want lines to break sooner).

    Raises FormatError with the syntax errors when the text does not parse; a file
    is only ever rewritten into a program with the same syntax tree and comments."""
    text = text.replace("\r\n", "\n")
    try:
        tree, comments = _parser().parse(text)
    except lark.exceptions.UnexpectedInput:
        _checked_module(text, path)  # raises with the compiler's own syntax errors
        raise
    result = render(document(tree, text, comments), width)
    if result == text:  # already formatted: the common case, in CI and in editors
        return result
    before = _checked_module(text, path)
    if shape(_checked_module(result, path)) != shape(before):
        raise AssertionError(f"popsc fmt would change the meaning of {path}; please report this")
    return result


def _checked_module(text: str, path: str):
    sink = Sink()
    module = syntax.parse(SourceFile(path, text), sink)
    if sink.has_errors():
        raise FormatError(sink.sorted())
    return module


_OFFSETS = {"body_start"}  # plain offsets into the text, like spans


def shape(value):
    """An AST without its source positions: what must not change when formatting."""
    if isinstance(value, Span):
        return None
    if isinstance(value, Comment):  # spaces at the end of a line never survive
        return ("Comment", value.text.rstrip())
    if isinstance(value, tuple):
        return tuple(shape(item) for item in value)
    if attrs.has(type(value)):
        return (type(value).__name__,) + tuple(
            shape(getattr(value, field.name)) for field in attrs.fields(type(value))
            if field.name not in _OFFSETS)
    return value
