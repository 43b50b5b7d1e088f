"""The `popsc` command: exit codes, formats, init, explain, and no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from promptlang import __version__
from promptlang.cli import cli

BAD = 'type T { a: string }\nprompt p(t: T) {\n  model = m\n  user """{{ t.b }}"""\n}\nmodel m { provider = "openai"\n name = "x" }\n'


@pytest.fixture
def runner():
    return CliRunner()


def _project(tmp_path, text):
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nversion = "0.1.0"\n')
    (tmp_path / "main.pops").write_text(text)
    return tmp_path


def test_version(runner):
    """`popsc --version` prints the version and exits 0."""
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"popsc {__version__}"


def test_init_writes_a_project_that_checks_cleanly(runner, tmp_path):
    """`popsc init` creates pops.toml, a module and .gitignore; `check` accepts them."""
    target = tmp_path / "new"
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in target.iterdir()} == {"pops.toml", ".gitignore", "prompts.pops"}
    checked = runner.invoke(cli, ["check", str(target), "--format", "json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout) == []


def test_init_refuses_to_overwrite(runner, tmp_path):
    """A second `init` in the same folder is a usage error (exit 2)."""
    runner.invoke(cli, ["init", str(tmp_path)])
    assert runner.invoke(cli, ["init", str(tmp_path)]).exit_code == 2


def test_check_errors_exit_1_with_the_diagnostic(runner, tmp_path):
    """A program with an error exits 1 and prints `file:line:col: error[CODE]`."""
    result = runner.invoke(cli, ["check", str(_project(tmp_path, BAD)), "--format", "concise"])
    assert result.exit_code == 1
    assert "main.pops:4:16: error[E0204]" in result.stdout


def test_check_formats(runner, tmp_path):
    """Every --format renders the same diagnostic."""
    root = str(_project(tmp_path, BAD))
    as_json = json.loads(runner.invoke(cli, ["check", root, "--format", "json"]).stdout)
    assert [d["code"] for d in as_json] == ["E0204"]
    sarif = json.loads(runner.invoke(cli, ["check", root, "--format", "sarif"]).stdout)
    assert sarif["version"] == "2.1.0"
    github = runner.invoke(cli, ["check", root, "--format", "github"]).stdout
    assert github.startswith("::error file=main.pops,line=4")


def test_missing_path_is_a_usage_error(runner, tmp_path):
    """A PATH that does not exist exits 2."""
    assert runner.invoke(cli, ["check", str(tmp_path / "nope")]).exit_code == 2


def test_folder_without_project_is_a_usage_error(runner, tmp_path):
    """A folder with no pops.toml exits 2."""
    assert runner.invoke(cli, ["check", str(tmp_path)]).exit_code == 2


def test_single_file_check(runner, tmp_path):
    """A lone .pops file is checked on its own."""
    path = tmp_path / "one.pops"
    path.write_text(BAD)
    result = runner.invoke(cli, ["check", str(path), "--format", "concise"])
    assert result.exit_code == 1
    assert "one.pops:4:16: error[E0204]" in result.stdout


def test_explain(runner):
    """`popsc explain` prints the long explanation; an unknown code exits 2."""
    result = runner.invoke(cli, ["explain", "e0204"])
    assert result.exit_code == 0
    assert "E0204" in result.output
    assert runner.invoke(cli, ["explain", "E9999"]).exit_code == 2


def test_internal_error_is_reported_as_a_bug(runner, tmp_path, monkeypatch):
    """An exception inside popsc prints one line asking for a report and exits 3."""
    from promptlang import driver

    def boom(*args, **kwargs):
        raise RuntimeError("simulated")

    monkeypatch.setattr(driver, "check", boom)
    result = runner.invoke(cli, ["check", str(_project(tmp_path, BAD))])
    assert result.exit_code == 3
    assert "internal error" in result.output and "bug" in result.output
    assert "Traceback" not in result.output


def test_real_process_has_no_traceback(tmp_path):
    """Run as a real process: the installed entry point works and prints no traceback."""
    root = _project(tmp_path, "prompt {{{")
    proc = subprocess.run([sys.executable, "-m", "promptlang", "check", str(root)],
                          capture_output=True, text=True, env={"NO_COLOR": "1", "PATH": ""})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "error[E01" in proc.stdout


def test_build_writes_the_bundle_or_nothing(runner, tmp_path):
    """`popsc build` exits 0 and writes under --out; with errors it exits 1 and writes nothing."""
    good = tmp_path / "good"
    runner.invoke(cli, ["init", str(good)])
    result = runner.invoke(cli, ["build", str(good), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "bundle.json").is_file()
    bad = _project(tmp_path / "bad_parent", BAD) if (tmp_path / "bad_parent").mkdir() is None else None
    failed = runner.invoke(cli, ["build", str(bad), "--out", str(tmp_path / "out2")])
    assert failed.exit_code == 1
    assert not (tmp_path / "out2").exists()
