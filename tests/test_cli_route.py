"""`popsc route TEXT [PATH]`: the project's router on one text, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from promptlang.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support"


def run(*args):
    result = CliRunner().invoke(cli, ["route", *map(str, args)])
    return result.exit_code, result.output


def test_a_text_an_example_matches_shows_the_intent_and_slots():
    code, out = run("refund order 123456", SUPPORT)
    lines = out.splitlines()
    assert code == 0, out
    assert lines[0] == '-> support.intents.refund_request(order_id = "123456")'
    assert lines[1].startswith('   1.00 >= 0.75  support.intents.refund_request(order_id = "123456")  (pattern')


def test_a_text_routed_nowhere_lists_the_closest_under_their_thresholds():
    code, out = run("I would like to talk about the weather", SUPPORT, "--limit", "2")
    lines = out.splitlines()
    assert code == 0 and lines[0] == "-> none"
    assert 1 <= len(lines) - 1 <= 2
    assert all(" <  0." in line for line in lines[1:])


def test_json_names_the_intent_and_the_closest():
    code, out = run("is there a java SDK", ROOT / "examples" / "docs-assistant", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["intent"] == "assistant.intents.sdk_question"
    assert data["closest"][0] == {"intent": "assistant.intents.sdk_question", "confidence": 1.0,
                                  "threshold": 0.7, "matcher": "pattern", "example": "is there a {sdk} SDK",
                                  "slots": {"sdk": "java"}, "missing": []}


def test_a_project_with_errors_routes_nothing(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "main.pops").write_text("intent a { examples = [\"hi {who}\"] }\n")
    code, out = run("hi bob", tmp_path)
    assert code == 1 and "E0401" in out and "->" not in out
