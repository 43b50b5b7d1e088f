"""Judging one `expect` line against a call's answer and its record.

Outputs are compared as plain JSON data (records as objects, enum members as their
values), which is how the `.pops` source writes expected values. `rubric` asks the
judge (`Context.judge`), `cost` prices the call's tokens (`Context.price`), `similar_to`
compares sentence embeddings (`similarity`). What cannot be measured (`similar_to`
without the `similarity` extra, `rubric` without a judge, `cost` of a
model without a price, `latency` of a recording without one) is reported as skipped
with the reason: never as passed."""

from __future__ import annotations

import json
import operator
import re
import typing as t

import attrs

from promptlang import ir
from promptlang.runtime.convert import to_plain
from promptlang.runtime.policy import regex_flags
from promptlang.runtime.record import CallRecord
from promptlang.testing import similarity

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

NO_JUDGE = "rubric needs `[test] judge` in pops.toml"

_COMPARE: dict[str, t.Callable[[t.Any, t.Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_ORDERED = ("<", "<=", ">", ">=")
_MISSING = object()


@attrs.frozen
class Outcome:
    """One assertion's verdict; `message` says expected vs actual or why it was skipped."""

    subject: str
    op: str
    line: int
    status: str
    message: str = ""


@attrs.frozen
class Context:
    """What some assertions need beyond the answer and its record: `judge(rubric,
    output)` gives (passed, reason), passed None when there is no verdict; `price` is the
    priced model's (None: `model`, as the skip reason names it, has none); `latency_skip`
    says why the call's latency is unknown (a recording made without it)."""

    judge: t.Callable[[str, object], tuple[bool | None, str]] | None = None
    price: t.Any = None
    model: str = ""
    latency_skip: str = ""


def show(value: object) -> str:
    """A value as the report shows it (JSON, short)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def describe(expect: ir.ExpectIR) -> str:
    """The expect line, roughly as written: `output.answer contains "refund"`."""
    op = expect.op.replace("_", " ")
    if expect.op in ("matches", "not_matches"):
        return f"{expect.subject} {op} /{expect.value}/{expect.flags or ''}"
    if expect.op == "rubric":
        return f"rubric {show(expect.value)}"
    return f"{expect.subject} {op} {show(expect.value)}"


def judge(expect: ir.ExpectIR, output: object, record: CallRecord | None,
          context: Context = Context()) -> Outcome:
    """The verdict of `expect` on the prompt's (typed) `output` and its call record."""

    def outcome(status: str, message: str = "") -> Outcome:
        return Outcome(expect.subject, expect.op, expect.line, status, message)

    if expect.op == "rubric":
        if context.judge is None:
            return outcome(SKIPPED, NO_JUDGE)
        passed, why = context.judge(str(expect.value), output)
        if passed is None:
            return outcome(FAILED, f"{describe(expect)}: {why}")
        return outcome(PASSED) if passed else outcome(FAILED, f"{describe(expect)}: the judge "
                                                              f"says it fails: {why}")
    if expect.op == "similar_to":
        return _similar(expect, output, outcome)
    if expect.subject == "cost" and record is not None:
        if context.price is None:
            return outcome(SKIPPED, f"cost: no price for model {context.model or record.model} "
                                    f"(add it under [test.prices] in pops.toml)")
        actual = context.price.cost(record.input_tokens, record.output_tokens)
    elif expect.subject == "latency" and context.latency_skip:
        return outcome(SKIPPED, context.latency_skip)
    else:
        actual = _subject(expect.subject, to_plain(output), record)
    if actual is _MISSING:
        return outcome(FAILED, f"{describe(expect)}: `{expect.subject}` has no value")
    try:
        ok = _holds(expect, actual)
    except TypeError:
        ok = False
    if ok:
        return outcome(PASSED)
    if expect.subject == "cost":
        actual = round(actual, 8)
    return outcome(FAILED, f"{describe(expect)}: expected {expect.op.replace('_', ' ')} "
                           f"{show(expect.value)}, actual {show(actual)}")


def _similar(expect: ir.ExpectIR, output: object,
             outcome: t.Callable[..., Outcome]) -> Outcome:
    """`subject similar_to "reference" >= threshold`: the cosine of the two texts'
    sentence embeddings (`similarity`), skipped when the model is not installed."""
    if similarity.load() is None:
        return outcome(SKIPPED, similarity.UNAVAILABLE)
    actual = _subject(expect.subject, to_plain(output), None)
    if actual is _MISSING:
        return outcome(FAILED, f"{describe(expect)}: `{expect.subject}` has no value")
    if not isinstance(actual, str):
        return outcome(FAILED, f"{describe(expect)}: `{expect.subject}` is not text, "
                               f"actual {show(actual)}")
    threshold = expect.threshold if expect.threshold is not None else 0.0
    got = similarity.score(actual, str(expect.value))
    assert got is not None
    strict = expect.flags == ">"  # `similar_to "..." > 0.7`; `>=` otherwise
    if got > threshold or (got == threshold and not strict):
        return outcome(PASSED)
    return outcome(FAILED, f"{describe(expect)}: similarity {got:.3f} is not "
                           f"{'above' if strict else 'at least'} the threshold {threshold:g}, "
                           f"actual {show(actual)}")


def _subject(subject: str, output: object, record: CallRecord | None) -> object:
    if subject == "latency":
        return record.latency_s if record else _MISSING
    if subject == "tokens":
        return record.input_tokens + record.output_tokens if record else _MISSING
    parts = subject.split(".")
    if parts[0] != "output":
        return _MISSING
    value = output
    for part in parts[1:]:
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _holds(expect: ir.ExpectIR, actual: object) -> bool:
    op, expected = expect.op, expect.value
    if op in _COMPARE:
        if op in _ORDERED and (isinstance(actual, bool) or not isinstance(actual, (int, float))):
            return False
        return _COMPARE[op](actual, expected)
    if op in ("contains", "not_contains"):
        if isinstance(actual, str):
            found = isinstance(expected, str) and expected in actual
        elif isinstance(actual, list):
            found = expected in actual
        else:
            return False
        return found if op == "contains" else not found
    if op in ("matches", "not_matches"):
        if not isinstance(actual, str):
            return False
        found = re.search(expected, actual, regex_flags(expect.flags or "")) is not None
        return found if op == "matches" else not found
    if op in ("in", "not_in"):
        found = isinstance(expected, list) and actual in expected
        return found if op == "in" else not found
    if op == "truthy":
        return bool(actual)
    raise TypeError(f"unknown operator {op}")
