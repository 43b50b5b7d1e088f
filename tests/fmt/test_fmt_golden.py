"""Golden cases of the layout: `cases/<name>.input.pops` formats to
`cases/<name>.expected.pops`, which is itself a fixed point.

`POPS_UPDATE_FMT_GOLDEN=1 pytest tests/fmt` rewrites the expected files of these cases
only (review the diff before committing)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from promptlang.fmt import format_text

CASES = Path(__file__).parent / "cases"
INPUTS = sorted(CASES.glob("*.input.pops"))
UPDATE = os.environ.get("POPS_UPDATE_FMT_GOLDEN") == "1"


def test_there_are_cases():
    assert len(INPUTS) >= 5


@pytest.mark.parametrize("source", INPUTS, ids=lambda p: p.name.removesuffix(".input.pops"))
def test_golden(source: Path):
    expected_path = source.with_name(source.name.replace(".input.", ".expected."))
    got = format_text(source.read_text("utf-8"), source.name)
    if UPDATE:
        expected_path.write_text(got, "utf-8", newline="\n")
    expected = expected_path.read_text("utf-8")
    assert got == expected
    assert format_text(expected, expected_path.name) == expected
