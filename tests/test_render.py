"""The diagnostic renderers: exact text and concise forms, and well-formed JSON, SARIF
and GitHub annotations, all from hand-made diagnostics over small sources."""

from __future__ import annotations

import json

import jsonschema
import pytest

from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.model import Severity
from promptlang.diagnostics.render import RENDERERS
from promptlang.diagnostics.render import escape_property
from promptlang.diagnostics.render import render_concise
from promptlang.diagnostics.render import render_github
from promptlang.diagnostics.render import render_json
from promptlang.diagnostics.render import render_sarif
from promptlang.diagnostics.render import render_text
from promptlang.diagnostics.render import summary_line
from promptlang.source import SourceFile
from promptlang.source import Span

TICKETS = """\
type Ticket {
  id: string
  body: string
}

prompt answer(ticket: Ticket) -> string {
  model = fast
  user \"\"\"
    {{ ticket.bdy }}
  \"\"\"
}
"""
MODELS = "model fast { provider = \"openai\", name = \"gpt-4o-mini\" }\n"


def sources(*files: SourceFile) -> dict[str, SourceFile]:
    return {f.path: f for f in files}


def at(source: SourceFile, needle: str, occurrence: int = 0) -> Span:
    """The span of the n-th occurrence of `needle` in the source."""
    start = -1
    for _ in range(occurrence + 1):
        start = source.text.index(needle, start + 1)
    return source.span(start, start + len(needle))


def unknown_field(source: SourceFile, **extra) -> Diagnostic:
    return Diagnostic(
        "E0204",
        Severity.ERROR,
        "record `Ticket` has no field `bdy`",
        at(source, "bdy"),
        label="not a field of `Ticket`",
        **extra,
    )


def test_text_single_line_span_with_note_and_help():
    """The full form: the stable `path:line:col: error[CODE]: message` line, the source
    line in a gutter, carets under exactly the span with the label, then note and help."""
    src = SourceFile("support/tickets.pops", TICKETS)
    diag = unknown_field(src, notes=("`ticket` is a `Ticket`",), help="did you mean `body`?")
    assert render_text([diag], sources(src)) == (
        "support/tickets.pops:9:15: error[E0204]: record `Ticket` has no field `bdy`\n"
        "  |\n"
        "9 |     {{ ticket.bdy }}\n"
        "  |               ^^^ not a field of `Ticket`\n"
        "  |\n"
        "  = note: `ticket` is a `Ticket`\n"
        "  = help: did you mean `body`?\n"
    )


def test_text_multi_line_span_marks_first_and_last_line():
    """A span over several lines underlines its first line to the end, skips the middle
    with `...`, and underlines the last line up to the span's end, label there."""
    src = SourceFile("a.pops", TICKETS)
    start = src.text.index("{")
    span = src.span(start, src.text.index("}") + 1)
    diag = Diagnostic("E0304", Severity.ERROR, "record `Ticket` contains itself", span,
                      label="this record")
    assert render_text([diag], sources(src)) == (
        "a.pops:1:13: error[E0304]: record `Ticket` contains itself\n"
        "  |\n"
        "1 | type Ticket {\n"
        "  |             ^\n"
        "...\n"
        "4 | }\n"
        "  | ^ this record\n"
    )


def test_text_span_ending_with_a_line_break_stays_on_its_line():
    """A span whose last character is the line break is drawn on that line (one caret
    past the text), not as a two-line span onto the next line."""
    src = SourceFile("a.pops", "type T {\n}\n")
    diag = Diagnostic("E0101", Severity.ERROR, "expected a field", src.span(7, 9))
    assert render_text([diag], sources(src)) == (
        "a.pops:1:8: error[E0101]: expected a field\n"
        "  |\n"
        "1 | type T {\n"
        "  |        ^^\n"
    )


def test_text_zero_width_span_at_end_of_file_gets_one_caret():
    """A zero-width span at the very end of the file points one caret at the empty last
    line; the gutter widens to fit line 11."""
    src = SourceFile("a.pops", TICKETS[: TICKETS.rindex("}")])
    end = len(src.text)
    diag = Diagnostic("E0101", Severity.ERROR, "unexpected end of file", src.span(end, end),
                      label="the file ends here")
    assert render_text([diag], sources(src)) == (
        "a.pops:11:1: error[E0101]: unexpected end of file\n"
        "   |\n"
        "11 |\n"
        "   | ^ the file ends here\n"
    )


def test_text_zero_width_span_in_empty_file():
    """An empty file still renders: line 1, column 1, one caret."""
    src = SourceFile("empty.pops", "")
    diag = Diagnostic("E0101", Severity.ERROR, "empty", src.span(0, 0))
    assert render_text([diag], sources(src)) == (
        "empty.pops:1:1: error[E0101]: empty\n"
        "  |\n"
        "1 |\n"
        "  | ^\n"
    )


def test_text_secondary_labels_in_same_and_other_file():
    """A same-file label is drawn with `---` on its own line, in line order with the
    primary; a label in another file gets a ` ::: path:line:col` header and a snippet."""
    src = SourceFile("support/tickets.pops", TICKETS)
    models = SourceFile("models.pops", MODELS)
    diag = Diagnostic(
        "E0208", Severity.ERROR, "`fast` is a model, not a type", at(src, "fast"),
        label="expected a type",
        secondary=(
            Label(at(src, "Ticket"), "types are declared like this"),
            Label(at(models, "fast"), "`fast` is declared here"),
        ),
    )
    assert render_text([diag], sources(src, models)) == (
        "support/tickets.pops:7:11: error[E0208]: `fast` is a model, not a type\n"
        "  |\n"
        "1 | type Ticket {\n"
        "  |      ------ types are declared like this\n"
        "...\n"
        "7 |   model = fast\n"
        "  |           ^^^^ expected a type\n"
        "  |\n"
        " ::: models.pops:1:7\n"
        "  |\n"
        "1 | model fast { provider = \"openai\", name = \"gpt-4o-mini\" }\n"
        "  |       ---- `fast` is declared here\n"
    )


def test_text_secondary_label_on_the_primary_line():
    """Two labels on one line share the source line, each with its own underline row."""
    src = SourceFile("a.pops", "enum Priority { low, low }\n")
    diag = Diagnostic(
        "E0210", Severity.ERROR, "member `low` is given twice", at(src, "low", 1),
        label="given again here", secondary=(Label(at(src, "low"), "first given here"),),
    )
    assert render_text([diag], sources(src)) == (
        "a.pops:1:22: error[E0210]: member `low` is given twice\n"
        "  |\n"
        "1 | enum Priority { low, low }\n"
        "  |                      ^^^ given again here\n"
        "  |                 --- first given here\n"
    )


def test_text_tabs_are_expanded_so_carets_line_up():
    """Tabs in the source line become spaces to the next 4-column stop, and the carets
    move by the same amount, so they sit under the span on screen."""
    src = SourceFile("a.pops", "type T {\n\tx:\tstrng\n}\n")
    diag = Diagnostic("E0203", Severity.ERROR, "unknown type `strng`", at(src, "strng"),
                      label="not declared")
    assert render_text([diag], sources(src)) == (
        "a.pops:2:5: error[E0203]: unknown type `strng`\n"
        "  |\n"
        "2 |     x:  strng\n"
        "  |         ^^^^^ not declared\n"
    )


def test_text_wide_characters_take_two_columns():
    """East Asian wide characters take two cells, so carets after them still line up."""
    src = SourceFile("a.pops", 'template t() """名前 {{ nme }}"""\n')
    diag = Diagnostic("E0203", Severity.ERROR, "unknown name `nme`", at(src, "nme"))
    assert render_text([diag], sources(src)).splitlines()[2:] == [
        '1 | template t() """名前 {{ nme }}"""',
        "  |                         ^^^",
    ]


def test_control_characters_are_not_sent_to_the_terminal():
    """An escape character or line break, in the source or quoted in a message, is shown
    as U+FFFD: never written raw, never splitting a diagnostic's first line."""
    src = SourceFile("a.pops", "model \x1b[31m {}\n")
    diag = Diagnostic("E0102", Severity.ERROR, "unexpected `\x1b`\nhere", src.span(6, 7))
    out = render_text([diag], sources(src))
    assert "\x1b" not in out
    assert out.splitlines()[0] == "a.pops:1:7: error[E0102]: unexpected `\ufffd`\ufffdhere"
    assert "1 | model \ufffd[31m {}\n" in out
    assert render_concise([diag], sources(src)).count("\n") == 1


def test_text_separates_diagnostics_and_shows_warnings():
    """Several diagnostics are separated by one blank line; warnings say `warning`."""
    src = SourceFile("a.pops", "import std.policies\n")
    warning = Diagnostic("W0211", Severity.WARNING, "`std.policies` is never used",
                         at(src, "std.policies"))
    out = render_text([warning, warning], sources(src))
    first = (
        "a.pops:1:8: warning[W0211]: `std.policies` is never used\n"
        "  |\n"
        "1 | import std.policies\n"
        "  |        ^^^^^^^^^^^^\n"
    )
    assert out == first + "\n" + first


def test_text_color_only_when_asked():
    """ANSI colors appear with color=True (bold red for errors, yellow for warnings, blue
    gutter) and never without."""
    src = SourceFile("a.pops", TICKETS)
    diag = unknown_field(src)
    warning = Diagnostic("W0211", Severity.WARNING, "unused", at(src, "Ticket"))
    plain = render_text([diag, warning], sources(src))
    colored = render_text([diag, warning], sources(src), color=True)
    assert "\x1b" not in plain
    assert "\x1b[1;31merror[E0204]\x1b[0m" in colored
    assert "\x1b[1;33mwarning[W0211]\x1b[0m" in colored
    assert "\x1b[1;34m9 |\x1b[0m" in colored
    assert colored.splitlines()[0].startswith("a.pops:9:15: ")


def test_text_file_missing_from_sources_does_not_raise():
    """A span into a file the caller did not pass renders at 1:1 rather than failing."""
    diag = Diagnostic("E0601", Severity.ERROR, "`pops.toml` is invalid", Span("pops.toml", 40, 45))
    first_line = render_text([diag], {}).splitlines()[0]
    assert first_line == "pops.toml:1:1: error[E0601]: `pops.toml` is invalid"


def test_concise_is_one_line_per_diagnostic():
    """The concise form is `path:line:col: severity[CODE] message`, one line each."""
    src = SourceFile("support/tickets.pops", TICKETS)
    warning = Diagnostic("W0211", Severity.WARNING, "unused", at(src, "Ticket"))
    assert render_concise([unknown_field(src), warning], sources(src)) == (
        "support/tickets.pops:9:15: error[E0204] record `Ticket` has no field `bdy`\n"
        "support/tickets.pops:1:6: warning[W0211] unused\n"
    )
    assert render_concise([], {}) == ""


@pytest.mark.parametrize(
    ("severities", "expected"),
    [
        ((), "no problems found"),
        ((Severity.ERROR,), "1 error emitted"),
        ((Severity.WARNING, Severity.WARNING), "2 warnings emitted"),
        ((Severity.ERROR, Severity.WARNING, Severity.ERROR), "2 errors, 1 warning emitted"),
    ],
)
def test_summary_line_counts_errors_and_warnings(severities, expected):
    """The closing line counts errors and warnings with plurals, or says all is well."""
    diags = [Diagnostic("E0101", s, "m", Span("a.pops", 0, 0)) for s in severities]
    assert summary_line(diags) == expected


def test_json_has_every_field():
    """JSON output is an array of objects with positions, slug, labels, notes and help."""
    src = SourceFile("support/tickets.pops", TICKETS)
    models = SourceFile("models.pops", MODELS)
    label = Label(at(models, "fast"), "here")
    diag = unknown_field(src, secondary=(label,), help="did you mean `body`?")
    [item] = json.loads(render_json([diag], sources(src, models)))
    assert item == {
        "code": "E0204",
        "slug": "unknown-field",
        "severity": "error",
        "message": "record `Ticket` has no field `bdy`",
        "file": "support/tickets.pops",
        "start": diag.span.start,
        "end": diag.span.end,
        "line": 9,
        "column": 15,
        "end_line": 9,
        "end_column": 18,
        "label": "not a field of `Ticket`",
        "labels": [{"file": "models.pops", "line": 1, "column": 7, "end_line": 1,
                    "end_column": 11, "message": "here"}],
        "notes": [],
        "help": "did you mean `body`?",
    }
    assert render_json([], {}) == "[]\n"


# A hand-written subset of the SARIF 2.1.0 schema (OASIS sarif-schema-2.1.0.json): the
# objects and properties popsc writes, with the types and required keys the standard gives.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
_REGION = {
    "type": "object",
    "properties": {k: {"type": "integer", "minimum": 1}
                   for k in ("startLine", "startColumn", "endLine", "endColumn")},
    "additionalProperties": False,
}
_PHYSICAL = {
    "type": "object",
    "required": ["artifactLocation", "region"],
    "properties": {
        "artifactLocation": {
            "type": "object",
            "required": ["uri"],
            "properties": {"uri": {"type": "string", "format": "uri-reference"},
                           "uriBaseId": {"type": "string"}},
            "additionalProperties": False,
        },
        "region": _REGION,
    },
    "additionalProperties": False,
}
_LOCATION = {
    "type": "object",
    "properties": {"id": {"type": "integer", "minimum": -1}, "physicalLocation": _PHYSICAL,
                   "message": _MESSAGE},
    "additionalProperties": False,
}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "items": {
            "type": "object",
            "required": ["tool"],
            "additionalProperties": False,
            "properties": {
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "informationUri": {"type": "string", "format": "uri"},
                        "rules": {"type": "array", "uniqueItems": True, "items": {
                            "type": "object",
                            "required": ["id"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                                "shortDescription": _MESSAGE,
                                "help": {"type": "object", "required": ["text"]},
                                "defaultConfiguration": {"type": "object",
                                                         "properties": {"level": _LEVEL}},
                            },
                        }},
                    },
                }}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "additionalProperties": False,
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": _LEVEL,
                        "message": _MESSAGE,
                        "locations": {"type": "array", "items": _LOCATION},
                        "relatedLocations": {"type": "array", "items": _LOCATION},
                    },
                }},
            },
        }},
    },
}


def _sarif_sample() -> tuple[list[Diagnostic], dict[str, SourceFile]]:
    src = SourceFile("support/my tickets.pops", TICKETS)
    models = SourceFile("models.pops", MODELS)
    diags = [
        unknown_field(src, secondary=(Label(at(models, "fast"), "declared here"),),
                      help="did you mean `body`?"),
        Diagnostic("W0211", Severity.WARNING, "unused", at(src, "Ticket")),
        Diagnostic("E0204", Severity.ERROR, "no field `x`", at(src, "ticket", 1)),
    ]
    return diags, sources(src, models)


def test_sarif_matches_the_schema_subset_and_points_at_the_spans():
    """The SARIF log validates against the SARIF 2.1.0 shapes it uses; one rule per
    code used, results point at 1-based regions with exclusive end columns under
    `%SRCROOT%`, secondary labels become related locations, help joins the message."""
    diags, srcs = _sarif_sample()
    log = json.loads(render_sarif(diags, srcs, "0.1.0"))
    checker = jsonschema.Draft202012Validator(
        SARIF_SUBSET, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    checker.validate(log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("popsc", "0.1.0")
    assert [(r["id"], r["name"]) for r in driver["rules"]] == [
        ("E0204", "unknown-field"), ("W0211", "unused-import")
    ]
    assert driver["rules"][0]["help"]["text"].startswith("# E0204: unknown-field")
    first, second, _ = log["runs"][0]["results"]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("E0204", 0, "error")
    assert (second["ruleIndex"], second["level"]) == (1, "warning")
    assert first["message"]["text"] == (
        "record `Ticket` has no field `bdy`\nhelp: did you mean `body`?"
    )
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "support/my%20tickets.pops", "uriBaseId": "%SRCROOT%"
    }
    assert physical["region"] == {"startLine": 9, "startColumn": 15, "endLine": 9, "endColumn": 18}
    related = first["relatedLocations"][0]
    assert related["message"]["text"] == "declared here"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "models.pops"


def test_sarif_is_deterministic_and_informationuri_optional():
    """Same diagnostics, same bytes; `informationUri` is written only when given."""
    diags, srcs = _sarif_sample()
    assert render_sarif(diags, srcs, "0.1.0") == render_sarif(diags, srcs, "0.1.0")
    driver = json.loads(render_sarif(diags, srcs, "1", "https://example.org/popsc"))["runs"][0]
    assert driver["tool"]["driver"]["informationUri"] == "https://example.org/popsc"
    empty = json.loads(render_sarif([], {}, ""))
    assert empty["runs"][0]["results"] == [] and "version" not in empty["runs"][0]["tool"]["driver"]


def test_github_annotations_escape_data_and_properties():
    """Workflow commands escape `%`, CR and LF in the message, and also `:` and `,` in
    properties, so a path or title can never end the command early."""
    src = SourceFile("a,b:c.pops", "type T { x: strng }\n")
    diag = Diagnostic("E0203", Severity.ERROR, "100% unknown:\r\nline two", at(src, "strng"),
                      help="did you mean `string`?")
    warning = Diagnostic("W0211", Severity.WARNING, "unused", at(src, "T"))
    assert render_github([diag, warning], sources(src)) == (
        "::error file=a%2Cb%3Ac.pops,line=1,col=13,endLine=1,endColumn=18,"
        "title=E0203 unknown-name::100%25 unknown:%0D%0Aline two%0Ahelp: did you mean `string`?\n"
        "::warning file=a%2Cb%3Ac.pops,line=1,col=6,endLine=1,endColumn=7,"
        "title=W0211 unused-import::unused\n"
    )
    assert escape_property("50%,\n:") == "50%25%2C%0A%3A"


def test_renderers_share_one_signature():
    """Every `--format` name maps to a renderer called the same way, returning text."""
    src = SourceFile("a.pops", TICKETS)
    diags = [unknown_field(src)]
    assert sorted(RENDERERS) == ["concise", "github", "json", "sarif", "text"]
    for name, renderer in RENDERERS.items():
        out = renderer(diags, sources(src), color=False, tool_version="0.1.0")
        assert isinstance(out, str) and out.endswith("\n"), name
    assert RENDERERS["text"](diags, sources(src)) == render_text(diags, sources(src))
    assert "\x1b" in RENDERERS["text"](diags, sources(src), color=True)
