"""Renderers: the one diagnostic model shown as text, concise lines, JSON, SARIF or
GitHub annotations.

Every renderer is a pure function from diagnostics and their sources to a string that
ends with a newline (or is empty); only the CLI prints. Lines and columns are 1-based,
columns count characters (code points) and end columns are exclusive, in every format.
A diagnostic whose file is missing from `sources` is shown at 1:1 against an empty file
rather than failing: rendering must never raise on a compiler mistake.
"""

from __future__ import annotations

import json
import types
import typing as t
import unicodedata
import urllib.parse

import attrs

from promptlang.diagnostics.codes import CODES
from promptlang.diagnostics.codes import Code
from promptlang.diagnostics.explain import explain
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.model import Label
from promptlang.source import SourceFile
from promptlang.source import Span

TAB_WIDTH = 4
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"

Diagnostics = t.Sequence[Diagnostic]
Sources = t.Mapping[str, SourceFile]


# ---- positions --------------------------------------------------------------------


@attrs.frozen
class Region:
    """Where a span sits: 1-based start line and column, end line and exclusive end column."""

    line: int
    column: int
    end_line: int
    end_column: int


def source_of(path: str, sources: Sources) -> SourceFile:
    """The file a span points into; an empty stand-in keeps rendering total."""
    return sources.get(path) or SourceFile(path, "")


def region(span: Span, sources: Sources) -> Region:
    """The span's lines and columns, looked up in its own file."""
    return region_in(source_of(span.file, sources), span)


def region_in(source: SourceFile, span: Span) -> Region:
    """The span's lines and columns; a zero-width span starts and ends at one point."""
    line, column = source.line_col(span.start)
    if span.end <= span.start:
        return Region(line, column, line, column)
    end_line, last_column = source.line_col(span.end - 1)
    return Region(line, column, end_line, last_column + 1)


def catalog_entry(diag: Diagnostic) -> Code:
    """The catalog row of a diagnostic's code, or a bare stand-in for an uncatalogued one."""
    return CODES.get(diag.code) or Code(diag.code, "", diag.severity, diag.code)


def full_message(diag: Diagnostic) -> str:
    """Message, notes and help as one text, for formats that carry a single message."""
    lines = [diag.message, *(f"note: {note}" for note in diag.notes)]
    if diag.help:
        lines.append(f"help: {diag.help}")
    return "\n".join(lines)


def summary_line(diags: Diagnostics) -> str:
    """`2 errors, 1 warning emitted`, or `no problems found`: the CLI's closing line."""
    errors = sum(1 for d in diags if d.is_error)
    counts = ((errors, "error"), (len(diags) - errors, "warning"))
    parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
    return ", ".join(parts) + " emitted" if parts else "no problems found"


# ---- text: the full form with source snippets -----------------------------------------


@attrs.frozen
class Palette:
    """ANSI styles for the text form; the plain palette makes every style a no-op."""

    error: str = ""
    warning: str = ""
    gutter: str = ""
    bold: str = ""
    reset: str = ""

    def paint(self, style: str, text: str) -> str:
        return f"{style}{text}{self.reset}" if style and text else text


PLAIN = Palette()
ANSI = Palette("\x1b[1;31m", "\x1b[1;33m", "\x1b[1;34m", "\x1b[1m", "\x1b[0m")


@attrs.frozen
class _Mark:
    """One underline below one source line, in display cells (start inclusive, end exclusive)."""

    line: int
    start: int
    end: int
    primary: bool
    text: str


def _advance(char: str, cells: int) -> int:
    """Cells a character takes at a position: tabs to the next stop, wide CJK as two."""
    if char == "\t":
        return TAB_WIDTH - cells % TAB_WIDTH
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _cells(line: str, column: int) -> int:
    """Display cells before a 1-based column; columns past the end count one cell each."""
    cells = 0
    for char in line[: column - 1]:
        cells += _advance(char, cells)
    return cells + max(0, column - 1 - len(line))


def _printable(line: str) -> str:
    """Text as shown: tabs expanded to match `_cells`, control characters replaced, so
    nothing from a source file (an escape sequence, a stray line break) reaches the
    terminal raw or breaks the one-line-per-item layout."""
    out: list[str] = []
    cells = 0
    for char in line:
        step = _advance(char, cells)
        if char == "\t":
            out.append(" " * step)
        elif unicodedata.category(char) == "Cc":
            out.append("\ufffd")
        else:
            out.append(char)
        cells += step
    return "".join(out)


def _marks(source: SourceFile, span: Span, primary: bool, text: str) -> list[_Mark]:
    """Underlines for a span: one on its line, or for a span over several lines one from
    the start to the end of its first line and one (carrying the text) on its last line."""
    r = region_in(source, span)
    first = source.line_text(r.line)
    start = _cells(first, r.column)
    if r.end_line == r.line:
        end = _cells(first, r.end_column)
        return [_Mark(r.line, start, max(end, start + 1), primary, text)]
    last = source.line_text(r.end_line)
    lead = _cells(last, len(last) - len(last.lstrip()) + 1)
    end = _cells(last, r.end_column)
    head = _Mark(r.line, start, max(_cells(first, len(first) + 1), start + 1), primary, "")
    return [head, _Mark(r.end_line, lead, max(end, lead + 1), primary, text)]


@attrs.frozen
class _Layout:
    """What one text diagnostic needs to draw: palette, gutter width, caret style."""

    palette: Palette
    width: int
    caret_style: str

    def gutter(self, number: str = "") -> str:
        return self.palette.paint(self.palette.gutter, f"{number:>{self.width}} |")

    def pad(self) -> str:
        return " " * self.width


def _mark_row(mark: _Mark, layout: _Layout) -> str:
    char, style = ("^", layout.caret_style) if mark.primary else ("-", layout.palette.gutter)
    underline = char * (mark.end - mark.start)
    tail = f"{underline} {_printable(mark.text)}" if mark.text else underline
    return f"{layout.gutter()} {' ' * mark.start}{layout.palette.paint(style, tail)}"


def _snippet(source: SourceFile, group: list[_Mark], layout: _Layout) -> list[str]:
    """Source lines with their underlines, `...` where lines are skipped."""
    rows = [layout.gutter()]
    previous = 0
    for number in sorted({m.line for m in group}):
        if previous and number > previous + 1:
            rows.append(layout.palette.paint(layout.palette.gutter, "..."))
        text = _printable(source.line_text(number))
        rows.append(f"{layout.gutter(str(number))} {text}".rstrip())
        rows.extend(_mark_row(m, layout) for m in group if m.line == number)
        previous = number
    return rows


def _groups(diag: Diagnostic, sources: Sources) -> dict[str, list[_Mark]]:
    """Marks by file: the primary's file first, then other files in label order."""
    primary = source_of(diag.span.file, sources)
    groups = {diag.span.file: _marks(primary, diag.span, True, diag.label)}
    for label in diag.secondary:
        source = source_of(label.span.file, sources)
        groups.setdefault(label.span.file, []).extend(
            _marks(source, label.span, False, label.message)
        )
    return groups


def _header(diag: Diagnostic, sources: Sources, palette: Palette) -> str:
    """The stable first line: `path:line:col: error[E0204]: message`."""
    r = region(diag.span, sources)
    style = palette.error if diag.is_error else palette.warning
    kind = palette.paint(style, f"{diag.severity.value}[{diag.code}]")
    message = palette.paint(palette.bold, f": {_printable(diag.message)}")
    return f"{diag.span.file}:{r.line}:{r.column}: {kind}{message}"


def _footer(diag: Diagnostic, layout: _Layout) -> list[str]:
    items = [("note", note) for note in diag.notes]
    if diag.help:
        items.append(("help", diag.help))
    if not items:
        return []
    palette = layout.palette
    heads = [palette.paint(palette.bold, f"= {kind}:") for kind, _ in items]
    rows = [f"{layout.pad()} {head} {_printable(text)}" for head, (_, text) in zip(heads, items)]
    return [layout.gutter(), *rows]


def _other_file_header(path: str, label: Label, sources: Sources, layout: _Layout) -> str:
    r = region(label.span, sources)
    arrow = layout.palette.paint(layout.palette.gutter, ":::")
    return f"{layout.pad()}{arrow} {path}:{r.line}:{r.column}"


def render_one(diag: Diagnostic, sources: Sources, palette: Palette = PLAIN) -> str:
    """One diagnostic in full: header, snippets (primary file first), notes and help."""
    groups = _groups(diag, sources)
    width = len(str(max(m.line for group in groups.values() for m in group)))
    style = palette.error if diag.is_error else palette.warning
    layout = _Layout(palette, width, style)
    lines = [_header(diag, sources, palette)]
    for path, group in groups.items():
        if path != diag.span.file:
            first = next(label for label in diag.secondary if label.span.file == path)
            lines.extend((layout.gutter(), _other_file_header(path, first, sources, layout)))
        lines.extend(_snippet(source_of(path, sources), group, layout))
    lines.extend(_footer(diag, layout))
    return "\n".join(lines) + "\n"


def render_text(diags: Diagnostics, sources: Sources, color: bool = False) -> str:
    """The full, human form, one blank line between diagnostics; no summary line."""
    palette = ANSI if color else PLAIN
    return "\n".join(render_one(diag, sources, palette) for diag in diags)


# ---- concise ---------------------------------------------------------------------


def render_concise(diags: Diagnostics, sources: Sources) -> str:
    """One line per diagnostic, `path:line:col: error[CODE] message`, for CI logs and editors."""
    lines = []
    for diag in diags:
        r = region(diag.span, sources)
        kind = f"{diag.severity.value}[{diag.code}]"
        message = _printable(diag.message)
        lines.append(f"{diag.span.file}:{r.line}:{r.column}: {kind} {message}\n")
    return "".join(lines)


# ---- JSON ----------------------------------------------------------------------


def _position(span: Span, sources: Sources) -> dict[str, t.Any]:
    r = region(span, sources)
    return {
        "file": span.file,
        "line": r.line,
        "column": r.column,
        "end_line": r.end_line,
        "end_column": r.end_column,
    }


def json_object(diag: Diagnostic, sources: Sources) -> dict[str, t.Any]:
    """A diagnostic as plain data: what `--format json` prints and tools read."""
    labels = [{**_position(x.span, sources), "message": x.message} for x in diag.secondary]
    return {
        "code": diag.code,
        "slug": catalog_entry(diag).slug,
        "severity": diag.severity.value,
        "message": diag.message,
        **_position(diag.span, sources),
        "start": diag.span.start,
        "end": diag.span.end,
        "label": diag.label,
        "labels": labels,
        "notes": list(diag.notes),
        "help": diag.help,
    }


def render_json(diags: Diagnostics, sources: Sources) -> str:
    """A JSON array of diagnostics, keys sorted, so the output is byte-stable."""
    data = [json_object(diag, sources) for diag in diags]
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# ---- SARIF 2.1.0 ---------------------------------------------------------------------


def _artifact(path: str) -> dict[str, str]:
    """A relative path becomes a URI under `%SRCROOT%`; an absolute one a `file:` URI."""
    posix = path.replace("\\", "/")
    if posix.startswith("/"):
        return {"uri": "file://" + urllib.parse.quote(posix)}
    return {"uri": urllib.parse.quote(posix), "uriBaseId": SRCROOT}


def _physical(span: Span, sources: Sources) -> dict[str, t.Any]:
    r = region(span, sources)
    area = {
        "startLine": r.line,
        "startColumn": r.column,
        "endLine": r.end_line,
        "endColumn": r.end_column,
    }
    return {"artifactLocation": _artifact(span.file), "region": area}


def _sarif_rule(entry: Code) -> dict[str, t.Any]:
    """A rule per code used; its help is the `popsc explain` text, shown by code scanning."""
    rule: dict[str, t.Any] = {
        "id": entry.code,
        "shortDescription": {"text": entry.summary},
        "defaultConfiguration": {"level": entry.severity.value},
    }
    if entry.slug:
        rule["name"] = entry.slug
    long_text = explain(entry.code)
    if long_text:
        rule["help"] = {"text": long_text, "markdown": long_text}
    return rule


def _sarif_result(diag: Diagnostic, index: int, sources: Sources) -> dict[str, t.Any]:
    related = [
        {"id": n, "physicalLocation": _physical(x.span, sources), "message": {"text": x.message}}
        for n, x in enumerate(diag.secondary)
    ]
    result: dict[str, t.Any] = {
        "ruleId": diag.code,
        "ruleIndex": index,
        "level": diag.severity.value,
        "message": {"text": full_message(diag)},
        "locations": [{"physicalLocation": _physical(diag.span, sources)}],
    }
    if related:
        result["relatedLocations"] = related
    return result


def render_sarif(
    diags: Diagnostics, sources: Sources, tool_version: str = "", information_uri: str = ""
) -> str:
    """A SARIF 2.1.0 log with one run, for code-scanning tools; deterministic (no times).

    `informationUri` is written only when given: the project declares no home page yet."""
    codes = sorted({diag.code for diag in diags})
    entries = {d.code: catalog_entry(d) for d in diags}
    driver: dict[str, t.Any] = {"name": "popsc", "rules": [_sarif_rule(entries[c]) for c in codes]}
    if tool_version:
        driver["version"] = tool_version
    if information_uri:
        driver["informationUri"] = information_uri
    run = {
        "tool": {"driver": driver},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(d, codes.index(d.code), sources) for d in diags],
    }
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json.dumps(log, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# ---- GitHub workflow commands -------------------------------------------------------------


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as the GitHub Actions toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: the data escapes plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(diag: Diagnostic, sources: Sources) -> str:
    """`::error file=..,line=..,col=..,endLine=..,endColumn=..,title=E0204 slug::message`."""
    r = region(diag.span, sources)
    title = f"{diag.code} {catalog_entry(diag).slug}".strip()
    properties = (
        ("file", diag.span.file),
        ("line", r.line),
        ("col", r.column),
        ("endLine", r.end_line),
        ("endColumn", r.end_column),
        ("title", title),
    )
    joined = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{diag.severity.value} {joined}::{escape_data(full_message(diag))}"


def render_github(diags: Diagnostics, sources: Sources) -> str:
    """GitHub Actions annotations, one workflow command per line."""
    return "".join(github_line(diag, sources) + "\n" for diag in diags)


# ---- by name ----------------------------------------------------------------------------


class Renderer(t.Protocol):
    """The one signature the CLI calls every format through."""

    def __call__(
        self, diags: Diagnostics, sources: Sources, *, color: bool = False, tool_version: str = ""
    ) -> str: ...


RENDERERS: t.Mapping[str, Renderer] = types.MappingProxyType(
    {
        "text": lambda d, s, *, color=False, tool_version="": render_text(d, s, color=color),
        "concise": lambda d, s, *, color=False, tool_version="": render_concise(d, s),
        "json": lambda d, s, *, color=False, tool_version="": render_json(d, s),
        "sarif": lambda d, s, *, color=False, tool_version="": render_sarif(d, s, tool_version),
        "github": lambda d, s, *, color=False, tool_version="": render_github(d, s),
    }
)
"""Format name (`--format`) to renderer."""
