"""Turns Lark's parse errors into diagnostics that say what was expected and where."""

from __future__ import annotations

from lark import Token

from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import did_you_mean
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


DECL_WORDS = ("import", "from", "enum", "type", "model", "template", "prompt", "intent",
              "test", "policy", "apply", "environment")
_VALUE_TOKENS = {"STRING", "TRIPLE_STRING", "INT", "FLOAT", "DURATION", "PERCENT", "REGEX"}


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
        _report_mismatch(source, base, token, stack[-1], sink, start, end)
        return
    if token.type == "_NL":
        end = start + (2 if source.text.startswith("\r\n", start) else 1)
    before = source.text[:start].rstrip(" \t")
    message, help_text = _explain(token, expected, stack, before)
    secondary = ()
    if stack:
        opener = stack[-1]
        text = "in the block opened here" if opener.type == "LBRACE" else f"this `{opener}` is still open"
        secondary = (Label(source.span(opener.start_pos + base, opener.end_pos + base), text),)
    sink.report("E0101", source.span(start, end), message, label="unexpected here",
                help=help_text, secondary=secondary)


def _report_mismatch(source, base, token, opener, sink, start, end) -> None:
    closer = _CLOSER_TEXT[OPENERS[opener.type]]
    sink.report(
        "E0105", source.span(start, end), f"mismatched closing `{token}`",
        label=f"expected `{closer}` here",
        secondary=(Label(source.span(opener.start_pos + base, opener.end_pos + base),
                         f"to close this `{opener}`"),),
    )


def _explain(token: Token, expected: set[str], stack, before: str) -> tuple[str, str | None]:
    """The message and help for an unexpected token, from what the parser would take
    and the text just before it."""
    found = _found(token)
    closer = _innermost_closer(stack, expected)
    if not stack and token.type == "NAME" and expected & {"TYPE", "PROMPT", "MODEL"}:
        return (f"expected a declaration, found {found}",
                did_you_mean(str(token), DECL_WORDS)
                or "declarations start with " + ", ".join(f"`{w}`" for w in DECL_WORDS))
    if before.endswith(":") and token.type in _VALUE_TOKENS and "EQUAL" not in expected:
        return (f"expected a type, found {found}",
                "settings are written `key = value`; `name: Type` declares a field")
    if token.type == "COLON" and "EQUAL" in expected and "LBRACE" in expected:
        return ("expected `=` or `{`, found `:`",
                "an alias is written `type Name = string`, a record `type Name { field: Type }`")
    if token.type == "COLON" and "EQUAL" in expected:
        return ("expected `=`, found `:`",
                "settings are written `key = value`; `key: Type` declares a field")
    if token.type == "EQUAL" and "COLON" in expected:
        return ("expected `:`, found `=`", "fields and object entries are written `name: value`")
    if closer is not None and closer[0] == "}" and token.type in ("NAME", "STRING") and (
            {"COMMA", "_NL"} & expected):
        return (f"expected a line break or `,` before the next entry, found {found}",
                "separate entries with a comma or a line break")
    if closer is not None:
        return f"expected `,` or `{closer[0]}`, found {found}", None
    if token.type == "_NL" and "LBRACE" in expected and not expected & {"INT", "NAME", "LSQB"}:
        return (f"expected `{{`, found {found}",
                "put the opening `{` on the same line as the declaration")
    literal_of = _literal_lookup()
    return f"expected {expected_phrase(expected, literal_of)}, found {found}", None


def _innermost_closer(stack, expected: set[str]) -> tuple[str, str] | None:
    """`(closer, name)` when the innermost open bracket could be closed here."""
    if not stack:
        return None
    closer_type = OPENERS[stack[-1].type]
    if closer_type in expected:
        return _CLOSER_TEXT[closer_type], closer_type
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
    if char == "\ufffd":
        return  # the undecodable byte was reported as E0106
    help_text = None
    line_start = chunk.rfind("\n", 0, pos) + 1
    line = chunk[line_start:pos].lstrip()
    if char == "'":
        help_text = 'strings are written in double quotes: `"text"`'
    elif char == "#":
        help_text = "comments start with `//`"
    elif char == "/" and line.startswith(("import ", "from ")):
        help_text = "module names are written with dots: `import support.tickets`"
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
