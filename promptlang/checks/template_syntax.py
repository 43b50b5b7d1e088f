"""Syntax errors in template bodies (E0107), said in our words and where the fix goes.

Jinja's parser stops at the first error with a message in its own style ("expected
token 'end of print statement', got '}'"). The tokens lexed so far tell us more: which
`{{` or `{% tag` is still open, which blocks are open, where a lone `%` or `}` was
written for `%}` or `}}`. Each kind of mistake is reported once, at the narrowest
span, with the opening as a secondary label when it helps to see it."""

from __future__ import annotations

import re
import typing as t

import attrs

from promptlang.checks.context import Ctx
from promptlang.checks.template_filters import FILTERS
from promptlang.checks.template_values import all_of
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.suggest import did_you_mean

if t.TYPE_CHECKING:
    from promptlang.checks.template_parse import Body
    from promptlang.checks.template_parse import Token
    from promptlang.checks.template_parse import Tokens

TAGS = ("if", "elif", "else", "endif", "for", "endfor", "raw", "endraw")
OPENERS = {"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "raw"}
# Tags that only make sense inside a block: Jinja calls them unknown anywhere else.
_INSIDE = {"else": "if", "elif": "if", **{f"end{name}": name for name in OPENERS}}
_TAG_RUNS_OUT = ("unexpected end of template, expected 'end of", "unexpected 'end of template'")
_BEGIN = {"variable_begin": ("{{", "}}"), "block_begin": ("{%", "%}")}
_END = {"variable_end", "block_end"}

# How Jinja describes tokens, in our words.
_DESCRIBED = {
    "end of print statement": "`}}`", "begin of print statement": "`{{`",
    "end of statement block": "`%}`", "begin of statement block": "`{%`",
    "end of comment": "`#}`", "begin of comment": "`{#`",
    "end of template": "the end of the template", "template data / text": "text",
    "name": "a name", "integer": "a number", "float": "a number", "string": "a string",
}
# Jinja's other messages in our words: (pattern, message, label), where `{0}`, `{1}`
# are the pattern's groups as `_said` words them.
_RESTYLED = (
    (r"expected token '(.+)', got '(.+)'$", "expected {0}, found {1}", "expected {0}"),
    (r"unexpected '(.+)', expected '(.+)'$", "expected {1}, found {0}", "expected {1}"),
    (r"unexpected '(end of .+)'$", "expected an expression, found {0}", "expected an expression"),
    (r"unexpected '([)\]}])'$", "unexpected {0}", "nothing to close"),
    (r"unexpected '(.+)'$", "unexpected {0}", "not expected here"),
    (r"expected an expression, got '(.+)'$", "expected an expression, found {0}",
     "expected an expression"),
    (r"unexpected character ['\"](.+)['\"]$", "unexpected character {0}", "not allowed here"),
    (r"tag name expected$", "expected a tag name after `{{%`", "expected a tag name"),
    (r"expected name or number$", "expected a field name after `.`", "expected a field name"),
    (r"invalid syntax for function call expression$", "positional argument after a named one",
     "in this call"),
    (r"you cannot chain multiple tests with is$", "tests with `is` cannot be chained",
     "a second test"),
)
_HELP = {
    "positional argument after a named one": "pass positional arguments first, then named ones",
    "expected a field name after `.`": "write a field name: `ticket.body`",
    "expected a tag name after `{%`": "the tags are `if`, `elif`, `else`, `for` and their "
                                      "`end` tags",
}
# What a tag looks like, for an error inside one.
_SHAPE = {
    "if": "write the condition: `{% if ticket.body %}`",
    "elif": "write the condition: `{% elif ticket.body %}`",
    "for": "a loop is written `{% for item in items %}`",
    "": "write the value to interpolate: `{{ name }}`",
}


@attrs.define
class OpenBlock:
    """A `{% tag %}` not yet closed where an error was found, and its `{% else %}`."""

    offset: int
    name: str
    else_at: int | None = None


def open_blocks(tokens: Tokens, until: int) -> list[OpenBlock]:
    """The blocks open just before `until`, innermost last."""
    stack: list[OpenBlock] = []
    for offset, name in tokens.block_tags():
        if offset >= until:
            break
        if name in OPENERS:
            stack.append(OpenBlock(offset, name))
        elif name == "else" and stack:
            stack[-1].else_at = offset
        elif name.startswith("end") and stack and stack[-1].name == name[3:]:
            stack.pop()
    return stack


class SyntaxReport:
    """One syntax error of one body: classified by what the tokens show, then reported."""

    def __init__(self, ctx: Ctx, body: Body, tokens: Tokens, message: str, offset: int):
        self.ctx, self.body, self.tokens = ctx, body, tokens
        self.message = message
        self.offset = offset
        self.tok = tokens.at(offset) or self.lexed_at(offset)

    def lexed_at(self, offset: int) -> Token | None:
        """The bracket the lexer stopped at (it never became a token), as one."""
        from promptlang.checks.template_parse import Token  # it imports this module

        char = self.body.text[offset:offset + 1]
        return Token(offset, offset + 1, "operator", char) if char and char in "})]%" else None

    def span(self, start: int, end: int):
        return self.body.span(self.ctx, start, min(end, len(self.body.text)))

    def report(self, where: tuple[int, int], message: str, label: str, help: str | None = None,
               secondary: tuple[tuple[tuple[int, int], str], ...] = (), notes=()) -> None:
        labels = tuple(Label(self.span(*at), text) for at, text in secondary)
        self.ctx.sink.report("E0107", self.span(*where), message, label=label, help=help,
                             notes=notes, secondary=labels)

    # ---- dispatch ------------------------------------------------------------------
    def run(self) -> None:
        sentences = [s for s in re.split(r"(?<=\.)\s+", self.message) if s]
        first = _tidy(sentences[0]) if sentences else "invalid template syntax"
        unknown = re.match(r"encountered unknown tag '(\w+)'", first)
        if "innermost block" in self.message and (first.startswith("unexpected end")
                                                  or "nesting" in self.message):
            return self.unclosed_block()
        if first.startswith(_TAG_RUNS_OUT):
            self.offset, self.tok = len(self.body.text), None
            return self.unclosed_tag(self.last_opener(self.offset))
        if unknown:
            return self.unknown_tag(unknown.group(1))
        if first.startswith("missing end of comment tag"):
            return self.unclosed_mark(r"(\{#)", "{#", "#}")
        if first.startswith("missing end of raw directive"):
            return self.unclosed_mark(r"\{%-?\s*(raw)\b", "{% raw %}", "{% endraw %}")
        quote = re.match(r"unexpected character (['\"])(['\"])\1$", first)
        if quote:
            return self.unclosed_string(quote.group(2))
        opener = self.last_opener(self.offset)
        if opener is not None and self.closes_badly(first, opener):
            return self.unclosed_tag(opener)
        self.generic(first, [_tidy(s) for s in sentences[1:]])

    def generic(self, first: str, notes: list[str]) -> None:
        """Any other Jinja message, restyled, at the token it names."""
        message, label = first, "here"
        for pattern, say, mark in _RESTYLED:
            match = re.match(pattern, first)
            if match:
                words = [_said(group) for group in match.groups()]
                message, label = say.format(*words), mark.format(*words)
                break
        help = _HELP.get(message)
        if message.startswith("expected a name") and self.before() == "|":
            message, label = "expected a filter name after `|`", "expected a filter name"
            help = f"the filters are {all_of(FILTERS)}"
        opener = self.last_opener(self.offset)
        tag = self.tag_name(opener) if opener is not None else None
        if help is None and (message.startswith("expected an expression")
                             or tag == "for" and message.startswith("expected `in`")):
            help = _SHAPE.get(tag)
        end = self.tok.end if self.tok else self.offset + 1
        self.report((self.offset, end), message, label=label, help=help, notes=tuple(notes))

    def before(self) -> str:
        """The token just before the error."""
        earlier = [tok.value for tok in self.tokens.items if tok.start < self.offset]
        return earlier[-1] if earlier else ""

    # ---- `{{ x }` and `{% if x %text` ------------------------------------------------
    def last_opener(self, before: int) -> Token | None:
        """The `{{` or `{%` still open at `before` (no `}}`/`%}` after it), if any."""
        for tok in reversed(self.tokens.items):
            if tok.start >= before:
                continue
            if tok.type in _END:
                return None
            if tok.type in _BEGIN:
                return tok
        return None

    def closes_badly(self, first: str, opener: Token) -> bool:
        """Whether the error is the tag's end written wrong or missing: a lone `}` or
        `%`, the other tag's end, or anything where the end was expected."""
        if re.search(r", expected '[)\]}]'", first):
            return False  # an unclosed bracket: said as it is
        closing = "print statement" if opener.type == "variable_begin" else "statement block"
        if first.startswith(f"expected token 'end of {closing}'"):
            return True
        if self.lone_percent(opener) is not None:
            return True
        wrong_end = ("}", "%}") if opener.type == "variable_begin" else ("}", "}}")
        return self.tok is not None and self.tok.value in wrong_end

    def lone_percent(self, opener: Token) -> Token | None:
        """A `%` inside `{% ... ` where `%}` was meant (`{% if x %Hello`)."""
        if opener.type != "block_begin":
            return None
        for tok in self.tokens.items[self.tokens.index(opener.start) + 1:]:
            if tok.start >= self.offset or tok.type in _END:
                return None
            if tok.value == "%":
                return tok
        return None

    def unclosed_tag(self, opener: Token | None) -> None:
        """`{{ x }`, `{{ x y }}`, `{% if x %text`: what closes the tag, where it is
        missing, and the tag with its end written."""
        if opener is None:
            return self.generic("unexpected end of template", [])
        mark, close = _BEGIN[opener.type]
        name = self.tag_name(opener)
        what = f"`{mark} {name}`" if name else f"`{mark}`"
        where = self.missing_end(opener)
        if where is None:  # the body ends inside the tag
            self.report((opener.start, opener.end), f"{what} is never closed", label="opened here",
                        help=f"close it with `{close}`")
            return
        inner = " ".join(self.body.text[opener.end:where[0]].split()).rstrip("%} ")
        written = self.body.text[where[0]:where[1]]
        label = f"expected `{close}`" if set(written) <= set("%}") else \
            f"expected `{close}` before this"
        help = f"close it with `{close}`"
        if name == "else" and written == "if":
            help = "for another condition write `{% elif ... %}`"
        elif inner and "\n" not in inner and len(inner) <= 60:
            help = f"close it: `{mark} {inner} {close}`"
        self.report(where, f"expected `{close}` to close {what}", label=label, help=help,
                    secondary=(((opener.start, opener.end), "opened here"),))

    def tag_name(self, opener: Token) -> str:
        if opener.type != "block_begin":
            return ""
        nxt = self.tokens.step(opener.start, 1)
        return nxt.value if nxt is not None and nxt.type == "name" else ""

    def missing_end(self, opener: Token) -> tuple[int, int] | None:
        """Where the tag's end should be: a lone `%`, a `}` run, else the token the
        parser stopped at; None when the body simply ends."""
        percent = self.lone_percent(opener)
        if percent is not None:
            return percent.start, percent.end
        if self.tok is None:
            return None
        start, end = self.tok.start, self.tok.end
        text = self.body.text
        if self.tok.value == "}":
            while end < len(text) and text[end] == "}":
                end += 1
            if text[start - 1:start] == "%":
                start -= 1  # `{{ x %}`
        return start, end

    # ---- blocks ----------------------------------------------------------------------
    def unclosed_block(self) -> None:
        """Point at the innermost tag that is never closed, not at the end of the body."""
        stack = open_blocks(self.tokens, len(self.body.text) + 1)
        if not stack:
            return self.generic("unexpected end of template", [])
        block = stack[-1]
        self.report((block.offset, block.offset + len(block.name)),
                    f"`{{% {block.name} %}}` is never closed", label="opened here",
                    help=f"close it with `{{% end{block.name} %}}`")

    def unknown_tag(self, name: str) -> None:
        """A tag outside the subset, or one of ours outside the block it belongs to."""
        where = (self.offset, self.offset + len(name))
        if name in _INSIDE:
            return self.out_of_place(name, where)
        help = (len(name) > 2 and did_you_mean(name, TAGS)
                or "the tags are `if`, `elif`, `else`, `for` and their `end` tags")
        self.report(where, f"unknown tag `{name}`", label="not a tag", help=help)

    def out_of_place(self, name: str, where: tuple[int, int]) -> None:
        """`{% endif %}` with no `{% if %}` open, `{% elif %}` after `{% else %}`, ..."""
        owner = _INSIDE[name]
        stack = open_blocks(self.tokens, self.offset)
        inner = stack[-1] if stack else None
        if inner is not None and inner.else_at is not None and name in ("else", "elif"):
            return self.after_else(name, inner, where)
        secondary = ()
        if inner is not None:
            secondary = (((inner.offset, inner.offset + len(inner.name)),
                          f"the open block is this `{{% {inner.name} %}}`"),)
        if not name.startswith("end"):
            label = f"not inside an `{{% {owner} %}}`"
            help = f"`{{% {name} %}}` goes between `{{% {owner} ... %}}` and `{{% end{owner} %}}`"
        elif inner is not None:
            label = "nothing to close"
            help = f"close the `{{% {inner.name} %}}` with `{{% end{inner.name} %}}`"
        else:
            label = "nothing to close"
            opening = "{% raw %}" if owner == "raw" else f"{{% {owner} ... %}}"
            help = f"remove it, or open the block first: `{opening}`"
        self.report(where, f"`{{% {name} %}}` without an open `{{% {owner} %}}`", label=label,
                    help=help, secondary=secondary)

    def after_else(self, name: str, block: OpenBlock, where: tuple[int, int]) -> None:
        """A second `{% else %}`, or an `{% elif %}` after the `{% else %}`."""
        first = ((block.else_at, block.else_at + 4), "the `{% else %}` is here")
        if name == "elif":
            self.report(where, "`{% elif %}` after `{% else %}`", label="after the `{% else %}`",
                        help="move the `{% elif %}` branch before the `{% else %}`",
                        secondary=(first,))
            return
        help = "keep one `{% else %}`"
        if block.name == "if":
            help += ", or use `{% elif ... %}` for another condition"
        self.report(where, f"a second `{{% else %}}` in one `{{% {block.name} %}}`",
                    label="a second `{% else %}`", help=help,
                    secondary=((first[0], "the first `{% else %}`"),))

    # ---- comments, raw blocks and strings ---------------------------------------------------
    def unclosed_mark(self, pattern: str, shown: str, close: str) -> None:
        """`{# ...` or `{% raw %}` running to the end of the body, reported where it opens."""
        found = [m for m in re.finditer(pattern, self.body.text)]
        before = [m for m in found if m.start() <= self.offset] or found
        start, end = before[-1].span(1) if before else (self.offset, self.offset + 1)
        self.report((start, end), f"`{shown}` is never closed", label="opened here",
                    help=f"close it with `{close}`")

    def unclosed_string(self, quote: str) -> None:
        end = self.tok.end if self.tok else self.offset + 1
        self.report((self.offset, end), "string is never closed", label="opened here",
                    help=f"close it with `{quote}`")


def report_syntax(ctx: Ctx, body: Body, tokens: Tokens, message: str, offset: int) -> None:
    """Report Jinja's syntax error at `offset` of the body once, in our style (E0107)."""
    SyntaxReport(ctx, body, tokens, message or "invalid template syntax", offset).run()


def _said(described: str) -> str:
    return _DESCRIBED.get(described, f"`{described}`")


def _tidy(sentence: str) -> str:
    """Jinja's sentences in our style: lowercase first letter, no final period."""
    sentence = sentence.strip().rstrip(".")
    return sentence[:1].lower() + sentence[1:]
