"""`format_text`, the entry point the CLI and the language server share: syntax errors
are reported, not formatted; the result keeps the program and its comments."""

from __future__ import annotations

import pytest

from promptlang.fmt import FormatError
from promptlang.fmt import format_text


def test_syntax_errors_are_diagnostics_not_output():
    with pytest.raises(FormatError) as caught:
        format_text("model m {\n  provider = \n}\n", "bad.pops")
    codes = [d.code for d in caught.value.diagnostics]
    assert codes and all(code.startswith("E") for code in codes)
    assert caught.value.diagnostics[0].span.file == "bad.pops"


def test_layout_is_canonical_and_comments_stay():
    text = 'model m { provider="openai" // who\n name = "x" }\n'
    assert format_text(text, "m.pops") == (
        'model m {\n  provider = "openai" // who\n  name = "x"\n}\n')


def test_empty_file_stays_empty():
    assert format_text("", "e.pops") == ""
    assert format_text("\n\n", "e.pops") == ""


def test_windows_line_endings_become_newlines():
    assert format_text("import a\r\nimport b\r\n", "w.pops") == "import a\nimport b\n"
