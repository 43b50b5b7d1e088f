"""`popsc render` and the target options of `popsc build`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from promptlang.cli import cli

PROJECT = '''\
enum Tone { warm, formal }
type Ticket {
  id: string
  body: string @max_len(200)
  tags: list<string> = []
}
model m { provider = "openai", name = "gpt-4o-mini", api_key = env("OPENAI_API_KEY") }
prompt reply(ticket: Ticket, tone: Tone = warm, note: string? @max_len(5) = null) -> string {
  model = m
  system """Answer in a {{ tone }} tone."""
  user """
    Ticket {{ ticket.id }}: {{ ticket.body | trim }}
    {% for t in ticket.tags %}#{{ t }} {% endfor %}
    {% if note %}Note: {{ note }}{% endif %}
  """
}
'''


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "demo"\nversion = "0.1.0"\n')
    (tmp_path / "main.pops").write_text(PROJECT)
    return tmp_path


def _inputs(tmp_path, data) -> str:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_render_prints_each_message(runner, project, tmp_path):
    """The messages come out under their roles, with inputs, defaults and filters applied."""
    given = _inputs(tmp_path, {"ticket": {"id": "T-1", "body": "  Broken.  ", "tags": ["a", "b"]}})
    result = runner.invoke(cli, ["render", "reply", "--input", given, "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ("--- system ---\nAnswer in a warm tone.\n\n"
                             "--- user ---\nTicket T-1: Broken.\n#a #b \n\n")


def test_render_json_format_takes_qualified_names(runner, project, tmp_path):
    """`--format json` gives the list chat APIs take; `main.reply` names the same prompt."""
    given = _inputs(tmp_path, {"ticket": {"id": "T-2", "body": "x"}, "tone": "formal",
                               "note": "VIP"})  # within @max_len(5)
    result = runner.invoke(cli, ["render", "main.reply", "--input", given, "--project",
                                 str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == "Answer in a formal tone."
    assert messages[1]["content"].endswith("Note: VIP")


@pytest.mark.parametrize("data, message", [
    ({"ticket": {"id": "T-1"}}, "input.ticket: missing field `body`"),
    ({"ticket": {"id": "T-1", "body": "x"}, "tone": "loud"}, "input.tone: expected one of"),
    ({"ticket": {"id": 7, "body": "x"}}, "input.ticket.id: expected a string"),
    ({"ticket": {"id": "T", "body": "x" * 201}}, "input.ticket: `body` has 201 characters, more than 200"),
    ("{\"ticket\": ", "in.json:1:12: not valid JSON"),
    ({"ticket": {"id": "T", "body": "x"}, "note": "too long"}, "input.note has 8 characters, more than 5"),
])
def test_render_refuses_inputs_that_do_not_fit(runner, project, tmp_path, data, message):
    """Inputs that do not fit the parameters are a usage error naming the field."""
    given = _inputs(tmp_path, data)
    result = runner.invoke(cli, ["render", "reply", "--input", given, "--project", str(project)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_render_unknown_prompt_suggests_a_name(runner, project, tmp_path):
    result = runner.invoke(cli, ["render", "replly", "--project", str(project)])
    assert result.exit_code == 2
    assert "did you mean `reply`?" in result.output


def test_render_of_a_project_with_errors_prints_them(runner, project, tmp_path):
    """A project that does not check renders nothing and exits 1 with its diagnostics."""
    (project / "main.pops").write_text(PROJECT.replace("{{ tone }}", "{{ tnoe }}"))
    given = _inputs(tmp_path, {"ticket": {"id": "T-1", "body": "x"}})
    result = runner.invoke(cli, ["render", "reply", "--input", given, "--project", str(project)])
    assert result.exit_code == 1
    assert "error[E" in result.output


def test_build_targets_from_the_command_line(runner, project, tmp_path, monkeypatch):
    """`--target python` writes the SDK; without targets in pops.toml every target this
    version builds is written; a target not built yet is named and skipped."""
    from promptlang.emit import targets

    monkeypatch.setitem(targets.TARGETS, "kubernetes", None)  # as if not built yet
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build", str(project), "--out", str(out), "--target", "python"])
    assert result.exit_code == 0, result.output
    assert (out / "python" / "demo" / "main.py").is_file()
    assert (out / "python" / "pyproject.toml").is_file()
    result = runner.invoke(cli, ["build", str(project), "--out", str(out), "--target", "kubernetes"])
    assert result.exit_code == 0, result.output
    assert "target `kubernetes` is not built" in result.output
    assert not (out / "python").exists()  # the previous build's SDK files were removed
    assert (out / "bundle.json").is_file()


def test_build_targets_from_pops_toml_and_unchanged_files(runner, project, tmp_path):
    """`[build] targets` chooses the targets; a second build rewrites nothing."""
    (project / "pops.toml").write_text('[project]\nname = "demo"\n\n[build]\ntargets = ["python"]\n')
    out = tmp_path / "out"
    first = runner.invoke(cli, ["build", str(project), "--out", str(out)])
    assert first.exit_code == 0, first.output
    module = out / "python" / "demo" / "main.py"
    stamp = module.stat().st_mtime_ns
    second = runner.invoke(cli, ["build", str(project), "--out", str(out)])
    assert second.exit_code == 0
    assert "wrote 0 files" in second.output and "unchanged" in second.output
    assert module.stat().st_mtime_ns == stamp


def test_build_rejects_an_unknown_target(runner, project):
    result = runner.invoke(cli, ["build", str(project), "--target", "cobol"])
    assert result.exit_code == 2
