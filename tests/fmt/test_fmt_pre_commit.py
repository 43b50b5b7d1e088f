"""`.pre-commit-hooks.yaml` is a manifest pre-commit accepts, and each hook's entry,
run the way pre-commit runs it, does what the hook promises."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from pre_commit.clientlib import load_manifest

from promptlang.cli import cli

MANIFEST = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
HOOKS = {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}
UGLY = 'model m { provider="openai"\n name="x" }\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nversion = "0.1.0"\n')
    (tmp_path / "main.pops").write_text(UGLY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(hook_id: str, files: list[str]):
    """The hook's entry with its args, plus the staged files unless it takes none."""
    hook = HOOKS[hook_id]
    argv = shlex.split(hook["entry"]) + list(hook["args"])
    assert argv[0] == "popsc"
    if hook["pass_filenames"]:
        argv += files
    return CliRunner().invoke(cli, argv[1:])


def test_manifest_offers_format_and_check_for_pops_files():
    assert set(HOOKS) == {"popsc-fmt", "popsc-fmt-check", "popsc-check"}
    for hook in HOOKS.values():
        assert hook["language"] == "python"
        assert re.search(hook["files"], "sub/main.pops")
        assert not re.search(hook["files"], "main.py")


def test_fmt_hook_rewrites_staged_files(project):
    assert _run("popsc-fmt", ["main.pops"]).exit_code == 0
    assert (project / "main.pops").read_text() != UGLY
    assert _run("popsc-fmt-check", ["main.pops"]).exit_code == 0


def test_fmt_check_hook_fails_without_writing(project):
    result = _run("popsc-fmt-check", ["main.pops"])
    assert result.exit_code == 1
    assert "would reformat main.pops" in result.stdout
    assert (project / "main.pops").read_text() == UGLY


def test_check_hook_checks_the_project(project):
    assert _run("popsc-check", ["main.pops"]).exit_code == 0
    (project / "main.pops").write_text("prompt p() { model = nowhere }\n")
    assert _run("popsc-check", ["main.pops"]).exit_code == 1
