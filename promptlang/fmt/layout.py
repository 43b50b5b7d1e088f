"""From Lark's concrete syntax tree of a `.pops` file to a layout document.

The tree keeps every token (`keep_all_tokens`), so the printer walks the source in
order; comments, which the lexer sets aside, are put back before the first token that
follows them (see `Printer.comments_before`). Each rule of `pops.lark` has a layout here:
declarations one after another with a blank line between them, `{ ... }` one entry per
line (or flat with commas when short and written on one line), `( ... )` and `[ ... ]`
flat when they fit in 100 columns and else one item per line with a trailing comma.
"""

from __future__ import annotations

from lark import Token
from lark import Tree

from promptlang.fmt.doc import HARD
from promptlang.fmt.doc import LINE
from promptlang.fmt.doc import SOFT
from promptlang.fmt.doc import Blank
from promptlang.fmt.doc import Comment
from promptlang.fmt.doc import IfBreak
from promptlang.fmt.doc import InlineComment
from promptlang.fmt.doc import group
from promptlang.fmt.doc import indent

# Consecutive declarations of these kinds may stay without a blank line between them.
_RUNS = {"import_decl": "import", "from_decl": "import", "apply_decl": "apply",
         "alias_decl": "alias"}
# Tokens written without a space before them in an inline sequence.
_NO_SPACE_BEFORE = {",", ":"}
# A `/* */` before these is written at the end of the line instead (not `a,/* */`).
_NOT_AFTER_INLINE_COMMENT = ("//", "/*", ",", ")", "]", "}", ">", ":", ".", "?")
_DECL_BODIES = {"model_decl", "prompt_decl", "intent_decl", "test_decl", "intents_test_decl",
                "policy_decl", "environment_decl"}


def first_token(node) -> Token:
    while isinstance(node, Tree):
        node = node.children[0]
    return node


class Printer:
    """Builds the document of one file; `comments` are the lexer's comment tokens."""

    def __init__(self, text: str, comments: list[Token]) -> None:
        self.text = text
        self.comments = sorted(comments, key=lambda tok: tok.start_pos)
        self.next_comment = 0
        self.pads: dict[int, int] = {}  # id of a `"text" -> x` entry: spaces before `->`

    # ---- comments and blank lines ------------------------------------------------

    def own_line(self, pos: int) -> bool:
        start = self.text.rfind("\n", 0, pos) + 1
        return not self.text[start:pos].strip()

    def blank_before(self, pos: int) -> bool:
        """Whether an empty line separates `pos` from the code or comment before it."""
        start = pos
        while start and self.text[start - 1] in " \t\f\r\n":
            start -= 1
        return self.text.count("\n", start, pos) >= 2

    def comments_before(self, pos: int, blanks: bool = False) -> list:
        docs = []
        while self.next_comment < len(self.comments):
            tok = self.comments[self.next_comment]
            if tok.start_pos >= pos:
                break
            self.next_comment += 1
            text = str(tok).rstrip()
            own = self.own_line(tok.start_pos)
            blank = blanks and own and self.blank_before(tok.start_pos)
            if self.inline_comment(tok):
                docs.extend([Blank(), InlineComment(text)] if blank else [InlineComment(text)])
                continue
            docs.append(Comment(text, own, blank))
        return docs

    def inline_comment(self, tok: Token) -> bool:
        """A one-line `/* */` with code after it on its line is written, like a token,
        right before the code that follows it (unless that is punctuation)."""
        if tok.type != "BLOCK_COMMENT" or "\n" in tok:
            return False
        end = self.text.find("\n", tok.end_pos)
        rest = self.text[tok.end_pos:len(self.text) if end < 0 else end]
        return bool(rest.strip()) and not rest.lstrip().startswith(_NOT_AFTER_INLINE_COMMENT)

    def tok(self, token: Token) -> list:
        return [*self.comments_before(token.start_pos), str(token)]

    # ---- the file ----------------------------------------------------------------

    def module(self, tree: Tree) -> list:
        decls = [c for c in tree.children if isinstance(c, Tree)]
        parts: list = []
        for index, decl in enumerate(decls):
            if index:
                parts.append(HARD)
                previous = _RUNS.get(decls[index - 1].data)
                if previous is None or previous != _RUNS.get(decl.data):
                    parts.append(Blank())
            parts.extend(self.entry(decl, blanks=True))
        parts.extend(self.comments_before(len(self.text) + 1, blanks=True))
        return parts

    def entry(self, node, blanks: bool) -> list:
        """An entry of a list of lines, with its leading comments and, if the source had
        one, the blank line before it."""
        start = first_token(node).start_pos
        lead = self.comments_before(start, blanks)
        blank = [Blank()] if blanks and self.blank_before(start) else []
        return [*lead, *blank, self.node(node)]

    # ---- generic -----------------------------------------------------------------

    def node(self, node) -> object:
        if isinstance(node, Token):
            return self.tok(node)
        method = getattr(self, "rule_" + node.data, None)
        if method is not None:
            return method(node)
        return self.inline(node.children)

    def inline(self, children) -> list:
        """Children on one line, separated by one space, except before `,` and `:` and
        a declaration's parameters; tighter rules have their own layouts below."""
        parts: list = []
        previous = None
        for child in children:
            if isinstance(child, Token) and child.type == "_NL":
                continue
            attached = isinstance(child, Tree) and child.data == "params"
            if previous is not None and not attached and first_token(child) not in _NO_SPACE_BEFORE:
                parts.append(" ")
            parts.append(self.node(child))
            previous = child
        return parts

    def tight(self, children) -> list:
        return [self.node(c) for c in children]

    # ---- brackets ----------------------------------------------------------------

    def brackets(self, open_: Token, items: list, close: Token) -> object:
        """`( ... )` or `[ ... ]`: flat if it fits, else one item per line with a
        trailing comma."""
        if not items:
            opened = self.tok(open_)
            inner = self.comments_before(close.start_pos)
            if not inner:
                return [opened, self.tok(close)]
            return group(opened, indent(SOFT, *inner), SOFT, self.tok(close))
        opened = self.tok(open_)
        body: list = []
        for index, item in enumerate(items):
            body.extend([",", LINE] if index else [SOFT])
            body.extend(self.entry(item, blanks=False))
        body.append(IfBreak(","))
        body.extend(self.comments_before(close.start_pos))
        return group(opened, indent(*body), SOFT, self.tok(close))

    def braces(self, open_: Token, items: list, close: Token, broken: bool) -> object:
        """`{ ... }`: one entry per line (blank lines kept), or flat with commas when it
        was written on one line and fits."""
        if not items:
            opened = self.tok(open_)
            inner = self.comments_before(close.start_pos)
            if not inner:
                return [opened, self.tok(close)]
            return [opened, indent(HARD, *inner), HARD, self.tok(close)]
        self.align_mappings(items)
        opened = self.tok(open_)
        body: list = []
        for index, item in enumerate(items):
            body.extend([IfBreak("", ","), LINE] if index else [LINE])
            body.extend(self.entry(item, blanks=index > 0))
        body.extend(self.comments_before(close.start_pos))
        return group(opened, indent(*body), LINE, self.tok(close), broken=broken)

    def align_mappings(self, items: list) -> None:
        """Line up the arrows of consecutive `"text" -> x` lines (a table of examples),
        as long as no blank line or comment interrupts them."""
        run: list = []
        for item in [*items, None]:
            if item is not None and item.data == "mapping" and "\n" not in _key(item):
                if run and self.interrupted(run[-1], item):
                    self.pad(run)
                    run = []
                run.append(item)
                continue
            self.pad(run)
            run = []

    def interrupted(self, before: Tree, after: Tree) -> bool:
        gap = self.text[_last_token(before).end_pos:first_token(after).start_pos]
        lines = gap.split("\n")  # a trailing comment on the line before is no interruption
        return len(lines) != 2 or bool(lines[1].strip())

    def pad(self, run: list) -> None:
        if len(run) > 1:
            width = max(len(_key(item)) for item in run)
            for item in run:
                self.pads[id(item)] = width - len(_key(item))

    def rule_mapping(self, node: Tree) -> list:
        key, arrow, value = node.children
        pad = self.pads.get(id(node), 0)
        return [self.node(key), IfBreak(" " * pad), " ", self.tok(arrow), " ", self.node(value)]

    def split(self, children, open_type: str):
        """The opening bracket, the trees between it and its closer, and the closer."""
        start = next(i for i, c in enumerate(children) if isinstance(c, Token) and c.type == open_type)
        items = [c for c in children[start + 1:-1] if isinstance(c, Tree)]
        return children[start], items, children[-1], start

    def written_broken(self, children, start: int) -> bool:
        after = children[start + 1] if start + 1 < len(children) else None
        return isinstance(after, Token) and after.type == "_NL"

    def braced(self, node: Tree, always_broken: bool = False) -> list:
        children = node.children
        open_, items, close, start = self.split(children, "LBRACE")
        head = self.inline(children[:start])
        broken = always_broken or self.written_broken(children, start)
        return [*head, " " if head else "", self.braces(open_, items, close, broken)]

    # ---- rules -------------------------------------------------------------------

    def rule_enum_decl(self, node: Tree) -> list:
        return self.braced(node)

    def rule_record_decl(self, node: Tree) -> list:
        return self.braced(node)

    def rule_object(self, node: Tree) -> list:
        return self.braced(node)

    def rule_body(self, node: Tree) -> list:
        return self.braced(node)

    def with_body(self, node: Tree) -> list:
        """A declaration with a body: the body is always one entry per line."""
        *head, body = node.children
        return [*self.inline(head), " ", self.braced(body, always_broken=True)]

    def tight_rule(self, node: Tree) -> list:
        return self.tight(node.children)

    def rule_params(self, node: Tree) -> object:
        open_, items, close, _ = self.split(node.children, "LPAR")
        return self.brackets(open_, items, close)

    def rule_list(self, node: Tree) -> object:
        open_, items, close, _ = self.split(node.children, "LSQB")
        return self.brackets(open_, items, close)

    def rule_call(self, node: Tree) -> list:
        children = node.children
        open_, items, close, start = self.split(children, "LPAR")
        return [*self.tight(children[:start]), self.brackets(open_, items, close)]

    def rule_annotation(self, node: Tree) -> list:
        children = node.children
        if len(children) == 2:
            return self.tight(children)
        open_, items, close, start = self.split(children, "LPAR")
        return [*self.tight(children[:start]), self.brackets(open_, items, close)]

    def rule_apply_decl(self, node: Tree) -> list:
        children = node.children
        last = children[-1]
        if not (isinstance(last, Token) and last.type == "RSQB"):
            return self.inline(children)
        open_, items, close, start = self.split(children, "LSQB")
        return [*self.inline(children[:start]), " ", self.brackets(open_, items, close)]

    def rule_type_args(self, node: Tree) -> list:
        parts: list = []
        for child in node.children:
            parts.append(self.node(child))
            if isinstance(child, Token) and str(child) == ",":
                parts.append(" ")
        return parts


def _last_token(node) -> Token:
    while isinstance(node, Tree):
        node = node.children[-1]
    return node


def _key(mapping: Tree) -> str:
    return str(first_token(mapping))


for _name in _DECL_BODIES:
    setattr(Printer, "rule_" + _name, Printer.with_body)
# `a.b`, `t.Customer?`, `1..3`, `(a or b)`: no spaces inside.
for _name in ("dotted", "type_ref", "attr", "range", "atom"):
    setattr(Printer, "rule_" + _name, Printer.tight_rule)


def document(tree: Tree, text: str, comments: list[Token]) -> list:
    return Printer(text, comments).module(tree)
