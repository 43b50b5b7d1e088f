"""`popsc test`: assertions (each op passing and failing), replay from the project's
recordings, stale recordings, `--record` against a loopback OpenAI-format server,
sharding, the JSON (validated by its schema), JUnit and GitHub outputs, exit codes,
and the examples passing offline with their committed recordings."""

from __future__ import annotations

import json
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from enum import Enum
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from promptlang import ir
from promptlang.cli import cli
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.record import CallRecord
from promptlang.testing import assertions
from promptlang.testing import recordings
from promptlang.testing import runner
from promptlang.testing import session

sys.path.insert(0, str(Path(__file__).parent / "runtime"))
from runtime_loopback import Loopback  # noqa: E402
from runtime_loopback import Reply  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support"
SCHEMA = json.loads((ROOT / "promptlang" / "testing" / "results.schema.json").read_text())


# ---- assertions ------------------------------------------------------------------------


class Color(Enum):
    RED = "red"
    BLUE = "blue"


RECORD = CallRecord(prompt=None, inputs=None, provider="replay", model="m", started_at=0.0,
                    latency_s=0.25, attempts=1, input_tokens=100, output_tokens=20)
OUTPUT = {"answer": "Please return it within 30 days.", "n": 3, "color": Color.RED,
          "tags": ["cli", "bug"], "ok": True, "inner": {"x": 1.5}}


def verdict(subject, op, value=None, flags=None, output=OUTPUT):
    return assertions.judge(ir.ExpectIR(subject=subject, op=op, value=value, flags=flags, line=7), output, RECORD)


@pytest.mark.parametrize("subject,op,good,bad", [
    ("output.n", "==", 3, 4),
    ("output.n", "!=", 4, 3),
    ("output.n", "<", 4, 3),
    ("output.n", "<=", 3, 2),
    ("output.n", ">", 2, 3),
    ("output.n", ">=", 3, 4),
    ("output.inner.x", "==", 1.5, 2),
    ("output.color", "==", "red", "blue"),
    ("output.color", "!=", "blue", "red"),
    ("output.answer", "contains", "30 days", "refund"),
    ("output.answer", "not_contains", "refund", "30 days"),
    ("output.tags", "contains", "cli", "docs"),
    ("output.tags", "==", ["cli", "bug"], []),
    ("output.answer", "matches", "RETURN", "IBAN"),
    ("output.answer", "not_matches", "IBAN", "RETURN"),
    ("latency", "<", 1.0, 0.1),
    ("tokens", "<", 200, 120),
    ("tokens", "==", 120, 119),
    ("output.color", "in", ["red", "blue"], ["blue"]),
    ("output.color", "not_in", ["blue"], ["red"]),
])
def test_each_assertion_passes_and_fails(subject, op, good, bad):
    flags = "i" if "matches" in op else None
    assert verdict(subject, op, good, flags).status == "passed"
    failed = verdict(subject, op, bad, flags)
    assert failed.status == "failed"
    assert "expected" in failed.message and "actual" in failed.message and failed.line == 7


def test_truthy_and_a_missing_field():
    assert verdict("output.ok", "truthy").status == "passed"
    assert verdict("output.ok", "truthy", output={"ok": False}).status == "failed"
    missing = verdict("output.nope", "==", 1)
    assert missing.status == "failed" and "no value" in missing.message


def test_an_ordering_on_text_fails_instead_of_raising():
    assert verdict("output.answer", "<", 3).status == "failed"


def test_matches_is_case_sensitive_without_the_flag():
    assert verdict("output.answer", "matches", "RETURN").status == "failed"


@pytest.mark.parametrize("subject,op,word", [
    ("cost", "<", "no price for model m"),
    ("rubric", "rubric", "`[test] judge` in pops.toml")])
def test_what_cannot_be_measured_is_skipped_with_a_reason(subject, op, word):
    result = verdict(subject, op, 0.01 if subject == "cost" else "text")
    assert result.status == "skipped" and word in result.message


# ---- running a project -----------------------------------------------------------------


@pytest.fixture
def support(tmp_path) -> Path:
    """A copy of the support example, recordings included, that a test may change."""
    target = tmp_path / "support"
    shutil.copytree(SUPPORT, target, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    return target


def run_cli(*args):
    result = CliRunner().invoke(cli, ["test", *map(str, args)])
    return result.exit_code, result.output


def test_the_examples_pass_offline_with_their_recordings():
    for example in ("support", "docs-assistant"):
        code, out = run_cli(ROOT / "examples" / example)
        assert code == 0, out
        assert " 0 failed" in out.splitlines()[-1]


def test_replay_runs_the_typed_output_and_the_intent_cases_through_the_router(support):
    ran = session.run(str(support))
    by_title = {r.case.title: r for r in ran.results}
    german = by_title["German message"]
    assert german.status == "passed" and german.outcomes[0].status == "passed"
    intents = [r for r in ran.results if r.case.intent is not None]
    assert len(intents) == 7
    assert all(r.status == "passed" for r in intents), [(r.case.title, r.message) for r in intents]


@pytest.mark.parametrize(("line", "wrong", "message"), [
    ('-> refund_request(order_id = "123456")', '-> order_status(order_id = "123456")',
     "routed to support.intents.refund_request at 1.00 (pattern), expected support.intents.order_status"),
    ('-> refund_request(order_id = "123456")', '-> refund_request(order_id = "654321")',
     "routed to support.intents.refund_request, but order_id = '123456', expected '654321'"),
    ("-> none", "-> talk_to_human",
     "routed to none (closest: support.intents.talk_to_human at 0.23, threshold 0.70), "
     "expected support.intents.talk_to_human"),
])
def test_an_intent_case_that_routes_elsewhere_fails_at_its_line(support, line, wrong, message):
    tests = support / "support" / "tests.pops"
    text = tests.read_text()
    assert line in text
    tests.write_text(text.replace(line, wrong))
    code, out = run_cli(support, "--only", "intents")
    assert code == 1, out
    assert out.splitlines()[-1] == "6 passed, 1 failed"
    failure = out.split("FAILED", 1)[1]
    assert re.search(r"tests\.pops:2[01][0-9]: ", failure) and message in failure, out


def test_a_failed_assertion_shows_expected_actual_and_the_expect_line(support):
    tests = support / "support" / "tests.pops"
    tests.write_text(tests.read_text().replace("expect output == de", "expect output == fr"))
    code, out = run_cli(support, "--only", "German message")
    assert code == 1
    assert "tests.pops:188" in out and 'expected == "fr", actual "de"' in out
    assert out.splitlines()[-1] == "0 passed, 1 failed"


def test_a_changed_prompt_makes_its_recording_stale(support):
    prompts = support / "support" / "prompts.pops"
    prompts.write_text(prompts.read_text().replace(
        "return the language of most of its words.", "return the language of most words."))
    code, out = run_cli(support, "--only", "German message")
    assert code == 1
    assert recordings.STALE in out and "other prompt versions" in out


def test_a_missing_recording_fails(support):
    shutil.rmtree(support / "tests" / "recordings" / "support.prompts.detect_language")
    ran = session.run(str(support), only="German message")
    assert [r.status for r in ran.results] == ["failed"]
    assert ran.results[0].message == recordings.STALE


def test_record_calls_the_live_model_and_replay_then_uses_the_answer(support, monkeypatch):
    shutil.rmtree(support / "tests" / "recordings")
    server = Loopback()
    monkeypatch.setenv("TEST_OPENAI_KEY", "sk-test")
    server.reply(Reply({"choices": [{"index": 0, "finish_reason": "stop", "message": {
        "role": "assistant", "content": '{"value": "de"}'}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 3}}))
    model = ModelConfig(provider="openai", name="gpt-4o-mini", base_url=f"{server.url}/v1",
                        api_key_env="TEST_OPENAI_KEY", retries=0)
    try:
        ran = session.run(str(support), mode=runner.Mode.RECORD, only="German message",
                          live_model=model)
    finally:
        server.close()
    assert [r.status for r in ran.results] == ["passed"]
    assert len(server.requests) == 1 and server.requests[0].path == "/v1/chat/completions"
    files = list((support / "tests" / "recordings" / "support.prompts.detect_language").glob("*.json"))
    assert len(files) == 1
    stored = json.loads(files[0].read_text())
    latency = stored.pop("latency_s")
    assert 0 < latency < 10
    assert stored == {"text": '{"value": "de"}', "input_tokens": 40, "output_tokens": 3}
    replayed = session.run(str(support), only="German message")
    assert [r.status for r in replayed.results] == ["passed"]


def test_sharding_puts_every_test_in_exactly_one_shard():
    everything = [r.case.ident for r in session.run(str(SUPPORT)).results]
    shards = [[r.case.ident for r in session.run(str(SUPPORT), shard=(i, 3)).results]
              for i in (1, 2, 3)]
    assert sorted(sum(shards, [])) == sorted(everything)
    assert all(shards), "with 19 cases every shard of 3 has some"
    code, out = run_cli(SUPPORT, "--shard", "2/3")
    assert code == 0 and len(shards[1]) == sum(
        int(n) for n in out.splitlines()[-1].replace(",", "").split()[::2])


@pytest.mark.parametrize("args", [["--shard", "0/3"], ["--shard", "x"], ["--record", "--live"],
                                  ["--format", "xml"], ["--concurrency", "0"]])
def test_usage_mistakes_exit_2(args):
    assert run_cli(SUPPORT, *args)[0] == 2


def test_a_project_with_errors_exits_1(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "broken"\n')
    (tmp_path / "a.pops").write_text("prompt oops(\n")
    assert run_cli(tmp_path)[0] == 1


def test_json_output_follows_its_schema(support, tmp_path):
    tests = support / "support" / "tests.pops"
    tests.write_text(tests.read_text().replace("expect output == de", "expect output == fr"))
    out = tmp_path / "results.json"
    code, _ = run_cli(support, "--json", out)
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA)
    assert code == 1 and data["format"] == "popsc-test-results/1"
    assert data["summary"] == {"passed": 18, "failed": 1, "skipped": 0, "total": 19}
    german = next(t for t in data["tests"] if t["title"] == "German message")
    assert german["status"] == "failed" and german["assertions"][0]["line"] == 188


def test_junit_counts_match(support, tmp_path):
    tests = support / "support" / "tests.pops"
    tests.write_text(tests.read_text().replace("expect output == de", "expect output == fr"))
    out = tmp_path / "junit.xml"
    run_cli(support, "--junit", out)
    suite = ET.parse(out).getroot()
    cases = suite.findall("testcase")
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(cases) == 19
    assert int(suite.get("failures")) == len([c for c in cases if c.find("failure") is not None]) == 1
    assert int(suite.get("skipped")) == len([c for c in cases if c.find("skipped") is not None]) == 0


def test_github_format_annotates_failures(support):
    tests = support / "support" / "tests.pops"
    tests.write_text(tests.read_text().replace("expect output == de", "expect output == fr"))
    code, out = run_cli(support, "--format", "github", "--only", "German")
    errors = [line for line in out.splitlines() if line.startswith("::error ")]
    assert code == 1 and len(errors) == 1
    assert "tests.pops,line=188::German message: output == " in errors[0]


def test_only_selects_by_glob_or_substring():
    found = runner.cases(_program(SUPPORT))
    assert len(runner.select(found, "*triage*")) == 2
    assert len(runner.select(found, "german")) == 1
    assert runner.select(found, "support.prompts.detect_language") == runner.select(found, "*detect_language")


def _program(path):
    from promptlang import driver
    from promptlang.lower import lower
    result = driver.check(str(path), need_program=True)
    return lower(result.program, driver._project_info(result.project))
