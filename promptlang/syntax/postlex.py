"""Between lexer and parser: newlines count only at the top level and inside braces."""

from __future__ import annotations

from lark import Token

OPENERS = {"LBRACE": "RBRACE", "LPAR": "RPAR", "LSQB": "RSQB"}
CLOSERS = {"RBRACE", "RPAR", "RSQB"}


class BracketTracker:
    """Drops newlines inside `(...)` and `[...]`, folds runs of them, and remembers
    which brackets are open so a syntax error can say where an unclosed one began."""

    always_accept = ("_NL",)

    def __init__(self) -> None:
        self.stack: list[Token] = []

    def process(self, stream):
        self.stack = []
        stack = self.stack
        last_nl = False
        for tok in stream:
            kind = tok.type
            if kind == "_NL":
                if last_nl or (stack and stack[-1].type != "LBRACE"):
                    continue
                last_nl = True
                yield tok
                continue
            last_nl = False
            if kind in OPENERS:
                stack.append(tok)
            elif kind in CLOSERS and stack and OPENERS[stack[-1].type] == kind:
                stack.pop()
            yield tok
