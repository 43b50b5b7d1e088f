"""Prompt versions: `popsc lock` writes a deterministic `pops.lock`; `popsc check` holds
the prompts to it (E0701 changed without a bump, E0702 backwards, E0703 unreadable lock),
also through the run cache; `popsc diff REV` compares with a revision of a real,
temporary git repository."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from promptlang import driver
from promptlang import versions
from promptlang.cli import cli

MAIN = '''model fast { provider = "openai", name = "gpt-4o-mini" }

prompt summarize(text: string) -> string {
  version = "1.0.0"
  model = fast
  user "Summarize: {{ text }}"
}

prompt classify(text: string) -> string {
  version = "0.2.0"
  model = fast
  system "You classify tickets."
  user "{{ text }}"
}
'''


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nversion = "0.1.0"\n')
    (tmp_path / "main.pops").write_text(MAIN)
    return tmp_path


def _edit(project, old, new):
    path = project / "main.pops"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _codes(project, use_cache=True):
    return [d.code for d in driver.check(str(project), use_cache=use_cache).diagnostics]


def test_lock_is_written_sorted_and_deterministic(runner, project):
    """The lock holds every project prompt (no std ones), sorted, with version and hash;
    locking again changes nothing, byte for byte."""
    result = runner.invoke(cli, ["lock", str(project)])
    assert result.exit_code == 0, result.output
    assert "added main.classify 0.2.0" in result.output
    text = (project / "pops.lock").read_text()
    data = json.loads(text)
    assert data["format"] == versions.LOCK_FORMAT
    assert list(data["prompts"]) == ["main.classify", "main.summarize"]
    assert data["prompts"]["main.summarize"]["version"] == "1.0.0"
    assert len(data["prompts"]["main.summarize"]["content_hash"]) == 64
    again = runner.invoke(cli, ["lock", str(project)])
    assert again.exit_code == 0
    assert "added" not in again.output and "updated" not in again.output
    assert (project / "pops.lock").read_text() == text
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]


def test_check_passes_with_a_fresh_lock(project):
    versions.lock(str(project))
    assert _codes(project) == []


def test_content_change_without_bump_is_E0701_at_the_version_line(runner, project):
    versions.lock(str(project))
    old_hash = json.loads((project / "pops.lock").read_text())["prompts"]["main.summarize"]["content_hash"]
    _edit(project, "Summarize:", "Summarise in one line:")
    result = driver.check(str(project), use_cache=False)
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "E0701"
    source = result.sources["main.pops"]
    assert source.text[diagnostic.span.start:diagnostic.span.end] == 'version = "1.0.0"'
    assert old_hash[:12] in diagnostic.message
    assert diagnostic.help == "bump `version` and run `popsc lock`"
    refused = runner.invoke(cli, ["lock", str(project)])
    assert refused.exit_code == 1 and "E0701" in refused.output


def test_bump_passes_and_lock_updates(runner, project):
    versions.lock(str(project))
    _edit(project, "Summarize:", "Summarise:")
    _edit(project, 'version = "1.0.0"', 'version = "1.1.0"')
    assert _codes(project) == []
    result = runner.invoke(cli, ["lock", str(project)])
    assert result.exit_code == 0, result.output
    assert "updated main.summarize 1.0.0 -> 1.1.0" in result.output
    assert json.loads((project / "pops.lock").read_text())["prompts"]["main.summarize"]["version"] == "1.1.0"
    assert _codes(project) == []


def test_backwards_version_is_E0702(project):
    _edit(project, 'version = "1.0.0"', 'version = "1.10.0"')
    versions.lock(str(project))
    _edit(project, 'version = "1.10.0"', 'version = "1.9.0"')
    assert _codes(project) == ["E0702"]


def test_a_changed_lock_is_rechecked_through_the_run_cache(project):
    """The run key covers the lock's text: editing only the lock re-checks."""
    versions.lock(str(project))
    assert _codes(project) == []
    lock = project / "pops.lock"
    data = json.loads(lock.read_text())
    data["prompts"]["main.summarize"]["content_hash"] = "0" * 64
    lock.write_text(json.dumps(data))
    assert _codes(project) == ["E0701"]
    lock.unlink()
    assert _codes(project) == []


@pytest.mark.parametrize("text", ["{ not json", '{"format": 1, "prompts": []}', "[]",
                                  '{"format": 1, "prompts": {"main.summarize": {"version": "1.0.0"}}}'])
def test_invalid_lock_is_E0703_in_the_lock_and_lock_rewrites_it(runner, project, text):
    (project / "pops.lock").write_text(text)
    result = driver.check(str(project), use_cache=False)
    assert [d.code for d in result.diagnostics] == ["E0703"]
    assert result.diagnostics[0].span.file == "pops.lock"
    assert "pops.lock" in result.sources
    fixed = runner.invoke(cli, ["lock", str(project)])
    assert fixed.exit_code == 0, fixed.output
    assert _codes(project) == []


def test_version_order_is_numeric_per_part():
    key = versions.version_key
    assert key("1.9.0") < key("1.10.0") < key("2.0.0")
    assert key("1.0.0") == key("1.0.0")
    assert key("1.0.0-rc.1") < key("1.0.0-rc.2") < key("1.0.0") == key("1.0.0+build.7")
    assert key("1.0.x") > key("1.0.9")  # text parts: compared, never a crash


# ---- popsc diff ----------------------------------------------------------------------

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(project):
    _git(project, "init", "-q")
    _git(project, "config", "user.email", "t@example.com")
    _git(project, "config", "user.name", "t")
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "first")
    return project


@needs_git
def test_diff_shows_versions_templates_params_and_models(runner, repo):
    _edit(repo, 'version = "1.0.0"', 'version = "1.1.0"')
    _edit(repo, "Summarize: {{ text }}", "Summarize in {{ lang }}: {{ text }}")
    _edit(repo, "summarize(text: string)", "summarize(text: string, lang: string)")
    (repo / "extra.pops").write_text('from main import fast\n\nprompt greet(name: string) -> string {\n'
                                     '  version = "0.1.0"\n  model = fast\n  user "Hi {{ name }}"\n}\n')
    result = runner.invoke(cli, ["diff", "HEAD", str(repo)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "changed main.summarize 1.0.0 -> 1.1.0" in out
    assert "params: (text: string) -> (text: string, lang: string)" in out
    assert "-Summarize: {{ text }}" in out and "+Summarize in {{ lang }}: {{ text }}" in out
    assert "--- HEAD:main.summarize" in out
    assert "added   extra.greet 0.1.0" in out
    assert "classify" not in out

    as_json = runner.invoke(cli, ["diff", "HEAD", str(repo), "--format", "json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    changes = {p["qname"]: p for p in data["prompts"]}
    summarize = changes["main.summarize"]
    assert summarize["status"] == "changed"
    assert summarize["changes"]["version"] == {"old": "1.0.0", "new": "1.1.0"}
    assert "+Summarize in {{ lang }}" in summarize["template_diff"]
    assert changes["extra.greet"]["status"] == "added"


@needs_git
def test_diff_shows_removed_prompts_and_model_changes(runner, repo):
    main = (repo / "main.pops").read_text()
    head, _, _ = main.partition("prompt classify")
    (repo / "main.pops").write_text(head.replace('model fast {', 'model slow { provider = "openai", name = "o1" }\n'
                                                 'model fast {').replace("model = fast", "model = slow"))
    result = runner.invoke(cli, ["diff", "HEAD", str(repo), "--format", "json"])
    assert result.exit_code == 0, result.output
    changes = {p["qname"]: p for p in json.loads(result.stdout)["prompts"]}
    assert changes["main.classify"]["status"] == "removed"
    assert changes["main.summarize"]["changes"]["model"] == {"old": "main.fast", "new": "main.slow"}


@needs_git
def test_diff_with_nothing_changed(runner, repo):
    result = runner.invoke(cli, ["diff", "HEAD", str(repo)])
    assert result.exit_code == 0
    assert "no prompt changed since HEAD" in result.output


@needs_git
def test_diff_of_an_unknown_revision_exits_2(runner, repo):
    result = runner.invoke(cli, ["diff", "no-such-rev", str(repo)])
    assert result.exit_code == 2
    assert "unknown revision `no-such-rev`" in result.output


def test_diff_outside_git_exits_2(runner, project):
    result = runner.invoke(cli, ["diff", "HEAD", str(project)], env={"GIT_CEILING_DIRECTORIES": str(project.parent)})
    assert result.exit_code == 2
    assert "not a git repository" in result.output


@needs_git
def test_diff_of_a_project_in_a_folder_of_the_repository(runner, tmp_path):
    """Paths at the revision are taken relative to the project root, not the repo's."""
    sub = tmp_path / "prompts" / "proj"
    sub.mkdir(parents=True)
    (sub / "pops.toml").write_text('[project]\nname = "t"\n')
    (sub / "main.pops").write_text(MAIN)
    (tmp_path / "other.pops").write_text("this is not part of the project {")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "first")
    _edit(sub, 'version = "0.2.0"', 'version = "0.3.0"')
    result = runner.invoke(cli, ["diff", "HEAD", str(sub)])
    assert result.exit_code == 0, result.output
    assert "changed main.classify 0.2.0 -> 0.3.0" in result.output


def test_unversioned_prompt_changed_is_E0701_at_its_name(project):
    _edit(project, '  version = "1.0.0"\n', "")
    versions.lock(str(project))
    assert json.loads((project / "pops.lock").read_text())["prompts"]["main.summarize"]["version"] is None
    _edit(project, "Summarize:", "Summarise:")
    result = driver.check(str(project), use_cache=False)
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "E0701"
    assert result.sources["main.pops"].text[diagnostic.span.start:diagnostic.span.end] == "summarize"
    assert "add `version" in diagnostic.help


def test_lock_of_a_single_file_is_a_usage_error(runner, project):
    result = runner.invoke(cli, ["lock", str(project / "main.pops")])
    assert result.exit_code == 2
    assert "needs a project folder" in result.output


@needs_git
def test_diff_against_a_revision_with_errors_exits_1(runner, repo):
    (repo / "main.pops").write_text(MAIN + "prompt broken(x: Nope) -> string { model = fast\n user \"x\" }\n")
    _git(repo, "commit", "-qam", "broken")
    (repo / "main.pops").write_text(MAIN)
    result = runner.invoke(cli, ["diff", "HEAD", str(repo)])
    assert result.exit_code == 1
    assert "the project at `HEAD` has 1 error(s)" in result.output
