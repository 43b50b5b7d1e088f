"""The VS Code extension folder: its manifest points at files that exist and agree with
each other, its snippets expand to programs the compiler reads, and `extension.js`
starts `popsc lsp` with the configured executable (run under node with stand-ins for
the VS Code API, `extension_harness.cjs`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import jinja2
import pytest
from click.testing import CliRunner
from editor_sources import EXTENSION
from editor_sources import GRAMMAR
from editor_sources import ROOT

from promptlang.cli import cli
from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse

MANIFEST = json.loads((EXTENSION / "package.json").read_text("utf-8"))
CONTRIBUTES = MANIFEST["contributes"]
SNIPPETS = json.loads((EXTENSION / "snippets/pops.json").read_text("utf-8"))
HARNESS = ROOT / "tests/editors/extension_harness.cjs"


def test_manifest_contributes_the_language():
    """`.pops` files get the language, its grammar, configuration and snippets."""
    [language] = CONTRIBUTES["languages"]
    assert (language["id"], language["extensions"]) == ("pops", [".pops"])
    [grammar] = CONTRIBUTES["grammars"]
    assert grammar["language"] == "pops"
    scope = json.loads(GRAMMAR.read_text("utf-8"))["scopeName"]
    assert scope == grammar["scopeName"] == "source.pops"
    assert (EXTENSION / grammar["path"]).resolve() == GRAMMAR
    assert (EXTENSION / language["configuration"]).is_file()
    snippets = [(s["language"], (EXTENSION / s["path"]).is_file()) for s in CONTRIBUTES["snippets"]]
    assert snippets == [("pops", True)]
    assert (EXTENSION / MANIFEST["main"]).is_file()


def test_manifest_settings_and_client_dependency():
    """The server path setting defaults to `popsc`; the client library is pinned, and
    the VS Code engine range is one that client version supports (^1.82)."""
    properties = CONTRIBUTES["configuration"]["properties"]
    assert properties["promptlang.server.path"]["default"] == "popsc"
    assert properties["promptlang.trace.server"]["enum"] == ["off", "messages", "verbose"]
    assert MANIFEST["dependencies"] == {"vscode-languageclient": "9.0.1"}
    assert MANIFEST["engines"]["vscode"] == "^1.82.0"


def test_language_configuration_matches_the_language():
    """Comment toggling uses the language's comments; brackets are its brackets; the
    folding markers are `// region` / `// endregion`."""
    config = json.loads((EXTENSION / "language-configuration.json").read_text("utf-8"))
    assert config["comments"] == {"lineComment": "//", "blockComment": ["/*", "*/"]}
    assert config["brackets"] == [["{", "}"], ["[", "]"], ["(", ")"]]
    start = re.compile(config["folding"]["markers"]["start"])
    end = re.compile(config["folding"]["markers"]["end"])
    assert start.match("  // region models") and start.match("// #region")
    assert end.match("  // endregion") and not start.match("  // endregion")
    increase = re.compile(config["indentationRules"]["increaseIndentPattern"])
    assert increase.match("prompt p(x: string) {") and increase.match('  system """')
    assert not increase.match('  system """ one line """')


def test_server_command_exists():
    """What the extension runs, `popsc lsp`, is a command of this popsc."""
    result = CliRunner().invoke(cli, ["lsp", "--help"])
    assert result.exit_code == 0, result.output


def _run_extension(server_path, failing=""):
    if not shutil.which("node"):
        pytest.skip("node is not installed")
    result = subprocess.run(
        ["node", str(HARNESS), str(EXTENSION / "extension.js"), server_path, failing],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return json.loads(result.stdout)


def test_extension_starts_popsc_lsp_and_restarts_on_a_new_path():
    """Activation starts `<promptlang.server.path> lsp` over stdio for `pops` documents;
    changing the setting or running the restart command stops and starts it again."""
    run = _run_extension("popsc")
    clients = [entry[1] for entry in run["record"] if entry[0] == "client"]
    assert [c["server"] for c in clients] == [
        {"command": "popsc", "args": ["lsp"], "transport": 0},
        {"command": "/opt/venv/bin/popsc", "args": ["lsp"], "transport": 0},
        {"command": "/opt/venv/bin/popsc", "args": ["lsp"], "transport": 0},
    ]
    assert {json.dumps(c["selector"]) for c in clients} == {'[{"language": "pops"}]'}
    assert clients[0]["watch"] == "**/{*.pops,pops.toml}"
    steps = [entry[0] for entry in run["record"] if entry[0] != "client"]
    assert steps == ["start", "-- setting changed", "stop", "start", "-- restart command",
                     "stop", "start", "-- deactivate", "stop"]
    assert run["commands"] == ["promptlang.restartServer"]


def test_extension_says_how_to_fix_a_missing_server():
    """A server that cannot start is a message naming the setting, not a silent failure."""
    run = _run_extension("no-such-popsc", failing="no-such-popsc")
    [(_, message)] = [entry for entry in run["record"] if entry[0] == "error"]
    assert "`no-such-popsc lsp`" in message and "promptlang.server.path" in message


def expand(body, start=0, nested=False):
    """A VS Code snippet body with every placeholder at its default (first choice)."""
    out, i = [], start
    while i < len(body):
        if body[i] == "\\" and body[i + 1 : i + 2] in ("$", "}", "\\"):
            out.append(body[i + 1])
            i += 2
        elif m := re.match(r"\$\{\d+\|([^|,]*)[^|]*\|\}", body[i:]):
            out.append(m.group(1))
            i += m.end()
        elif m := re.match(r"\$\{\d+:", body[i:]):
            text, i = expand(body, i + m.end(), nested=True)
            out.append(text)
        elif m := re.match(r"\$\d+|\$\{\d+\}", body[i:]):
            i += m.end()
        elif body[i] == "}" and nested:
            return "".join(out), i + 1
        else:
            out.append(body[i])
            i += 1
    return "".join(out), i


def test_snippet_expansion():
    assert expand("a ${1:x ${2:y} \\} z} ${3|p,q|} $0 \\$")[0] == "a x y } z p  $"


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_is_valid_pops(name):
    """Inserted with its defaults, a snippet is a program the parser accepts; the Jinja
    ones are template text Jinja parses."""
    snippet = SNIPPETS[name]
    assert snippet["description"] and snippet["prefix"]
    text, _ = expand("\n".join(snippet["body"]))
    if name.startswith("jinja"):
        jinja2.Environment().parse(text)
        return
    sink = Sink()
    parse(SourceFile(f"{name}.pops", text + "\n"), sink)
    assert [d.message for d in sink.sorted()] == [], text
