"""A Pygments lexer for `.pops`, so `pygmentize -l pops` and documentation tools
(Sphinx, MkDocs, anything built on Pygments) highlight the language.

Registered through the `pygments.lexers` entry point in `pyproject.toml`, so nothing
has to import it by hand. The Jinja inside strings is handed to Pygments' own Jinja
(`DjangoLexer`), which knows its tags; only the text around the tags is ours. The
states follow the grammar's shape (`syntax/pops.lark`): bodies (`key = value`,
`name: Type`, `name label? { ... }`, `keyword expression`), object literals, type
references, parameter lists. Like the grammar, it is forgiving: any input lexes, and
only a character that can start no token at all becomes an `Error` token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.lexers.templates import DjangoLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Other,
    Punctuation,
    String,
    Whitespace,
)
from pygments.token import _TokenType as TokenType

__all__ = ["PopsLexer"]

ID = r"[A-Za-z_][A-Za-z0-9_]*"
# Where an entry of a body or an object starts: a line start, or just after `{` or `,`.
ENTRY = r"(?:^|(?<=[{,]))([ \t\f]*)"
# Where a declaration starts: a line start (after a block comment, if one comes first).
LINE_START = r"(?:^|(?<=\*/))([ \t\f]*)"
BUILTIN_TYPES = r"(?:string|int|float|bool|list|map)\b"

_JINJA = DjangoLexer()
# Escapes and intent-example slots (`{order_id}`) in the plain text of a "..." string.
_IN_STRING = re.compile(r"\\(?:u\{[0-9A-Fa-f]+\}|u[0-9A-Fa-f]{4}|.)|\{[A-Za-z_]\w*\}")


def _plain(offset: int, text: str, escapes: bool) -> Iterator[tuple[int, TokenType, str]]:
    """The text between Jinja tags: string, with escapes and slots marked in "..."."""
    last = 0
    for found in _IN_STRING.finditer(text) if escapes else ():
        if found.start() > last:
            yield offset + last, String.Double, text[last : found.start()]
        kind = String.Escape if found.group().startswith("\\") else String.Interpol
        yield offset + found.start(), kind, found.group()
        last = found.end()
    if last < len(text):
        yield offset + last, String.Double, text[last:]


def _merge_text(tokens):
    """Pygments' Jinja lexer yields the text between tags in pieces (`{` alone): join
    them, so a slot such as `{order_id}` is seen whole."""
    pending = None
    for index, token, value in tokens:
        if token is Other and pending is not None:
            pending = (pending[0], Other, pending[2] + value)
            continue
        if pending is not None:
            yield pending
            pending = None
        if token is Other:
            pending = (index, token, value)
        else:
            yield index, token, value
    if pending is not None:
        yield pending


def _string(quote: str):
    """A callback lexing a whole string literal, its Jinja tags by Pygments' Jinja lexer."""
    escapes = quote == '"'

    def callback(lexer, match):
        start, text, closed = match.start(), match.group(), match.group("close")
        end = len(text) - len(quote) if closed else len(text)
        yield start, String.Double, quote
        inner = _JINJA.get_tokens_unprocessed(text[len(quote) : end])
        for index, token, value in _merge_text(inner):
            offset = start + len(quote) + index
            if token is Other:
                yield from _plain(offset, value, escapes)
            else:
                yield offset, token, value
        if closed:
            yield start + end, String.Double, quote

    return callback


# Spaces and comments on one line, between the parts of a declaration's header.
_SPACE = [
    (r"//[^\n]*", Comment.Single),
    (r"/\*[\s\S]*?\*/", Comment.Multiline),
    (r"[^\S\n]+", Whitespace),
]


def _name_then(token, after="#pop"):
    """A state reading the one name after a keyword (`prompt answer`), then `after`."""
    return [*_SPACE, (ID, token, after), default("#pop")]


def _then(pattern, token, state):
    """A state reading `pattern` if it comes next, and going on in `state`."""
    return [*_SPACE, (pattern, token, ("#pop", state)), default("#pop")]


class PopsLexer(RegexLexer):
    """Lexer for promptlang `.pops` sources, with Jinja inside message and template strings."""

    name = "Promptlang"
    aliases: ClassVar = ["pops", "promptlang"]
    filenames: ClassVar = ["*.pops"]
    mimetypes: ClassVar = ["text/x-pops"]

    tokens: ClassVar = {
        # A declaration keyword starts a line at the top level; what follows it (the
        # declared name, dotted module names, `as`, `to`) is lexed by a small state each,
        # so comments and spaces may sit between the parts as the grammar allows.
        "root": [
            include("comments"),
            (rf"{LINE_START}(import)\b", bygroups(Whitespace, Keyword.Namespace), "import"),
            (rf"{LINE_START}(from)\b", bygroups(Whitespace, Keyword.Namespace), "from"),
            (rf"{LINE_START}(enum)\b", bygroups(Whitespace, Keyword.Declaration), "enum-name"),
            (rf"{LINE_START}(type)\b", bygroups(Whitespace, Keyword.Declaration), "type-name"),
            (
                rf"{LINE_START}(prompt|template|intent)\b",
                bygroups(Whitespace, Keyword.Declaration),
                "function-name",
            ),
            (
                rf"{LINE_START}(model|policy|environment)\b",
                bygroups(Whitespace, Keyword.Declaration),
                "constant-name",
            ),
            (rf"{LINE_START}(test)\b", bygroups(Whitespace, Keyword.Declaration), "test-name"),
            (rf"{LINE_START}(apply)\b", bygroups(Whitespace, Keyword.Declaration), "apply"),
            (r"\{", Punctuation, "body"),
            (r"\(", Punctuation, "params"),
            (r"->", Operator, "typeref"),
            include("expression"),
        ],
        "comments": [
            (r"//[^\n]*", Comment.Single),
            (r"/\*[\s\S]*?\*/", Comment.Multiline),
            (r"/\*[\s\S]*", Comment.Multiline),
        ],
        "body": [
            include("comments"),
            (r"\}", Punctuation, "#pop"),
            (
                rf"{ENTRY}({ID})(?:([ \t\f]+)({ID}))?([ \t\f]*)(\{{)",
                bygroups(Whitespace, Keyword, Whitespace, Name.Label, Whitespace, Punctuation),
                "body",
            ),
            (
                rf"{ENTRY}({ID})([ \t\f]*)(=)(?!=)",
                bygroups(Whitespace, Name.Attribute, Whitespace, Operator),
            ),
            (
                rf"{ENTRY}({ID})([ \t\f]*)(:)",
                bygroups(Whitespace, Name.Attribute, Whitespace, Punctuation),
                "typeref",
            ),
            (rf"{ENTRY}({ID})(?=[ \t\f]+[^\s=:,{{}}])", bygroups(Whitespace, Keyword)),
            include("expression"),
        ],
        "enum": [
            include("comments"),
            (r"\}", Punctuation, "#pop"),
            include("annotation"),
            (ID, Name.Constant),
            (r",", Punctuation),
            (r"\s+", Whitespace),
        ],
        "params": [
            include("comments"),
            (r"\)", Punctuation, "#pop"),
            (
                rf"(?:^|(?<=[(,]))(\s*)({ID})(\s*)(:)",
                bygroups(Whitespace, Name.Variable, Whitespace, Punctuation),
                "typeref",
            ),
            include("expression"),
        ],
        "typeref": [
            (r"[ \t\f]+", Whitespace),
            include("type-items"),
            default("#pop"),
        ],
        "type-args": [
            (r">", Punctuation, "#pop"),
            (r",", Punctuation),
            (r"\s+", Whitespace),
            include("type-items"),
        ],
        "type-items": [
            include("comments"),
            (BUILTIN_TYPES, Keyword.Type),
            (r"<", Punctuation, "type-args"),
            (r"\?", Operator),
            (r"\.", Punctuation),
            include("annotation"),
            (ID, Name.Class),
        ],
        "annotation": [
            (r"@", Name.Decorator, "annotation-name"),
        ],
        "annotation-name": _name_then(Name.Decorator, ("#pop", "annotation-args")),
        "annotation-args": _then(r"\(", Punctuation, "call"),
        "import": [
            *_SPACE,
            (r"as\b", Keyword.Namespace),
            (ID, Name.Namespace),
            (r"\.", Punctuation),
            default("#pop"),
        ],
        "from": [
            *_SPACE,
            (r"import\b", Keyword.Namespace, ("#pop", "import-names")),
            (ID, Name.Namespace),
            (r"\.", Punctuation),
            default("#pop"),
        ],
        "import-names": [*_SPACE, (ID, Name), (r",", Punctuation), default("#pop")],
        "apply": [
            *_SPACE,
            (r"to\b", Keyword, "#pop"),
            (ID, Name.Constant),
            (r"\.", Punctuation),
            default("#pop"),
        ],
        "enum-name": _name_then(Name.Class, ("#pop", "enum-open")),
        "enum-open": _then(r"\{", Punctuation, "enum"),
        "type-name": _name_then(Name.Class, ("#pop", "type-after")),
        "type-after": _then(r"=", Operator, "typeref"),
        "function-name": _name_then(Name.Function),
        "constant-name": _name_then(Name.Constant),
        "test-name": _name_then(Name.Label),
        "object": [
            include("comments"),
            (r"\}", Punctuation, "#pop"),
            (
                rf"{ENTRY}({ID})([ \t\f]*)(:)",
                bygroups(Whitespace, Name.Attribute, Whitespace, Punctuation),
            ),
            include("expression"),
        ],
        "list": [
            (r"\]", Punctuation, "#pop"),
            include("expression"),
        ],
        "call": [
            (r"\)", Punctuation, "#pop"),
            (rf"({ID})(\s*)(=)(?!=)", bygroups(Name.Variable, Whitespace, Operator)),
            include("expression"),
        ],
        "expression": [
            include("comments"),
            (r'"""(?:[^"]|"(?!""))*(?P<close>""")?', _string('"""')),
            (r'"(?:[^"\\\n]|\\.)*(?P<close>")?', _string('"')),
            (r"/(?![/*])(?:[^/\\\n]|\\.)+/[A-Za-z]*", String.Regex),
            (r"(-?\d+)(\.\.)(-?\d+)", bygroups(Number.Integer, Operator, Number.Integer)),
            (r"-?\d+(?:\.\d+)?(?:ms|s|m|h)(?![A-Za-z0-9_])", Number),
            (r"-?\d+(?:\.\d+)?%", Number),
            (r"-?\d+\.\d+(?:[eE][-+]?\d+)?", Number.Float),
            (r"-?\d+", Number.Integer),
            (r"(?:true|false|null)\b", Keyword.Constant),
            (r"(?:and|or|not|in|contains|matches|similar_to)\b", Operator.Word),
            (r"for\b", Keyword),
            include("annotation"),
            (r"(?:env|vault|file)(?=\s*\()", Name.Builtin),
            (rf"{ID}(?=\s*\()", Name.Function),
            (rf"{ID}", Name),
            (r"\(", Punctuation, "call"),
            (r"\[", Punctuation, "list"),
            (r"\{", Punctuation, "object"),
            (r"->|==|!=|<=|>=|<|>|=|\?|\*", Operator),
            (r"[.,:]", Punctuation),
            (r"[\])}]", Punctuation),  # a closer without its opener
            # A line break alone, so the next line's first entry is matched at `^`.
            (r"\n", Whitespace),
            (r"[^\S\n]+", Whitespace),
        ],
    }
