"""The server's incremental check: a change re-checks the changed module and the
modules importing it, nothing else, and the whole-program check that follows finds
their results in the driver's cache (the same keys as `popsc check`)."""

from __future__ import annotations

import pytest

from lsp_client import PROJECT
from lsp_client import text
from promptlang import checks
from promptlang import driver
from promptlang.lsp.state import ProjectState


@pytest.fixture
def checked(monkeypatch):
    """The modules `check_module` runs on, in order."""
    seen: list[str] = []
    real = checks.check_module

    def spy(program, scope):
        seen.append(scope.module)
        return real(program, scope)

    monkeypatch.setattr(checks, "check_module", spy)
    return seen


def test_a_change_rechecks_the_module_and_its_importers_only(checked):
    state = ProjectState(PROJECT.resolve())
    state.check_all()
    checked.clear()
    found = state.check_changed(state.set_text("shop/prompts.pops", text("shop/prompts.pops") + "\n"))
    assert sorted(checked) == ["shop.prompts", "shop.tests"]
    assert sorted(found) == ["shop/prompts.pops", "shop/tests.pops"]
    checked.clear()
    state.check_all()
    assert checked == []  # the change's results were cached under the full check's keys


def test_a_module_nothing_imports_is_rechecked_alone(checked):
    state = ProjectState(PROJECT.resolve())
    state.check_all()
    checked.clear()
    state.check_changed(state.set_text("shop/tests.pops", text("shop/tests.pops") + "// more\n"))
    assert checked == ["shop.tests"]


def test_the_full_check_agrees_with_popsc_check():
    body = text("shop/prompts.pops").replace("{{ ticket.body }}", "{{ ticket.bdy }}")
    state = ProjectState(PROJECT.resolve())
    state.set_text("shop/prompts.pops", body)
    found = [d for ds in state.check_all().values() for d in ds]
    texts = {f"shop/{name}.pops": text(f"shop/{name}.pops") for name in ("types", "tests")}
    expected = driver.check_texts({**texts, "shop/prompts.pops": body}).diagnostics
    assert [(d.code, d.span) for d in found] == [(d.code, d.span) for d in expected]


def test_an_import_of_a_missing_module_takes_the_full_check():
    state = ProjectState(PROJECT.resolve())
    state.check_all()
    name = state.set_text("shop/tests.pops", "import shop.typo\n" + text("shop/tests.pops"))
    assert state.check_changed(name) is None


def test_requests_after_a_change_use_its_program_until_they_need_all_modules(checked):
    state = ProjectState(PROJECT.resolve())
    state.check_all()
    state.check_changed(state.set_text("shop/tests.pops", text("shop/tests.pops") + "// more\n"))
    assert state.program_for("shop.tests", whole=False) is state.latest
    assert state.program_for("shop.tests", whole=True) is None  # references: a full check first
    state.check_changed(state.set_text("shop/types.pops", text("shop/types.pops") + "// more\n"))
    assert state.program_for("shop.tests", whole=False) is state.latest  # imports types: covered


def test_the_first_change_parses_no_module_it_does_not_check(checked, monkeypatch, tmp_path):
    from promptlang.syntax import parser

    (tmp_path / "pops.toml").write_text('[project]\nname = "p"\n')
    (tmp_path / "types.pops").write_text("enum Color { red, blue }\n")
    (tmp_path / "uses.pops").write_text("from types import Color\n\ntype Paint { color: Color }\n")
    (tmp_path / "alone.pops").write_text("enum Size { small, large }\n")
    parsed: list[str] = []
    real = parser.parse
    monkeypatch.setattr(parser, "parse", lambda source, sink: parsed.append(source.path) or real(source, sink))
    state = ProjectState(tmp_path)  # never checked: nothing parsed yet
    found = state.check_changed(state.set_text("types.pops", "enum Color { red, blue, green }\n"))
    assert sorted(found) == ["types.pops", "uses.pops"]  # its importer, found by its import line
    assert sorted(checked) == ["types", "uses"]
    assert "alone.pops" not in parsed
