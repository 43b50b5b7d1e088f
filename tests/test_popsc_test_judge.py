"""`popsc test`'s judged and measured assertions: `rubric` through a recorded judge model
(`[test] judge`), `cost` from the price table (and `[test.prices]`), `latency` from the
recording, and the `[test]` section of pops.toml."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from promptlang import ir
from promptlang.cli import cli
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.providers.replay import ReplayProvider
from promptlang.runtime.providers.replay import write_recording
from promptlang.runtime.record import CallRecord
from promptlang.testing import assertions
from promptlang.testing import judging
from promptlang.testing import prices
from promptlang.testing import session

sys.path.insert(0, str(Path(__file__).parent / "runtime"))
from runtime_loopback import Loopback  # noqa: E402
from runtime_loopback import Reply  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support"
RECORD = CallRecord(prompt=None, inputs=None, provider="replay", model="replay", started_at=0.0,
                    latency_s=0.25, attempts=1, input_tokens=1000, output_tokens=200)
RUBRIC = "Apologises and promises no refund"


def expect(subject, op, value, line=9):
    return ir.ExpectIR(subject=subject, op=op, value=value, flags=None, line=line)


@pytest.fixture
def support(tmp_path) -> Path:
    target = tmp_path / "support"
    shutil.copytree(SUPPORT, target, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    return target


def run_cli(*args):
    result = CliRunner().invoke(cli, ["test", *map(str, args)])
    return result.exit_code, result.output


def by_title(results, title):
    return next(r for r in results if r.case.title == title)


# ---- rubric --------------------------------------------------------------------------


def test_a_recorded_verdict_passes_or_fails_with_the_judges_reason(tmp_path):
    judge = judging.Judge(tmp_path, None)
    answer = {"answer": "Sorry! A colleague will follow up."}
    folder = tmp_path / judging.FOLDER
    text = judging.answer_text(answer)
    write_recording(folder, judging.key(RUBRIC, text), json.dumps({"pass": True, "reason": "ok"}))
    context = assertions.Context(judge=judge.verdict)
    assert assertions.judge(expect("rubric", "rubric", RUBRIC), answer, RECORD,
                            context).status == "passed"
    write_recording(folder, judging.key(RUBRIC, text),
                    json.dumps({"pass": False, "reason": "it promises a refund by Friday"}))
    failed = assertions.judge(expect("rubric", "rubric", RUBRIC), answer, RECORD, context)
    assert failed.status == "failed" and failed.line == 9
    assert "it promises a refund by Friday" in failed.message and RUBRIC in failed.message


def test_a_missing_verdict_fails_asking_to_re_record(tmp_path):
    context = assertions.Context(judge=judging.Judge(tmp_path, None).verdict)
    outcome = assertions.judge(expect("rubric", "rubric", RUBRIC), "Sorry!", RECORD, context)
    assert outcome.status == "failed" and "re-record with --record" in outcome.message


def test_without_a_judge_a_rubric_is_skipped():
    outcome = assertions.judge(expect("rubric", "rubric", RUBRIC), "Sorry!", RECORD)
    assert outcome.status == "skipped"
    assert outcome.message == "rubric needs `[test] judge` in pops.toml"


def test_the_judge_is_asked_live_and_its_verdict_recorded(tmp_path, monkeypatch):
    server = Loopback()
    monkeypatch.setenv("JUDGE_KEY", "k")
    verdict = json.dumps({"pass": False, "reason": "no apology"})
    server.reply(Reply({"id": "x", "object": "chat.completion", "model": "judge",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": verdict}}],
                        "usage": {"prompt_tokens": 50, "completion_tokens": 9}}))
    model = ModelConfig(provider="openai_compatible", name="judge", base_url=f"{server.url}/v1",
                        api_key_env="JUDGE_KEY", retries=0)
    try:
        assert judging.Judge(tmp_path, model, store=True).verdict(RUBRIC, "Here.") == \
            (False, "no apology")
    finally:
        server.close()
    body = server.requests[0].body
    assert body["messages"][0] == {"role": "system", "content": judging.SYSTEM}
    assert RUBRIC in body["messages"][1]["content"] and "Here." in body["messages"][1]["content"]
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["pass", "reason"]
    stored = json.loads((tmp_path / judging.FOLDER / f"{judging.key(RUBRIC, 'Here.')}.json").read_text())
    assert stored["text"] == verdict and stored["latency_s"] > 0
    assert judging.Judge(tmp_path, None).verdict(RUBRIC, "Here.") == (False, "no apology")


def test_a_project_without_a_judge_skips_its_rubrics(support):
    toml = support / "pops.toml"
    toml.write_text(toml.read_text().replace('judge = "support.models.fast"', ""))
    ran = session.run(str(support), only="refund reply explains the process")
    rubric = next(o for o in ran.results[0].outcomes if o.op == "rubric")
    assert rubric.status == "skipped" and "[test] judge" in rubric.message


def test_a_changed_answer_needs_a_new_verdict(support):
    folder = support / "tests" / "recordings" / "support.prompts.refund_reply"
    for path in folder.glob("*.json"):
        data = json.loads(path.read_text())
        data["text"] = data["text"].replace("5 working days", "10 working days")
        path.write_text(json.dumps(data))
    code, out = run_cli(support, "--only", "refund reply explains the process")
    assert code == 1 and "no recorded verdict" in out and "re-record with --record" in out


def test_a_judge_that_is_not_a_model_is_a_usage_error(support):
    toml = support / "pops.toml"
    toml.write_text(toml.read_text().replace('"support.models.fast"', '"support.models.fsat"'))
    code, out = run_cli(support)
    assert code == 2 and "support.models.fsat" in out and "did you mean" in out
    assert "support.models.fast" in out


# ---- cost ----------------------------------------------------------------------------


def test_cost_is_tokens_times_the_list_price():
    price = prices.lookup(ModelConfig(provider="openai", name="gpt-4o-mini"))
    assert price == prices.Price(0.15, 0.6)
    context = assertions.Context(price=price, model="openai gpt-4o-mini")
    # 1000 * 0.15 / 1e6 + 200 * 0.6 / 1e6 = 0.00027
    assert assertions.judge(expect("cost", "<", 0.0003), None, RECORD, context).status == "passed"
    assert assertions.judge(expect("cost", "<=", 0.00027), None, RECORD, context).status == "passed"
    failed = assertions.judge(expect("cost", "<", 0.0002), None, RECORD, context)
    assert failed.status == "failed" and "0.00027" in failed.message


def test_an_unknown_model_skips_cost_naming_it():
    model = ModelConfig(provider="ollama", name="llama3.1:8b")
    assert prices.lookup(model) is None
    context = assertions.Context(price=None, model=model.describe())
    outcome = assertions.judge(expect("cost", "<", 0.01), None, RECORD, context)
    assert outcome.status == "skipped" and "ollama llama3.1:8b" in outcome.message


def test_azure_is_priced_by_its_model_name_and_pops_toml_overrides():
    assert prices.lookup(ModelConfig(provider="azure_openai", name="gpt-4o")) == prices.Price(2.5, 10.0)
    overrides = {"gpt-4o": {"input": 1, "output": 2}, "llama3.1:8b": {"input": 0, "output": 0}}
    assert prices.lookup(ModelConfig(provider="openai", name="gpt-4o"), overrides) == prices.Price(1, 2)
    assert prices.lookup(ModelConfig(provider="ollama", name="llama3.1:8b"), overrides) == prices.Price(0, 0)


def test_the_price_table_says_when_and_what_its_prices_are():
    table = prices.table()
    assert table["taken"] and "list prices" in table["note"].lower()
    for provider in table["models"].values():
        for price in provider.values():
            assert price["input"] > 0 and price["output"] >= price["input"]


def test_cost_in_a_project_uses_the_prompts_model_and_pops_toml_prices(support):
    title = "business customer with a question gets a direct answer"  # cost < 0.01, azure gpt-4o
    ran = session.run(str(support), only=title)
    cost = next(o for o in ran.results[0].outcomes if o.subject == "cost")
    assert cost.status == "passed"
    toml = support / "pops.toml"
    toml.write_text(toml.read_text() + '\n[test.prices."gpt-4o"]\ninput = 100\noutput = 100\n')
    ran = session.run(str(support), only=title)
    cost = next(o for o in ran.results[0].outcomes if o.subject == "cost")
    assert cost.status == "failed" and "expected < 0.01" in cost.message


# ---- latency -------------------------------------------------------------------------


def test_replay_returns_the_recorded_latency_and_old_recordings_still_load(tmp_path):
    config = ModelConfig(provider="replay", recordings=str(tmp_path))
    write_recording(tmp_path, "a", "hi", latency_s=1.25)
    write_recording(tmp_path, "b", "hi")
    assert ReplayProvider().complete(config, [], key="a").latency_s == 1.25
    assert ReplayProvider().complete(config, [], key="b").latency_s == 0.0
    assert "latency_s" not in json.loads((tmp_path / "b.json").read_text())


def _set_latency(support, prompt, latency):
    for path in (support / "tests" / "recordings" / prompt).glob("*.json"):
        data = json.loads(path.read_text())
        if latency is None:
            data.pop("latency_s", None)
        else:
            data["latency_s"] = latency
        path.write_text(json.dumps(data))


def test_latency_under_replay_is_the_recorded_one(support):
    title = "status with a tracking number"  # expect latency < 1500ms
    _set_latency(support, "support.prompts.order_status_reply", 2.5)
    result = session.run(str(support), only=title).results[0]
    latency = next(o for o in result.outcomes if o.subject == "latency")
    assert result.status == "failed" and latency.status == "failed"
    assert "actual 2.5" in latency.message
    _set_latency(support, "support.prompts.order_status_reply", 0.9)
    assert session.run(str(support), only=title).results[0].status == "passed"


def test_a_recording_without_latency_skips_the_latency_check(support):
    _set_latency(support, "support.prompts.order_status_reply", None)
    result = session.run(str(support), only="status with a tracking number").results[0]
    latency = next(o for o in result.outcomes if o.subject == "latency")
    assert latency.status == "skipped" and "re-record with --record" in latency.message


# ---- pops.toml [test] ----------------------------------------------------------------


@pytest.mark.parametrize("section,message", [
    ("[test]\njudge = 4\n", "`judge` must be a string"),
    ("[test]\njuge = \"m.fast\"\n", "did you mean `judge`?"),
    ("[test]\nprices = 3\n", "`prices` must be a table of models"),
    ('[test.prices."gpt-4o"]\ninput = 1\n', "the price of `gpt-4o` has no `output`"),
    ('[test.prices."gpt-4o"]\ninput = -1\noutput = 1\n', "`input` of `gpt-4o` must be a number"),
    ('[test.prices."gpt-4o"]\ninput = 1\noutput = 1\ncached = 1\n', "unknown key `cached`"),
])
def test_the_test_section_of_pops_toml_is_checked(tmp_path, section, message):
    (tmp_path / "pops.toml").write_text(f'[project]\nname = "x"\n\n{section}')
    (tmp_path / "main.pops").write_text("type Ticket { id: string }\n")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1 and "E0601" in result.output and message in result.output
