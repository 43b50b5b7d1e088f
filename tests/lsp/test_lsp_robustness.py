"""No position in an example project makes a request fail: hover, completion, go to
definition, references and rename answer (or decline) everywhere, and every name's
references include the name itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlang import driver
from promptlang.lsp import completion
from promptlang.lsp import hover
from promptlang.lsp import index
from promptlang.lsp import rename
from promptlang.lsp.symbols import outline

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def program():
    return driver.check(str(REPO / "examples" / "support"), use_cache=False, need_program=True).program


def test_every_position_answers(program):
    for module, scope in program.scopes.items():
        text = scope.source.text
        outline(scope.ast)
        for offset in range(0, len(text), 4):
            hover.hover_text(program, module, offset)
            completion.complete(program, module, text, offset)
            occ = index.at(program, module, offset)
            if occ is not None:
                index.definition(program, occ.target)


def test_every_name_is_among_its_references_and_renames_or_says_why(program):
    for module in program.scopes:
        for occ in index.occurrences(program, module):
            assert occ.span in {o.span for o in index.references(program, occ.target)}
            try:
                spans = rename.edits(program, module, occ.span.start, "renamed_x")
            except rename.RenameError as error:
                assert str(error)
            else:
                assert occ.span in spans


def test_half_typed_text_never_makes_a_request_fail():
    """What an editor sends while typing: a fragment inserted anywhere, then a check of
    the change and completion, hover and definition right after the fragment."""
    import random

    from promptlang.lsp.state import ProjectState

    root = REPO / "examples" / "support"
    state = ProjectState(root)
    state.check_all()
    rnd = random.Random(7)
    fragments = [".", "{{ ticket.", "x: ", "}", "{", '"', '"""', "{% for a in ", "= ", "-> ",
                 "expect output.", "\n", "é🎫"]
    for display in ("support/prompts.pops", "support/tests.pops", "support/types.pops"):
        base = (root / display).read_text("utf-8")
        for _ in range(8):
            at, fragment = rnd.randrange(len(base)), rnd.choice(fragments)
            body = base[:at] + fragment + base[at:]
            module = state.set_text(display, body)
            if state.check_changed(module) is None:
                state.check_all()
            program = state.program_for(module, whole=False)
            if program is None:
                state.check_all()
                program = state.program
            offset = at + len(fragment)
            completion.complete(program, module, body, offset)
            hover.hover_text(program, module, offset)
            occ = index.at(program, module, offset)
            if occ is not None:
                index.definition(program, occ.target)
        state.set_text(display, None)
