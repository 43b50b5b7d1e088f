"""The documentation is checked like code.

Every ```pops block in the docs is checked with `driver.check_texts`, as the module
`main.pops` of a project of its own, and must give no diagnostic at all, unless HTML
comments directly above its fence (blank lines between them are fine) say otherwise:

    <!-- error: E0204 -->            exactly these diagnostics, by code, in any order
    <!-- warning: W0405 -->          (the same; list a code twice if it is reported twice)
    <!-- context: ...text... -->     appended to the block's module: declarations the
                                     example uses but does not show
    <!-- file a/b.pops: ...text... -->  another module of the example's project
    <!-- path: support/tickets.pops -->  the block's own path instead of `main.pops`
    <!-- output: text json -->       the next fenced blocks are exactly what
                                     `popsc check --format F` prints for each format F
                                     listed (text, concise, json, github)

`docs/diagnostics.md` must list every code of the catalog with its slug."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

import promptlang
from promptlang.diagnostics.codes import CODES
from promptlang.diagnostics.render import RENDERERS
from promptlang.diagnostics.render import summary_line
from promptlang.driver import check_texts

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/language.md", "README.md", "docs/diagnostics.md", "docs/architecture.md")

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"<!--\s*(error|warning|context|file|path|output)\b([^:]*):(.*?)-->", re.S)
_CODE = re.compile(r"^[EW]\d{4}$")


@attrs.frozen
class Example:
    """One ```pops block and what the comments above it say about it."""

    doc: str
    line: int
    text: str
    path: str = "main.pops"
    expected: tuple[str, ...] = ()
    context: str = ""
    files: tuple[tuple[str, str], ...] = ()
    output: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()  # the fenced blocks after this one, one per `output` format

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _comments_above(text: str, start: int) -> list[str]:
    """The HTML comments right above offset `start`, separated only by whitespace."""
    found = []
    head = text[:start].rstrip()
    while head.endswith("-->"):
        opening = head.rfind("<!--")
        if opening < 0:
            break
        found.append(head[opening:])
        head = head[:opening].rstrip()
    return found[::-1]


def examples(doc: str) -> list[Example]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    fences = list(_FENCE.finditer(text))
    result = []
    for index, fence in enumerate(fences):
        if fence.group(1) != "pops":
            continue
        info: dict = {"expected": [], "context": [], "files": []}
        for comment in _comments_above(text, fence.start()):
            for kind, arg, body in _DIRECTIVE.findall(comment):
                if kind in ("error", "warning"):
                    info["expected"] += body.split()
                elif kind == "context":
                    info["context"].append(body.strip("\n"))
                elif kind == "file":
                    info["files"].append((arg.strip(), body.strip("\n") + "\n"))
                elif kind == "path":
                    info["path"] = body.strip()
                else:
                    info["output"] = tuple(body.split())
        formats = info.get("output", ())
        shown = tuple(f.group(2) for f in fences[index + 1:index + 1 + len(formats)])
        result.append(Example(
            doc, text[:fence.start()].count("\n") + 1, fence.group(2),
            path=info.get("path", "main.pops"), expected=tuple(info["expected"]),
            context="\n".join(info["context"]), files=tuple(info["files"]),
            output=formats, shown=shown,
        ))
    return result


ALL = [example for doc in DOCS if (ROOT / doc).exists() for example in examples(doc)]


def _check(example: Example):
    source = example.text + ("\n" + example.context + "\n" if example.context else "")
    return check_texts({example.path: source, **dict(example.files)})


def _listing(result) -> str:
    return "\n".join(f"  {d.code} {d.span.file}@{d.span.start}: {d.message}" for d in result.diagnostics)


def test_the_docs_have_examples():
    assert {e.doc for e in ALL} >= {"docs/language.md", "README.md"}
    assert len([e for e in ALL if e.doc == "docs/language.md"]) >= 20


@pytest.mark.parametrize("example", ALL, ids=lambda e: e.id)
def test_example_checks_as_marked(example: Example):
    """A block checks cleanly, or gives exactly the diagnostics marked above it."""
    for code in example.expected:
        assert _CODE.match(code) and code in CODES, f"{example.id}: `{code}` is not a catalog code"
    result = _check(example)
    found = sorted(d.code for d in result.diagnostics)
    assert found == sorted(example.expected), (
        f"{example.id}: expected {sorted(example.expected) or 'no diagnostics'}, "
        f"popsc reports:\n{_listing(result)}")


@pytest.mark.parametrize("example", [e for e in ALL if e.output], ids=lambda e: e.id)
def test_shown_output_is_what_popsc_prints(example: Example):
    """Output shown after an example is byte for byte what `popsc check` prints."""
    result = _check(example)
    assert len(example.shown) == len(example.output), f"{example.id}: too few blocks follow"
    for fmt, shown in zip(example.output, example.shown):
        rendered = RENDERERS[fmt](result.diagnostics, result.sources, color=False,
                                  tool_version=promptlang.__version__)
        printed = rendered.rstrip("\n") + "\n" if rendered else ""
        if fmt in ("text", "concise"):
            printed += summary_line(result.diagnostics) + "\n"  # on stderr, after the rest
        assert shown == printed, f"{example.id}: the `{fmt}` output differs"


def test_every_comment_is_a_directive_of_an_example():
    """A misspelt or misplaced directive would silently make an error example "clean",
    so every HTML comment in the docs is a directive right above a `pops` block."""
    for doc in DOCS:
        path = ROOT / doc
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        attached = [c for fence in _FENCE.finditer(text) if fence.group(1) == "pops"
                    for c in _comments_above(text, fence.start())]
        for comment in re.findall(r"<!--.*?-->", text, re.S):
            assert comment in attached, f"{doc}: `{comment[:60]}` is not right above a pops block"
            assert _DIRECTIVE.fullmatch(comment.strip()), f"{doc}: unknown directive `{comment[:60]}`"


def test_diagnostics_doc_lists_every_code():
    """`docs/diagnostics.md` has a table row for each catalog code, with its slug."""
    text = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\|\s*\[?`([EW]\d{4})`\]?(?:\([^)]*\))?\s*\|\s*`([a-z-]+)`\s*\|", text, re.M)
    listed = dict(rows)
    assert len(rows) == len(listed), "a code is listed twice"
    assert sorted(listed) == sorted(CODES), (
        f"missing: {sorted(set(CODES) - set(listed))}, unknown: {sorted(set(listed) - set(CODES))}")
    for code, slug in listed.items():
        assert CODES[code].slug == slug, f"{code} is `{CODES[code].slug}` in the catalog"
