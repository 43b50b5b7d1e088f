"""Judging one `expect` line against a call's answer and its record.

Outputs are compared as plain JSON data (records as objects, enum members as their
values), which is how the `.pops` source writes expected values. What this version
cannot measure (cost without a price table, `similar_to` without embeddings, `rubric`
without a judge model) is reported as skipped with the reason: never as passed."""

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

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

SKIP_REASONS = {
    "cost": "cost needs a price table: not available in this version",
    "similar_to": "similar_to needs sentence embeddings: not available in this version",
    "rubric": "rubric needs a judge model: not available in this version",
}

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


def judge(expect: ir.ExpectIR, output: object, record: CallRecord | None) -> Outcome:
    """The verdict of `expect` on the prompt's (typed) `output` and its call record."""

    def outcome(status: str, message: str = "") -> Outcome:
        return Outcome(expect.subject, expect.op, expect.line, status, message)

    reason = SKIP_REASONS.get(expect.subject) or SKIP_REASONS.get(expect.op)
    if reason:
        return outcome(SKIPPED, reason)
    actual = _subject(expect.subject, to_plain(output), record)
    if actual is _MISSING:
        return outcome(FAILED, f"{describe(expect)}: `{expect.subject}` has no value")
    try:
        ok = _holds(expect, actual)
    except TypeError:
        ok = False
    if ok:
        return outcome(PASSED)
    return outcome(FAILED, f"{describe(expect)}: expected {expect.op.replace('_', ' ')} "
                           f"{show(expect.value)}, actual {show(actual)}")


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
    if op == "truthy":
        return bool(actual)
    raise TypeError(f"unknown operator {op}")
