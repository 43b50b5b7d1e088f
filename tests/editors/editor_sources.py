"""What the editor tests highlight, and the compiler's own tokens to judge them by.

Both highlighters (the TextMate grammar and the Pygments lexer) are checked against the
tokens that `syntax/pops.lark` produces for the same text: where the compiler sees a
string, a regex, a number, a comment or a keyword, the highlighter must say so, with
its token boundaries where the compiler's are. The tables below are that agreement.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from pathlib import Path

import lark
import pytest
from lark import Token

from promptlang.syntax.parser import grammar_text
from promptlang.syntax.postlex import BracketTracker

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "editors/vscode"
GRAMMAR = EXTENSION / "syntaxes/pops.tmLanguage.json"
SAMPLES = sorted((ROOT / "tests/editors/samples").glob("*.pops"))
SOURCES = sorted([*ROOT.glob("examples/**/*.pops"), *ROOT.glob("promptlang/stdlib/*.pops")])

NPM_PACKAGES = "vscode-tmgrammar-test@0.1.3 vscode-textmate@9.3.2 vscode-oniguruma@2.0.1"
INSTALL = f"npm install --prefix .ci/node --save-exact {NPM_PACKAGES}"

# Compiler terminal -> the TextMate scope its text must carry, all through.
LITERAL_SCOPES = {
    "STRING": "string.quoted.double.pops",
    "TRIPLE_STRING": "string.quoted.triple.pops",
    "REGEX": "string.regexp.pops",
    "DURATION": "constant.numeric.duration.pops",
    "PERCENT": "constant.numeric.percentage.pops",
    "FLOAT": "constant.numeric.float.pops",
    "INT": "constant.numeric.integer.pops",
    "COMMENT": "comment.line.double-slash.pops",
    "BLOCK_COMMENT": "comment.block.pops",
}
# Compiler terminal -> a prefix of the TextMate scope of its first character.
KEYWORD_SCOPES = {
    "IMPORT": "keyword.control.import.pops",
    "FROM": "keyword.control.import.pops",
    "AS": "keyword.control.as.pops",
    **{kw: f"storage.type.{kw.lower()}.pops"
       for kw in ("ENUM", "MODEL", "TEMPLATE", "PROMPT", "INTENT", "TEST", "POLICY",
                  "APPLY", "ENVIRONMENT")},
    "TYPE": "storage.type.",
    "TO": "keyword.other.to.pops",
    "FOR": "keyword.other.for.pops",
    "TRUE": "constant.language.pops",
    "FALSE": "constant.language.pops",
    "NULL": "constant.language.pops",
    "NOT": "keyword.operator.word.pops",
    "IN": "keyword.operator.word.pops",
    "CONTAINS": "keyword.operator.word.pops",
    "MATCHES": "keyword.operator.word.pops",
    "SIMILAR_TO": "keyword.operator.word.pops",
    "AND": "keyword.operator.word.pops",
    "OR": "keyword.operator.word.pops",
    "AT": "punctuation.definition.annotation.pops",
}
# What a name must never look like.
NOT_A_NAME = ("string.", "comment.", "constant.", "keyword.operator.word")
# The start of a Jinja tag, and what a raw block holds (text, not tags).
JINJA_OPENERS = re.compile(r"\{\{|\{%|\{#")
RAW_TEXT = re.compile(r"(?<=\{%)(-?\s*raw\s*-?%\}.*?)(?=\{%-?\s*endraw\b)", re.DOTALL)


@functools.cache
def _token_parser() -> tuple[lark.Lark, list[Token]]:
    comments: list[Token] = []
    parser = lark.Lark(
        grammar_text(), parser="lalr", lexer="contextual", postlex=BracketTracker(),
        keep_all_tokens=True, maybe_placeholders=False,
        lexer_callbacks={"COMMENT": comments.append, "BLOCK_COMMENT": comments.append},
    )
    return parser, comments


def compiler_tokens(text: str) -> list[Token]:
    """Every token the compiler's grammar reads in `text`, comments included, in order."""
    parser, comments = _token_parser()
    comments.clear()
    tree = parser.parse(text)
    tokens = [t for t in tree.scan_values(lambda v: isinstance(v, Token)) if t.type != "_NL"]
    return sorted([*tokens, *comments], key=lambda t: t.start_pos)


def jinja_openers(text: str) -> list[int]:
    """Offsets of the Jinja tags in the string literals of `text` (not inside raw blocks)."""
    found = []
    for token in compiler_tokens(text):
        if token.type in ("STRING", "TRIPLE_STRING"):
            value = RAW_TEXT.sub(lambda m: " " * len(m.group()), token.value)
            found += [token.start_pos + m.start() for m in JINJA_OPENERS.finditer(value)]
    return found


def node_modules() -> Path:
    """Where vscode-tmgrammar-test, vscode-textmate and vscode-oniguruma are installed:
    `$POPSC_EDITOR_NODE_MODULES`, else `.ci/node/node_modules` (where `.ci/run` puts them).
    Skips when they are absent, but fails when the variable is set (CI sets it)."""
    configured = os.environ.get("POPSC_EDITOR_NODE_MODULES")
    path = Path(configured) if configured else ROOT / ".ci/node/node_modules"
    path = path if path.is_absolute() else ROOT / path
    wanted = ("vscode-tmgrammar-test", "vscode-textmate", "vscode-oniguruma")
    if shutil.which("node") and all((path / name / "package.json").is_file() for name in wanted):
        return path
    message = f"node or the grammar test tools are missing: `{INSTALL}`"
    if configured:
        pytest.fail(f"POPSC_EDITOR_NODE_MODULES={configured}: {message}")
    pytest.skip(f"{message} (or set POPSC_EDITOR_NODE_MODULES)")
