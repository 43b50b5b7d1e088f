"""The runtime rules of applied policies: `deny input|output matches /re/` and
`deny words [...] in input|output`. The static rules were judged by `popsc check`; these
can only be judged against actual text, so the runtime does it on every call."""

from __future__ import annotations

import json
import re
import typing as t
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence

import attrs

from promptlang.runtime.errors import PolicyViolation
from promptlang.runtime.record import Violation

Subject = t.Literal["input", "output"]

# The flags a `.pops` regex literal may carry, as Python `re` flags (`u` is the default).
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE, "u": 0}


def regex_flags(flags: str) -> re.RegexFlag:
    """The `re` flags of a regex literal's flags, such as `i`; popsc rejected others."""
    bits = re.RegexFlag(0)
    for flag in flags:
        bits |= _FLAGS[flag]
    return bits


def _compile_pattern(rule: DenyPattern) -> re.Pattern[str]:
    return re.compile(rule.pattern, regex_flags(rule.flags))


def _compile_words(rule: DenyWords) -> re.Pattern[str]:
    """Whole words and phrases, case ignored, any run of spaces between a phrase's words:
    `guarantee` catches "Guarantee" but not "guaranteed" (the examples list both, so
    they are meant as words, not substrings)."""
    phrases = (r"\s+".join(map(re.escape, word.split())) for word in rule.words)
    return re.compile(r"(?<!\w)(?:" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


@attrs.frozen
class DenyPattern:
    """`deny <subject> matches /pattern/flags`: text the regex finds is refused."""

    subject: Subject
    pattern: str
    flags: str = ""
    _regex: re.Pattern[str] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(_compile_pattern, takes_self=True))

    def describe(self) -> str:
        """The rule as written in `.pops`, for error messages."""
        return f"deny {self.subject} matches /{self.pattern}/{self.flags}"

    def finds(self, text: str) -> bool:
        """Whether the rule refuses this text."""
        return self._regex.search(text) is not None


@attrs.frozen
class DenyWords:
    """`deny words ["a", "b"] in <subject>`: text containing any of them is refused."""

    subject: Subject
    words: tuple[str, ...]
    _regex: re.Pattern[str] = attrs.field(
        init=False, eq=False, repr=False,
        default=attrs.Factory(_compile_words, takes_self=True))

    def describe(self) -> str:
        """The rule as written in `.pops`, for error messages."""
        return f"deny words {json.dumps(list(self.words), ensure_ascii=False)} in {self.subject}"

    def finds(self, text: str) -> bool:
        """Whether the rule refuses this text."""
        return self._regex.search(text) is not None


OutputRule = DenyPattern | DenyWords
"""A runtime rule, whichever its form and subject."""


@attrs.frozen
class Policy:
    """An applied policy's runtime rules. A `warning` policy's violations are recorded
    (metrics, audit) and the call goes on, as its static findings do not fail a check."""

    name: str
    rules: tuple[OutputRule, ...]
    severity: t.Literal["error", "warning"] = "error"


def find_violations(policies: Iterable[Policy], subject: Subject,
                    texts: Sequence[str]) -> list[Violation]:
    """Every rule about `subject` that refuses one of the texts, once each."""
    return [Violation(policy.name, rule.describe(), subject, policy.severity)
            for policy in policies for rule in policy.rules
            if rule.subject == subject and any(rule.finds(text) for text in texts)]


def raise_first_error(violations: Iterable[Violation]) -> None:
    """Raise `PolicyViolation` for the first violation of an `error` policy, if any."""
    for violation in violations:
        if violation.severity == "error":
            raise PolicyViolation(violation.policy, violation.rule, violation.where)


def answer_texts(text: str) -> list[str]:
    """The texts of an answer that output rules look at: the answer itself and, when it
    is JSON, each string in it, decoded (an escaped `\\n` or `\\u00e9` must not hide a
    match from a rule)."""
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    return [text, *_strings(data)]


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
