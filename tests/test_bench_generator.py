"""The benchmark's synthetic projects must be valid `.pops`, or the timings mean nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    """bench/ is scripts, not a package: load a file of it by path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


gen_project = _load("gen_project")


def test_generated_project_parses_cleanly_at_about_38_lines_per_prompt(tmp_path):
    stats = gen_project.generate(tmp_path, 20)
    files = sorted(tmp_path.rglob("*.pops"))
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "gen/part_000.pops", "models.pops",
    ]
    assert (tmp_path / "pops.toml").read_text().startswith("[project]\n")
    for path in files:
        sink = Sink()
        module = parse(SourceFile(str(path), path.read_text(), path.stem), sink)
        assert sink.sorted() == [], path
        assert module.decls
    lines = sum(f.read_text().count("\n") for f in files)
    assert lines == stats.lines
    assert 36 * 20 <= lines <= 40 * 20


def test_generation_is_deterministic_per_seed(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen_project.generate(a, 25, seed=1)
    gen_project.generate(b, 25, seed=1)
    gen_project.generate(c, 25, seed=2)
    part = "gen/part_001.pops"
    assert (a / part).read_text() == (b / part).read_text()
    assert (a / part).read_text() != (c / part).read_text()


@pytest.mark.skipif(
    not (REPO / "promptlang" / "__main__.py").exists(), reason="popsc check is not wired up yet"
)
def test_generated_project_passes_popsc_check(tmp_path):
    gen_project.generate(tmp_path, 20)
    done = subprocess.run(
        [sys.executable, "-m", "promptlang", "check", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
