"""Turns Lark's parse errors into diagnostics that say what was expected and where."""

from __future__ import annotations

from lark import Token

from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.postlex import OPENERS

# How each terminal is named in a message.
TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "TRIPLE_STRING": 'a """ block',
    "INT": "a number",
    "FLOAT": "a number",
    "DURATION": "a duration",
    "PERCENT": "a percentage",
    "REGEX": "a regular expression",
    "_NL": "a line break",
    "$END": "the end of the file",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "COLON": "`:`",
    "EQUAL": "`=`",
    "DOT": "`.`",
    "AT": "`@`",
    "QMARK": "`?`",
    "STAR": "`*`",
    "LESSTHAN": "`<`",
    "MORETHAN": "`>`",
    "__ANON_0": "`->`",
}
_EXPRESSION_STARTS = {"STRING", "INT", "FLOAT", "LSQB", "NAME", "REGEX", "TRUE", "FALSE", "NULL"}
_CLOSER_TEXT = {"RBRACE": "}", "RPAR": ")", "RSQB": "]"}


def _describe_terminal(name: str, pattern_text: str | None = None) -> str:
    if name in TERMINAL_NAMES:
        return TERMINAL_NAMES[name]
    if pattern_text:
        return f"`{pattern_text}`"
    return f"`{name.lower()}`"


def _found(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "a line break"
    text = str(token)
    if len(text) > 24:
        text = text[:21] + "..."
    return f"`{text}`"


def expected_phrase(expected: set[str], literal_of) -> str:
    """"expected `}` or a line break", shortened when the parser would take many things."""
    names = set(expected)
    if len(names & _EXPRESSION_STARTS) >= 4:
        names -= _EXPRESSION_STARTS | {"TRIPLE_STRING", "DURATION", "PERCENT", "LBRACE", "NOT", "LPAR"}
        names.add("<expr>")
    words = sorted(
        {"a value" if x == "<expr>" else _describe_terminal(x, literal_of(x)) for x in names}
    )
    if not words:
        return "something else"
    if len(words) > 6:
        return "a declaration, a setting or a value"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def describe_unexpected_token(source: SourceFile, base: int, error, stack, sink: Sink) -> None:
    token = getattr(error, "token", None)
    expected = set(getattr(error, "expected", None) or getattr(error, "accepts", None) or ())
    if token is None or token.type == "$END":
        end = len(source.text)
        sink.report("E0101", source.span(end, end), "unexpected end of file",
                    label="the file ends here")
        return
    start = token.start_pos + base
    end = max(token.end_pos + base, start + 1)
    if token.type in _CLOSER_TEXT and stack and OPENERS[stack[-1].type] != token.type:
        opener = stack[-1]
        closer = _CLOSER_TEXT[OPENERS[opener.type]]
        sink.report(
            "E0105", source.span(start, end), f"mismatched closing `{token}`",
            label=f"expected `{closer}` here",
            secondary=(Label(source.span(opener.start_pos + base, opener.end_pos + base),
                             f"to close this `{opener}`"),),
        )
        return
    literal_of = _literal_lookup()
    message = f"expected {expected_phrase(expected, literal_of)}, found {_found(token)}"
    help_text = _hint(token, expected)
    secondary = ()
    if stack and "RBRACE" in expected and stack[-1].type == "LBRACE":
        opener = stack[-1]
        secondary = (Label(source.span(opener.start_pos + base, opener.end_pos + base),
                           "in the block opened here"),)
    if token.type == "_NL":
        start = end = token.start_pos + base
        if start < len(source.text) and source.text[start] == "\r":
            end = start + 1
        end = max(end, start)
    sink.report("E0101", source.span(start, end), message, label="unexpected here",
                help=help_text, secondary=secondary)


def _hint(token: Token, expected: set[str]) -> str | None:
    if token.type == "_NL" and "LBRACE" in expected:
        return "put the opening `{` on the same line as the declaration"
    if token.type == "COLON" and "EQUAL" in expected:
        return "settings are written `key = value`; `key: Type` declares a field"
    if token.type == "EQUAL" and "COLON" in expected:
        return "fields and object entries are written `name: value`"
    if token.type == "NAME" and ("COMMA" in expected or "_NL" in expected):
        return "separate entries with a comma or a line break"
    return None


_LITERALS: dict[str, str] | None = None


def _literal_lookup():
    global _LITERALS
    if _LITERALS is None:
        from promptlang.syntax.parser import _parser

        _LITERALS = {}
        for term in _parser().lark.terminals:
            pattern = term.pattern
            if pattern.type == "str":
                _LITERALS[term.name] = pattern.value
    return _LITERALS.get


def report_lexer_error(source: SourceFile, chunk: str, base: int, error, sink: Sink) -> None:
    pos = error.pos_in_stream
    start = pos + base
    if chunk[max(0, pos - 2) : pos + 1] == '"""':  # `""` lexed as an empty string first
        pos -= 2
        start -= 2
    rest = chunk[pos:]
    if rest.startswith('"""'):
        sink.report("E0103", source.span(start, start + 3), 'unterminated `"""` block',
                    label="this block is never closed",
                    help='close it with `"""` on a line of its own')
        return
    if rest.startswith('"'):
        line_end = rest.find("\n")
        end = start + (len(rest) if line_end < 0 else line_end)
        sink.report("E0103", source.span(start, end), "unterminated string",
                    label="this string is never closed",
                    help='close it with `"` on the same line, or use `"""` for text over several lines')
        return
    if rest.startswith("/*"):
        sink.report("E0103", source.span(start, start + 2), "unterminated block comment",
                    label="this comment is never closed", help="close it with `*/`")
        return
    char = rest[:1] or " "
    help_text = None
    if char == "'":
        help_text = 'strings are written in double quotes: `"text"`'
    elif char == "#":
        help_text = "comments start with `//`"
    elif char == "/":
        help_text = "a regular expression is written `/pattern/flags` and cannot be empty"
    sink.report("E0102", source.span(start, start + len(char)), f"unexpected character `{char}`",
                label="no token starts with this", help=help_text)


def report_unclosed(source: SourceFile, base: int, stack, sink: Sink) -> None:
    opener = stack[-1]
    closer = _CLOSER_TEXT[OPENERS[opener.type]]
    start = opener.start_pos + base
    sink.report(
        "E0104", source.span(start, start + 1), f"unclosed `{opener}`",
        label=f"this `{opener}` is never closed",
        help=f"add `{closer}` where the {'block' if opener.type == 'LBRACE' else 'list'} ends",
    )
