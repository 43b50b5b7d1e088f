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
DOTTED = rf"{ID}(?:\.{ID})*"
# Where an entry of a body or an object starts: a line start, or just after `{` or `,`.
ENTRY = r"(?:^|(?<=[{,]))([ \t]*)"
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


def _string(quote: str):
    """A callback lexing a whole string literal, its Jinja tags by Pygments' Jinja lexer."""
    escapes = quote == '"'

    def callback(lexer, match):
        start, text = match.start(), match.group()
        closed = len(text) >= 2 * len(quote) and text.endswith(quote)
        end = len(text) - len(quote) if closed else len(text)
        yield start, String.Double, quote
        for index, token, value in _JINJA.get_tokens_unprocessed(text[len(quote) : end]):
            offset = start + len(quote) + index
            if token is Other:
                yield from _plain(offset, value, escapes)
            else:
                yield offset, token, value
        if closed:
            yield start + end, String.Double, quote

    return callback


class PopsLexer(RegexLexer):
    """Lexer for promptlang `.pops` sources, with Jinja inside message and template strings."""

    name = "Promptlang"
    aliases = ["pops", "promptlang"]
    filenames = ["*.pops"]
    mimetypes = ["text/x-pops"]
    url = "https://github.com/promptlang/promptlang"

    tokens = {
        "root": [
            include("comments"),
            (
                rf"^([ \t]*)(import)(\s+)({DOTTED})(?:(\s+)(as)(\s+)({ID}))?",
                bygroups(
                    Whitespace, Keyword.Namespace, Whitespace, Name.Namespace,
                    Whitespace, Keyword.Namespace, Whitespace, Name.Namespace,
                ),
            ),
            (
                rf"^([ \t]*)(from)(\s+)({DOTTED})(\s+)(import)\b",
                bygroups(
                    Whitespace, Keyword.Namespace, Whitespace, Name.Namespace,
                    Whitespace, Keyword.Namespace,
                ),
            ),
            (
                rf"^([ \t]*)(enum)(\s+)({ID})(\s*)(\{{)",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Class,
                         Whitespace, Punctuation),
                "enum",
            ),
            (
                rf"^([ \t]*)(type)(\s+)({ID})(\s*)(=)",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Class,
                         Whitespace, Operator),
                "typeref",
            ),
            (
                rf"^([ \t]*)(type)(\s+)({ID})",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Class),
            ),
            (
                rf"^([ \t]*)(prompt|template|intent)(\s+)({ID})",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Function),
            ),
            (
                rf"^([ \t]*)(model|policy|environment)(\s+)({ID})",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Constant),
            ),
            (
                rf"^([ \t]*)(test)(\s+)({ID})",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Label),
            ),
            (r'^([ \t]*)(test)(?=\s+")', bygroups(Whitespace, Keyword.Declaration)),
            (
                rf"^([ \t]*)(apply)(\s+)({DOTTED})(\s+)(to)\b",
                bygroups(Whitespace, Keyword.Declaration, Whitespace, Name.Constant,
                         Whitespace, Keyword),
            ),
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
                rf"{ENTRY}({ID})(?:([ \t]+)({ID}))?([ \t]*)(\{{)",
                bygroups(Whitespace, Keyword, Whitespace, Name.Label, Whitespace, Punctuation),
                "body",
            ),
            (
                rf"{ENTRY}({ID})([ \t]*)(=)(?!=)",
                bygroups(Whitespace, Name.Attribute, Whitespace, Operator),
            ),
            (
                rf"{ENTRY}({ID})([ \t]*)(:)",
                bygroups(Whitespace, Name.Attribute, Whitespace, Punctuation),
                "typeref",
            ),
            (rf"{ENTRY}({ID})(?=[ \t]+[^\s=:,{{}}])", bygroups(Whitespace, Keyword)),
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
            (r"[ \t]+", Whitespace),
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
            (rf"(@{ID})(\s*)(\()", bygroups(Name.Decorator, Whitespace, Punctuation), "call"),
            (rf"@{ID}", Name.Decorator),
        ],
        "object": [
            include("comments"),
            (r"\}", Punctuation, "#pop"),
            (
                rf"{ENTRY}({ID})([ \t]*)(:)",
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
            (r'"""(?:[^"]|"(?!""))*(?:"""|$)', _string('"""')),
            (r'"(?:[^"\\\n]|\\.)*"?', _string('"')),
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
            (r"\s+", Whitespace),
        ],
    }
