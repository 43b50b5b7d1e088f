"""`popsc fmt`: rewrites a project's files in place, `--check` and `--diff` write
nothing, and a syntax error anywhere leaves every file as it was."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from promptlang.cli import cli

UGLY = 'model m { provider="openai"\n name="x" }\n'
PRETTY = 'model m {\n  provider = "openai"\n  name = "x"\n}\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nversion = "0.1.0"\n')
    (tmp_path / "ugly.pops").write_text(UGLY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "fine.pops").write_text("import ugly\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fmt(*args):
    return CliRunner().invoke(cli, ["fmt", *args])


def test_fmt_rewrites_the_changed_files_and_names_them(project):
    os.chmod(project / "ugly.pops", 0o640)
    result = _fmt()
    assert result.exit_code == 0, result.output
    assert result.stdout == "formatted ugly.pops\n"
    assert (project / "ugly.pops").read_text() == PRETTY
    assert (project / "ugly.pops").stat().st_mode & 0o777 == 0o640
    assert _fmt(".").stdout == ""  # formatted files are a fixed point


def test_check_lists_files_that_would_change_and_writes_nothing(project):
    result = _fmt("--check", str(project))
    assert result.exit_code == 1
    assert result.stdout == "would reformat ugly.pops\n"
    assert (project / "ugly.pops").read_text() == UGLY
    assert _fmt("--check", "sub/fine.pops").exit_code == 0


def test_diff_prints_a_unified_diff_and_writes_nothing(project):
    result = _fmt("--diff")
    assert result.exit_code == 0
    assert result.stdout.startswith("--- a/ugly.pops\n+++ b/ugly.pops\n@@ ")
    assert '+  provider = "openai"\n' in result.stdout
    assert (project / "ugly.pops").read_text() == UGLY


def test_syntax_error_is_reported_and_nothing_is_written(project):
    (project / "broken.pops").write_text("model {\n")
    result = _fmt()
    assert result.exit_code == 1
    assert "broken.pops:1:7: error[E0101]" in result.stdout
    assert (project / "ugly.pops").read_text() == UGLY


def test_files_named_one_by_one_as_pre_commit_passes_them(project):
    result = _fmt("--check", "ugly.pops", "sub/fine.pops", "ugly.pops")
    assert result.exit_code == 1
    assert result.stdout == "would reformat ugly.pops\n"


def test_a_path_that_is_not_pops_is_a_usage_error(project):
    (project / "notes.txt").write_text("x")
    assert _fmt("notes.txt").exit_code == 2
    assert _fmt("missing").exit_code == 2
