"""The formatter on real programs: every example and standard-library module formats
idempotently, and both are kept formatted (`popsc fmt --check` passes on them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlang.fmt import format_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").rglob("*.pops"))
STDLIB = sorted((ROOT / "promptlang" / "stdlib").glob("*.pops"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", EXAMPLES + STDLIB, ids=_id)
def test_real_files_format_idempotently(path: Path):
    once = format_text(path.read_text("utf-8"), path.name)
    assert format_text(once, path.name) == once


@pytest.mark.parametrize("path", EXAMPLES + STDLIB, ids=_id)
def test_examples_and_standard_library_are_formatted(path: Path):
    text = path.read_text("utf-8")
    assert format_text(text, path.name) == text
