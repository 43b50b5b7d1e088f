"""Every diagnostic code has a golden case, and the codes txtar cannot express have a test here.

The golden cases live in `tests/cases/**/*.txtar` (collected by `conftest.py`). A txtar file
is text, so two situations are written as ordinary tests in this file instead: a source
file with bytes that are not UTF-8 (E0106), and a module reached through a symbolic link
that leaves the project root (E0207)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from golden import DEFAULT_CONFIG
from golden import Archive
from promptlang import driver
from promptlang.diagnostics.codes import CODES
from promptlang.diagnostics.render import render_text

CASES = Path(__file__).parent / "cases"
_RENDERED_CODE = re.compile(r"^\S+:\d+:\d+: (?:error|warning)\[([EW]\d{4})\]:", re.M)

# Codes proven by the tests of this file rather than by a golden case.
COVERED_HERE = {
    "E0106": "test_invalid_utf8_is_E0106_at_the_first_bad_byte",
    "E0207": "test_import_of_symlinked_module_outside_root_is_E0207",
}

# Codes in the catalog that popsc never emits today, so no honest golden case can show
# them. Each entry says what popsc does instead; remove the entry when the code is
# implemented and a case is added (test_known_gaps_are_still_gaps fails to remind you).
KNOWN_GAPS: dict[str, str] = {}


def _project(root: Path, files: dict[str, str | bytes]) -> Path:
    files = {"pops.toml": DEFAULT_CONFIG, **files}
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def _rendered(root: Path) -> str:
    result = driver.check(str(root), use_cache=False)
    return render_text(result.diagnostics, result.sources, color=False)


def golden_codes() -> dict[str, list[str]]:
    """Each code that appears in an `out/diagnostics` section, with the cases showing it."""
    found: dict[str, list[str]] = {}
    for path in sorted(CASES.rglob("*.txtar")):
        archive = Archive.parse(path.read_text(encoding="utf-8"))
        for code in _RENDERED_CODE.findall(archive.sections.get("out/diagnostics", "")):
            found.setdefault(code, []).append(str(path.relative_to(CASES)))
    return found


def test_every_code_has_a_golden_case():
    """Every code of the catalog appears in the expected output of at least one golden
    case, except the codes proven by a test of this file and the documented gaps."""
    covered = set(golden_codes())
    missing = set(CODES) - covered - set(COVERED_HERE) - set(KNOWN_GAPS)
    assert not missing, f"codes without a golden case in tests/cases: {sorted(missing)}"


def test_golden_cases_show_only_catalog_codes():
    """The golden outputs use only codes that exist in the catalog."""
    unknown = set(golden_codes()) - set(CODES)
    assert not unknown, f"golden cases show codes missing from codes.py: {sorted(unknown)}"


def test_known_gaps_are_still_gaps():
    """A code listed as a known gap is in the catalog and really has no golden case yet;
    once one exists, the entry in KNOWN_GAPS must go."""
    assert set(KNOWN_GAPS) <= set(CODES)
    closed = set(KNOWN_GAPS) & set(golden_codes())
    assert not closed, f"remove {sorted(closed)} from KNOWN_GAPS: a golden case shows them now"


def test_every_golden_case_says_what_it_proves():
    """Each case starts with a `# ...` sentence and has its inputs and expected output."""
    for path in sorted(CASES.rglob("*.txtar")):
        archive = Archive.parse(path.read_text(encoding="utf-8"))
        name = path.relative_to(CASES)
        assert re.match(r"# \S.*\.\n$", archive.comment), f"{name}: header is not one sentence"
        assert archive.inputs(), f"{name}: no input section"
        assert "out/diagnostics" in archive.sections, f"{name}: no out/diagnostics section"


def test_invalid_utf8_is_E0106_at_the_first_bad_byte(tmp_path):
    """A file saved as Latin-1 (`é` as the single byte 0xE9) is E0106, pointing at the
    first byte that does not decode, with a help to save it as UTF-8."""
    root = _project(tmp_path, {
        "main.pops": b'template persona(tone: string) """\n'
                     b"  You are a {{ tone }} agent for Caf\xe9 Acme.\n"
                     b'"""\n',
    })
    assert _rendered(root) == (
        "main.pops:2:37: error[E0106]: this file is not valid UTF-8\n"
        "  |\n"
        "2 |   You are a {{ tone }} agent for Caf\ufffd Acme.\n"
        "  |                                     ^ this byte does not decode\n"
        "  |\n"
        "  = help: save the file as UTF-8\n"
    )


def test_invalid_utf8_in_one_module_leaves_the_others_checked(tmp_path):
    """A bad byte in one module is E0106 for that module only: a valid module beside it
    gives no diagnostic of its own."""
    root = _project(tmp_path, {
        "broken.pops": b'type Ticket { id: string = "Caf\xe9" }\n',
        "fine.pops": "type Thread { id: string }\n",
    })
    rendered = _rendered(root)
    assert _RENDERED_CODE.findall(rendered) == ["E0106"]
    assert rendered.startswith("broken.pops:1:32: error[E0106]:")


def test_invalid_utf8_outside_a_string_is_only_E0106(tmp_path):
    """A bad byte where a name is written is one mistake, reported once as E0106."""
    root = _project(tmp_path, {"main.pops": b"type Caf\xe9 { id: string }\n"})
    assert _RENDERED_CODE.findall(_rendered(root)) == ["E0106"]


def test_byte_order_mark_is_not_E0106(tmp_path):
    """A UTF-8 byte-order mark at the start of a file is ignored: no diagnostic."""
    root = _project(tmp_path, {"main.pops": b"\xef\xbb\xbftype Ticket { id: string }\n"})
    assert _rendered(root) == ""


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_import_of_symlinked_module_outside_root_is_E0207(tmp_path):
    """A module file that is a symbolic link to a file outside the project root is E0207
    at the import, naming the real path it points to."""
    outside = tmp_path / "other" / "types.pops"
    outside.parent.mkdir()
    outside.write_text("type Ticket { id: string, body: string }\n", encoding="utf-8")
    root = _project(tmp_path / "project", {
        "main.pops": "import shared\n\ntype Thread { id: string }\n",
    })
    (root / "shared.pops").symlink_to(outside)
    rendered = _rendered(root).replace(str(outside.resolve()), "<outside>/types.pops")
    assert rendered == (
        "main.pops:1:8: error[E0207]: module `shared` resolves outside the project root\n"
        "  |\n"
        "1 | import shared\n"
        "  |        ^^^^^^ points to <outside>/types.pops\n"
        "  |\n"
        "  = help: imports may only name files inside the project; copy the module in\n"
    )


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_symlink_inside_the_root_is_not_E0207(tmp_path):
    """A module file that is a symbolic link to another file inside the project is fine."""
    root = _project(tmp_path, {
        "support/types.pops": "type Ticket { id: string, body: string }\n",
        "main.pops": "import shared\n\ntype Thread { first: shared.Ticket }\n",
    })
    (root / "shared.pops").symlink_to(root / "support" / "types.pops")
    assert _rendered(root) == ""


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_import_through_symlinked_folder_outside_root_is_E0207(tmp_path):
    """A folder of the project that is a symbolic link to a folder outside the root makes
    its modules E0207 at the import, as `popsc explain E0207` describes."""
    outside = tmp_path / "other" / "shared"
    outside.mkdir(parents=True)
    (outside / "types.pops").write_text("type Ticket { id: string }\n", encoding="utf-8")
    root = _project(tmp_path / "project", {
        "main.pops": "import shared.types\n\ntype Thread { id: string }\n",
    })
    (root / "shared").symlink_to(outside, target_is_directory=True)
    assert _RENDERED_CODE.findall(_rendered(root)) == ["E0207"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_file_through_symlink_outside_root_is_E0207(tmp_path):
    """`file("fixtures/x.txt")` whose folder is a symbolic link leaving the project is
    E0207: the real path is checked, not the written one."""
    outside = tmp_path / "other"
    outside.mkdir()
    (outside / "complaint.txt").write_text("My parcel is late.\n", encoding="utf-8")
    root = _project(tmp_path / "project", {
        "main.pops": (
            'model fast { provider = "openai", name = "gpt-4o-mini" }\n'
            "\n"
            "prompt summarize(text: string) -> string {\n"
            "  model = fast\n"
            '  user "Summarize: {{ text }}"\n'
            "}\n"
            "\n"
            'test "long complaint" for summarize {\n'
            '  given { text = file("fixtures/complaint.txt") }\n'
            '  expect rubric "At most three sentences"\n'
            "}\n"
        ),
    })
    (root / "fixtures").symlink_to(outside, target_is_directory=True)
    assert _rendered(root) == (
        'main.pops:9:23: error[E0207]: `file("fixtures/complaint.txt")` points outside the project root\n'
        "  |\n"
        '9 |   given { text = file("fixtures/complaint.txt") }\n'
        "  |                       ^^^^^^^^^^^^^^^^^^^^^^^^ outside the project\n"
        "  |\n"
        "  = help: name a file inside the project folder\n"
    )
