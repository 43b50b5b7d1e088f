"""Properties no example list can cover: no input makes popsc raise, spans stay in
their files, and the order files are read in never changes the diagnostics."""

from __future__ import annotations

import random

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from promptlang import driver
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse
from strategies import programs

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def _spans_inside(result) -> None:
    for d in result.diagnostics:
        for span in (d.span, *(label.span for label in d.secondary)):
            text = result.sources[span.file].text
            assert 0 <= span.start <= span.end <= len(text), (d, len(text))


def _walk(value):
    if isinstance(value, tuple):
        for item in value:
            yield from _walk(item)
    elif hasattr(value, "__attrs_attrs__"):
        yield value
        for field in value.__attrs_attrs__:
            yield from _walk(getattr(value, field.name))


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text):
    """Any text is diagnostics, never an exception, and spans stay inside the file."""
    _spans_inside(driver.check_texts({"main.pops": text}))


@SETTINGS
@given(programs())
def test_generated_programs_never_raise(text):
    """Programs generated from the grammar check without an exception."""
    result = driver.check_texts({"main.pops": text})
    _spans_inside(result)


@SETTINGS
@given(programs())
def test_ast_spans_nest_inside_the_file(text):
    """Every AST node's span lies inside the text, and children inside their parents."""
    source = SourceFile("main.pops", text, "main")
    module = parse(source, Sink())
    for decl in module.decls:
        for node in _walk(decl):
            span = getattr(node, "span", None)
            if span is not None:
                assert 0 <= span.start <= span.end <= len(text)
                assert decl.span.start <= span.start and span.end <= decl.span.end


_MODULES = {
    "a.pops": 'from b import Ticket\nprompt p(t: Ticket) {\n  model = m\n  user """{{ t.bdy }}"""\n}\n',
    "b.pops": 'import a\ntype Ticket { body: string, x: Nope }\nmodel m { provider = "openai"\n name = "x" }\n',
    "c.pops": 'import missing.module\nenum E { a, a }\n',
    "d.pops": 'test "t" for a.p { given { t = { body: 1 } } }\nimport a\n',
}


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False))
def test_file_order_does_not_change_diagnostics(rnd: random.Random):
    """The same files read in any order give the same diagnostics."""
    baseline = driver.check_texts(dict(sorted(_MODULES.items()))).diagnostics
    items = list(_MODULES.items())
    rnd.shuffle(items)
    assert driver.check_texts(dict(items)).diagnostics == baseline


_EXAMPLE_TEXTS = sorted(
    p.read_text(encoding="utf-8")
    for p in (__import__("pathlib").Path(__file__).parent.parent / "examples").glob("*/**/*.pops")
)
_JUNK = ["{", "}", "(", ")", '"', '"""', "{{", "}}", "{%", "%}", ".", "?", "@pii", "\n", "|", ","]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(_EXAMPLE_TEXTS), st.lists(st.tuples(st.floats(0, 1), st.integers(0, 30),
                                                         st.sampled_from(["cut", "twice"] + _JUNK)),
                                               min_size=1, max_size=4))
def test_damaged_examples_never_raise(text, edits):
    """Real programs with pieces cut, doubled or inserted: diagnostics, never an exception."""
    for where, size, what in edits:
        start = int(where * len(text))
        end = min(len(text), start + size)
        if what == "cut":
            text = text[:start] + text[end:]
        elif what == "twice":
            text = text[:start] + text[start:end] * 2 + text[end:]
        else:
            text = text[:start] + what + text[start:]
    _spans_inside(driver.check_texts({"main.pops": text}))
