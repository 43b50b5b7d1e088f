"""Every bundled example and every stdlib module checks with zero diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptlang import driver
from promptlang.project import stdlib_sources

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))


def _shown(result) -> str:
    from promptlang.diagnostics.render import render_text

    return render_text(result.diagnostics, result.sources, color=False)


def test_there_are_at_least_two_examples():
    """The issue asks for two complete example projects."""
    assert len(EXAMPLES) >= 2


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_cleanly(example):
    """No errors and no warnings in an example."""
    result = driver.check(str(example), use_cache=False)
    assert result.diagnostics == [], _shown(result)


@pytest.mark.parametrize("module", sorted(stdlib_sources()))
def test_stdlib_module_checks_cleanly(module):
    """Each std module, imported from a one-line project, gives no diagnostics."""
    result = driver.check_texts({"main.pops": f"import {module}\n"})
    relevant = [d for d in result.diagnostics if d.code != "W0211"]
    assert relevant == [], _shown(result)
