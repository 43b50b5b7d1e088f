"""`similar_to` in `popsc test`: the cosine of sentence embeddings (all-MiniLM-L6-v2
from the `similarity` extra) against the threshold, and the skip when the model is not
installed. The model is loaded once for the session."""

from __future__ import annotations

import attrs
import pytest

from promptlang import ir
from promptlang.testing import assertions
from promptlang.testing import similarity

REFERENCE = "I'm sorry the toaster stopped working. Our returns team will contact you shortly."
SIMILAR = ("So sorry your toaster stopped heating. I've passed your request to the returns "
           "team, who will be in touch soon.")
UNRELATED = "Your parcel 1Z999 left the depot this morning and arrives on Friday."


@pytest.fixture(scope="session")
def model():
    loaded = similarity.load()
    if loaded is None:
        pytest.skip(similarity.UNAVAILABLE)
    return loaded


def expect(threshold: float, subject: str = "output.answer") -> ir.ExpectIR:
    return ir.ExpectIR(subject=subject, op="similar_to", value=REFERENCE, threshold=threshold,
                       line=9)


def test_a_similar_answer_passes_above_the_threshold(model):
    assert similarity.score(SIMILAR, REFERENCE) > 0.7
    result = assertions.judge(expect(0.7), {"answer": SIMILAR}, None)
    assert result.status == "passed", result.message


def test_a_whole_string_output_is_compared(model):
    assert assertions.judge(expect(0.7, "output"), SIMILAR, None).status == "passed"


def test_an_unrelated_answer_fails_with_its_score(model):
    score = similarity.score(UNRELATED, REFERENCE)
    assert score < 0.5
    result = assertions.judge(expect(0.7), {"answer": UNRELATED}, None)
    assert result.status == "failed" and result.line == 9
    assert f"similarity {score:.3f} is not at least the threshold 0.7" in result.message
    assert "parcel 1Z999" in result.message


def test_a_missing_or_non_text_field_fails(model):
    assert "has no value" in assertions.judge(expect(0.7), {}, None).message
    assert "not text" in assertions.judge(expect(0.7), {"answer": 3}, None).message


def test_without_the_package_it_is_skipped_with_how_to_install(monkeypatch):
    monkeypatch.setattr(similarity, "load", lambda: None)
    result = assertions.judge(expect(0.7), {"answer": SIMILAR}, None)
    assert result.status == "skipped"
    assert result.message == "similar_to needs `pip install 'promptlang[similarity]'`"


def test_a_strict_threshold_needs_more_than_the_threshold(model):
    """`> t` fails on a score equal to t, `>= t` passes it."""
    score = similarity.score(SIMILAR, REFERENCE)
    at_least = attrs.evolve(expect(score), flags=">=")
    above = attrs.evolve(expect(score), flags=">")
    assert assertions.judge(at_least, {"answer": SIMILAR}, None).status == "passed"
    failed = assertions.judge(above, {"answer": SIMILAR}, None)
    assert failed.status == "failed" and "is not above the threshold" in failed.message
