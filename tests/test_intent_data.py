"""The labelled intent data set (bench/intents/utterances.jsonl) and the benchmark that
scores the router on it (bench/intent_router.py): the data is well-formed and labels
only what the project declares, the project checks clean, the scoring counts what it
says, and the router reaches the issue's accuracy goal on the data."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from promptlang import driver
from promptlang.lower import lower

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "intents" / "utterances.jsonl"
PROJECT = REPO / "bench" / "intents" / "project"


def _bench():
    """bench/ is scripts, not a package: load bench/intent_router.py by path."""
    name = "bench_intent_router"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "intent_router.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def program():
    """The project, checked (without its cache) and lowered to IR."""
    result = driver.check(str(PROJECT), use_cache=False, need_program=True)
    assert [d.code for d in result.diagnostics] == []
    return lower(result.program, driver._project_info(result.project))


@pytest.fixture(scope="module")
def cases():
    return _bench().load_cases(DATA)


@pytest.fixture(scope="module")
def intents(program):
    return {i.name: i for i in program.intents}


# ---- the data set ---------------------------------------------------------------------------

def test_every_line_is_one_labelled_utterance():
    lines = DATA.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        case = json.loads(line)
        assert set(case) == {"text", "intent", "slots"}, number
        assert isinstance(case["text"], str) and case["text"].strip(), number
        assert case["intent"] is None or isinstance(case["intent"], str), number
        assert isinstance(case["slots"], dict), number
        if case["intent"] is None:
            assert case["slots"] == {}, f"line {number}: a negative has no slots"


def test_the_set_is_as_large_and_varied_as_the_issue_asks(cases):
    by_intent: dict[str | None, int] = {}
    for case in cases:
        by_intent[case["intent"]] = by_intent.get(case["intent"], 0) + 1
    negatives = by_intent.pop(None, 0)
    assert len(cases) >= 240
    assert len(by_intent) >= 10
    assert min(by_intent.values()) >= 15, by_intent
    assert negatives >= 40


def test_no_text_appears_twice(cases):
    texts = [_normal(c["text"]) for c in cases]
    assert len(texts) == len(set(texts)), [t for t in texts if texts.count(t) > 1]


def test_the_project_checks_clean_with_twelve_routed_intents(intents):
    assert len(intents) == 12
    assert all(i.route_prompt and len(i.examples) >= 4 for i in intents.values())


def test_labels_name_the_projects_intents_and_slots(cases, intents):
    for case in cases:
        if case["intent"] is None:
            continue
        assert case["intent"] in intents, case
        declared = {s.name for s in intents[case["intent"]].slots}
        assert set(case["slots"]) <= declared, case


def test_slot_values_fit_the_slots_types(cases, intents, program):
    members = {e.qname: e.members for e in program.enums}
    for case in cases:
        if case["intent"] is None:
            continue
        slots = {s.name: s for s in intents[case["intent"]].slots}
        for name, value in case["slots"].items():
            assert _fits(slots[name], value, members), (case, name)


def test_no_utterance_is_an_example_of_its_intent(cases, intents):
    """The set measures paraphrases: an example, even with its slots filled, is not one."""
    for case in cases:
        if case["intent"] is None:
            continue
        for example in intents[case["intent"]].examples:
            filled = _filled(example, case["slots"])
            assert _normal(filled) != _normal(case["text"]), (case["text"], example)


def _filled(example: str, slots: dict) -> str:
    """The example with each `{slot}` the case labels replaced by its value."""
    return re.sub(r"\{(\w+)\}", lambda m: str(slots.get(m[1], m[0])), example)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[\w{}@.]+", text.lower()))


def _fits(slot, value, members) -> bool:
    kind = slot.type.kind
    if kind == "enum":
        return value in members[slot.type.name]
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and \
            (slot.minimum is None or value >= slot.minimum) and \
            (slot.maximum is None or value <= slot.maximum)
    if kind == "string":
        return isinstance(value, str) and (slot.pattern is None or re.search(slot.pattern, value))
    return False


# ---- the benchmark's scoring --------------------------------------------------------------------

class _Match:
    def __init__(self, name, slots, confidence=1.0, matcher="pattern"):
        self.name, self.slots, self.confidence, self.matcher = name, slots, confidence, matcher


def test_scoring_a_router_that_answers_every_label_gives_one(cases):
    labels = {c["text"]: c for c in cases}

    def perfect(text):
        case = labels[text]
        return _Match(case["intent"], case["slots"]) if case["intent"] else None

    scores = _bench().evaluate(perfect, cases)
    assert (scores["accuracy"], scores["negative_precision"], scores["precision"],
            scores["recall"]) == (1.0, 1.0, 1.0, 1.0)
    assert scores["misses"] == []


def test_scoring_counts_a_wrong_slot_and_a_matched_negative_as_misses():
    cases = [{"text": "a", "intent": "x", "slots": {"n": 1}},
             {"text": "b", "intent": None, "slots": {}},
             {"text": "c", "intent": "y", "slots": {}}]
    answers = {"a": _Match("x", {"n": 2, "unread": None}), "b": _Match("x", {}, 0.7, "lexical"),
               "c": None}
    scores = _bench().evaluate(answers.get, cases)
    assert scores["accuracy"] == 0.0
    assert scores["intent_accuracy"] == pytest.approx(1 / 3)
    assert scores["negative_precision"] == 0.0
    assert scores["precision"] == 0.5 and scores["recall"] == 0.5
    assert [m["text"] for m in scores["misses"]] == ["a", "b", "c"]
    assert scores["matchers"] == {"lexical": 1, "none": 1, "pattern": 1}
    assert scores["per_intent"] == {"none": (0, 1), "x": (0, 1), "y": (0, 1)}


def test_the_speed_project_has_a_hundred_intents_and_checks_clean(tmp_path):
    added = _bench().synthetic_project(tmp_path / "p", 100)
    result = driver.check(str(tmp_path / "p"), use_cache=False, need_program=True)
    assert added == 88
    assert [d.code for d in result.diagnostics] == []
    assert len(lower(result.program, driver._project_info(result.project)).intents) == 100


def test_the_benchmark_runs_and_reports_every_number(capsys):
    """A smoke run at a small size; no timing is asserted."""
    data = _bench().run(repeat=1, min_time=0.01, intents=16)
    out = capsys.readouterr().out
    assert data["speed"]["intents"] == 16 and data["speed"]["matches_per_s"] > 0
    assert data["accuracy"]["cases"] == len(_bench().load_cases())
    for words in ("accuracy (intent and slots)", "precision on negatives", "recall",
                  "misses (", "matches/s", "baseline", "ratio"):
        assert words in out, words


# ---- the goal ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("intent-sdk")
    return _bench().build_package(PROJECT, out)


@pytest.mark.xfail(strict=True, reason="the model-free router scored 0.458 on the set when it "
                   "was written, 0.710 at commit 2129823 (bench/README.md, Intent router); "
                   "strict, so reaching the goal fails this marker and it must be removed")
def test_the_router_reaches_the_accuracy_goal_on_the_set(package, cases):
    scores = _bench().evaluate(package.route, cases)
    assert scores["accuracy"] >= _bench().GOAL_ACCURACY, scores["misses"]
