"""Builds AST nodes during parsing, one method per grammar rule, spans taken from tokens."""

from __future__ import annotations

import re
import textwrap

from lark import Token
from lark import Transformer
from lark import Tree

from promptlang.source import Span
from promptlang.syntax import nodes as n

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0", "/": "/"}
_ESCAPE_RE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4}|.)")
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION_RE = re.compile(r"(-?\d+(?:\.\d+)?)(ms|s|m|h)")


def unescape(body: str) -> str:
    """The value of a `"..."` literal's body: `\\n \\t \\" \\\\ \\uXXXX \\u{X..}`."""
    if "\\" not in body:
        return body

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(int(code[2:-1], 16))
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)

    return _ESCAPE_RE.sub(one, body)


def dedent_block(body: str) -> str:
    """A `\"\"\"` body as written minus the first line break, the closing line and the
    indentation common to every line (Swift's rule)."""
    if body.startswith("\r\n"):
        body = body[2:]
    elif body.startswith("\n"):
        body = body[1:]
    last_break = body.rfind("\n")
    if last_break >= 0 and not body[last_break + 1 :].strip():
        body = body[:last_break]
    return textwrap.dedent(body)


class AstBuilder(Transformer):
    """Lark callbacks: each receives its rule's children and returns an AST node.

    Used inline (`Lark(transformer=...)`) so no parse tree is ever built. `file` and
    `base` are set before each parse; `base` shifts offsets when a chunk of a file is
    parsed alone during error recovery."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = ""
        self.base = 0

    # ---- spans -----------------------------------------------------------
    def _span(self, first, last=None) -> Span:
        last = first if last is None else last
        return Span(self.file, self._start(first), self._end(last))

    def _start(self, item) -> int:
        if isinstance(item, Token):
            return item.start_pos + self.base
        if isinstance(item, Span):
            return item.start
        return item.span.start

    def _end(self, item) -> int:
        if isinstance(item, Token):
            return item.end_pos + self.base
        if isinstance(item, Span):
            return item.end
        return item.span.end

    def _name(self, tok: Token) -> n.Name:
        return n.Name(self._span(tok), str(tok))

    # ---- module -------------------------------------------------------------
    def start(self, children):
        return tuple(children)

    def import_decl(self, c):
        alias = self._name(c[2]) if len(c) > 2 else None
        return n.Import(self._span(c[0], c[-1] if alias is None else c[2]), c[1], alias)

    def from_decl(self, c):
        names = tuple(self._name(tok) for tok in c[2:] if tok.type == "NAME")
        return n.FromImport(self._span(c[0], c[-1]), c[1], names)

    def dotted(self, c):
        parts = tuple(self._name(tok) for tok in c)
        return n.Dotted(self._span(c[0], c[-1]), parts)

    # ---- types ----------------------------------------------------------------
    def enum_decl(self, c):
        members = tuple(x for x in c[2:-1] if isinstance(x, n.EnumMember))
        return n.Enum(self._span(c[0], c[-1]), self._name(c[1]), members)

    def enum_member(self, c):
        return n.EnumMember(self._span(c[0], c[-1]), self._name(c[0]), tuple(c[1:]))

    def record_decl(self, c):
        fields = tuple(x for x in c[2:-1] if isinstance(x, n.Field))
        return n.Record(self._span(c[0], c[-1]), self._name(c[1]), fields)

    def alias_decl(self, c):
        return n.Alias(self._span(c[0], c[-1]), self._name(c[1]), c[2], tuple(c[3:]))

    def field(self, c):
        anns = tuple(x for x in c[2:] if isinstance(x, n.Annotation))
        rest = [x for x in c[2:] if not isinstance(x, n.Annotation)]
        default = rest[0] if rest else None
        return n.Field(self._span(c[0], c[-1]), self._name(c[0]), c[1], anns, default)

    param = field

    def annotation(self, c):
        args = tuple(x for x in c[2:] if not isinstance(x, Token))
        return n.Annotation(self._span(c[0], c[-1]), self._name(c[1]), args)

    def type_ref(self, c):
        args: tuple = ()
        end = c[0]
        for x in c[1:]:
            if isinstance(x, tuple):
                args, end = x
            else:
                end = x
        optional = isinstance(c[-1], Token)
        return n.TypeRef(self._span(c[0], end), c[0], args, optional)

    def type_args(self, c):
        return tuple(c[:-1]), c[-1]

    # ---- declarations with bodies --------------------------------------------------
    def body(self, c):
        return (self._span(c[0], c[-1]), tuple(c[1:-1]))

    def model_decl(self, c):
        return n.Model(self._span(c[0], c[-1][0]), self._name(c[1]), c[-1][1])

    def template_decl(self, c):
        params = c[2] if len(c) == 4 else ()
        return n.Template(self._span(c[0], c[-1]), self._name(c[1]), params, c[-1])

    def prompt_decl(self, c):
        output = c[3] if len(c) == 5 else None
        return n.Prompt(self._span(c[0], c[-1][0]), self._name(c[1]), c[2], output, c[-1][1])

    def intent_decl(self, c):
        return n.Intent(self._span(c[0], c[-1][0]), self._name(c[1]), c[-1][1])

    def test_decl(self, c):
        return n.Test(self._span(c[0], c[-1][0]), c[1], c[2], c[-1][1])

    def intents_test_decl(self, c):
        return n.IntentTests(self._span(c[0], c[-1][0]), self._name(c[1]), c[-1][1])

    def policy_decl(self, c):
        return n.Policy(self._span(c[0], c[-1][0]), self._name(c[1]), c[-1][1])

    def environment_decl(self, c):
        return n.Environment(self._span(c[0], c[-1][0]), self._name(c[1]), c[-1][1])

    def apply_decl(self, c):
        targets = None
        if c[2].type != "STAR":
            targets = tuple(x for x in c[3:-1] if isinstance(x, n.Dotted))
        return n.ApplyPolicy(self._span(c[0], c[-1]), c[1], targets)

    def params(self, c):
        return tuple(x for x in c if isinstance(x, n.Field))

    def setting(self, c):
        return n.Setting(self._span(c[0], c[1]), self._name(c[0]), c[1])

    def block(self, c):
        label = self._name(c[1]) if len(c) == 3 else None
        span, entries = c[-1]
        return n.Block(Span(self.file, self._start(c[0]), span.end), self._name(c[0]), label, entries)

    def rule(self, c):
        for_ = c[2] if len(c) == 3 else None
        return n.Rule(self._span(c[0], c[-1]), self._name(c[0]), c[1], for_)

    def mapping(self, c):
        return n.Mapping(self._span(c[0], c[1]), c[0], c[1])

    # ---- expressions ------------------------------------------------------------------
    def or_expr(self, c):
        return n.BoolOp(self._span(c[0], c[-1]), "or", tuple(c))

    def and_expr(self, c):
        return n.BoolOp(self._span(c[0], c[-1]), "and", tuple(c))

    def not_op(self, c):
        return n.Not(self._span(c[0], c[1]), c[1])

    def comp_op(self, c):
        return ("_".join(str(tok) for tok in c), self._span(c[0], c[-1]))

    def sim_op(self, c):
        return str(c[0])

    def compare(self, c):
        op, op_span = c[1]
        return n.Compare(self._span(c[0], c[2]), op, op_span, c[0], c[2])

    def similar(self, c):
        return n.Similar(self._span(c[0], c[3]), c[0], c[1], c[2], c[3])

    def attr(self, c):
        return n.Attr(self._span(c[0], c[1]), c[0], self._name(c[1]))

    def call(self, c):
        args = tuple(x for x in c[2:-1] if isinstance(x, n.Arg))
        return n.Call(self._span(c[0], c[-1]), c[0], args)

    def arg(self, c):
        return n.Arg(c[0].span, None, c[0])

    def kwarg(self, c):
        return n.Arg(self._span(c[0], c[1]), self._name(c[0]), c[1])

    def apply(self, c):
        return n.Apply(self._span(c[0], c[1]), self._name(c[0]), c[1])

    def ident(self, c):
        return n.Ident(self._span(c[0]), str(c[0]))

    def list(self, c):
        return n.ListExpr(self._span(c[0], c[-1]), tuple(c[1:-1]))

    def object(self, c):
        entries = tuple(x for x in c[1:-1] if isinstance(x, n.ObjEntry))
        return n.ObjectExpr(self._span(c[0], c[-1]), entries)

    def obj_entry(self, c):
        key_tok = c[0]
        key = str(key_tok)
        if key_tok.type == "STRING":
            key = unescape(key[1:-1])
        return n.ObjEntry(self._span(c[0], c[1]), n.Name(self._span(key_tok), key), c[1])

    # ---- literals -----------------------------------------------------------------------
    def string(self, c):
        tok = c[0]
        text = str(tok)
        span = self._span(tok)
        if tok.type == "TRIPLE_STRING":
            return n.Str(span, dedent_block(text[3:-3]), True, span.start + 3)
        return n.Str(span, unescape(text[1:-1]), False, span.start + 1)

    def int(self, c):
        return n.Int(self._span(c[0]), int(c[0]))

    def float(self, c):
        return n.Float(self._span(c[0]), float(c[0]))

    def duration(self, c):
        text = str(c[0])
        number, unit = _DURATION_RE.fullmatch(text).groups()
        return n.Duration(self._span(c[0]), float(number) * _UNIT_MS[unit], text)

    def percent(self, c):
        return n.Percent(self._span(c[0]), float(str(c[0])[:-1]))

    def regex(self, c):
        text = str(c[0])
        cut = text.rfind("/")
        return n.Regex(self._span(c[0]), text[1:cut], text[cut + 1 :])

    def true(self, c):
        return n.Bool(self._span(c[0]), True)

    def false(self, c):
        return n.Bool(self._span(c[0]), False)

    def null(self, c):
        return n.Null(self._span(c[0]))

    def range(self, c):
        return n.Range(self._span(c[0], c[-1]), int(c[0]), int(c[-1]))

    def __default__(self, data, children, meta):
        if data.startswith("_"):  # Lark's helper rules for `*` and `+`, spliced into the parent
            return Tree(data, children, meta)
        raise AssertionError(f"grammar rule `{data}` has no AST builder method")
