"""Doc comments attach to the declaration right below them, and only to it."""

from __future__ import annotations

from promptlang.diagnostics.sink import Sink
from promptlang.project import stdlib_sources
from promptlang.source import SourceFile
from promptlang.syntax import nodes as n
from promptlang.syntax.docs import doc_comment
from promptlang.syntax.parser import parse

TEXT = """\
// unrelated header

// What the customer wrote.
// Two lines.
type Ticket { body: string }
enum Color { red }   // trailing, not a doc
type Plain { a: int }
"""


def _docs(text):
    module = parse(SourceFile("m.pops", text, "m"), Sink())
    return {d.name.value: doc_comment(module, text, d) for d in module.decls if hasattr(d, "name")}


def test_block_above_is_the_doc():
    """Consecutive `//` lines right above a declaration are its doc; a blank line ends it."""
    assert _docs(TEXT)["Ticket"] == "What the customer wrote.\nTwo lines."


def test_no_doc_without_comment_above():
    """A trailing comment on the line above belongs to that line, not the next declaration."""
    docs = _docs(TEXT)
    assert docs["Color"] is None
    assert docs["Plain"] is None


def test_every_stdlib_declaration_is_documented():
    """The standard library documents each of its declarations."""
    for name, source in stdlib_sources().items():
        module = parse(source, Sink())
        for decl in module.decls:
            if isinstance(decl, n.NAMED_DECLS):
                assert doc_comment(module, source.text, decl), f"{name}.{decl.name.value} has no doc comment"
