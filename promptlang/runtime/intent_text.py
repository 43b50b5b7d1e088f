"""How the intent router reads text: words, their light stems, the features a text is
compared by, and the regular expressions a slot's value is found with.

The compiler's collision check and the router use these same functions, so an example
the checker calls ambiguous is one the router could not tell apart either."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# Words that say little about what a text asks for. They still count inside word pairs
# ("talk to", "how do"), only not alone. Question words are not here: "how", "what"
# and "where" tell a how-to from a status question.
STOP_WORDS = frozenset("""
a an the i me my mine we us our you your yours it its he she they them their this that
these those there here is are was were be been being am do does did doing to of in on at
by for with from into about as and or but so if then than too very just also any some
please hi hello hey thanks thank im id ive ill youre youve its lets
""".split())

# Contractions and a few spellings that mean the same as a plainer word.
SAME_AS = {"whats": "what", "wheres": "where", "hows": "how", "whos": "who", "dont": "not",
           "doesnt": "not", "didnt": "not", "cant": "cannot", "wont": "not", "isnt": "not",
           "arent": "not", "hasnt": "not", "havent": "not", "wasnt": "not", "couldnt": "not",
           "wanna": "want", "gonna": "go", "u": "you", "ur": "your", "pls": "please",
           "plz": "please", "thx": "thanks"}

# Default patterns of slot values by type, as text. A string slot without `@pattern` takes
# the words between the example's other words, so its pattern is only used in a full match.
KIND_PATTERNS = {
    "int": r"[-+]?\d{1,3}(?:,\d{3})+|[-+]?\d+",  # 1,500 is fifteen hundred
    "float": r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?",
    "bool": r"true|false|yes|no",
    "string": r".+?",
}
BOOL_WORDS = {"true": True, "yes": True, "false": False, "no": False}


def words(text: str) -> list[str]:
    """The words of a text as similarity reads them: case-folded, an apostrophe's clitic
    kept on its word (`what's` -> `whats`), contractions as their plainer word."""
    return [SAME_AS.get(w, w) for w in raw_words(text)]


def raw_words(text: str) -> list[str]:
    """The words of a text as written (case-folded, apostrophes dropped): what an
    example's pattern asks for."""
    return [w.replace("'", "").replace("’", "") for w in WORD.findall(text.casefold())]


_STEMS: dict[str, str] = {}


def stem(word: str) -> str:
    """A light English stem: plural and verb endings off (`refunds`, `refunded`,
    `refunding` -> `refund`), enough for examples to meet paraphrases half way.
    Memoised, since the same few thousand words come back."""
    found = _STEMS.get(word)
    if found is None:
        found = _stem(word)
        if len(_STEMS) < 100_000:
            _STEMS[word] = found
    return found


def _stem(word: str) -> str:
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep, least in (("ies", "y", 5), ("ing", "", 6), ("ed", "", 5),
                                ("es", "", 5), ("s", "", 4)):
        if word.endswith(suffix) and len(word) >= least:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            if suffix == "es" and not word.endswith(("ses", "xes", "ches", "shes", "zes")):
                continue
            word = word[: -len(suffix)] + keep
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipped, shipping -> ship
            break
    # A final e goes too, so `produce`, `produced` and `producing` meet at `produc`.
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def slot_token(name: str) -> str:
    """The token a slot's value stands for in features: `{order_id}` and any order id."""
    return "{" + name + "}"


def features(tokens: Sequence[str]) -> set[str]:
    """What a text is compared by: its stems, except stop words and numbers, and each
    pair of neighbouring stems (a pair of two stop words does not count)."""
    found: set[str] = set()
    prev: str | None = None
    prev_stop = True
    for token in tokens:
        if not token:  # a break: a slot whose value reads as nothing in particular
            prev, prev_stop = None, True
            continue
        is_stop = token in STOP_WORDS
        if token.startswith("{"):
            current: str | None = token
        elif not token.isalpha() and any(ch.isdigit() for ch in token):
            current = None  # a value: the slot it fills is what counts
        else:
            current = stem(token)
        if current is not None:
            if not is_stop:
                found.add(current)
            if prev is not None and not (is_stop and prev_stop):
                found.add(prev + " " + current)
        prev, prev_stop = current, is_stop
    return found


def example_tokens(example: str) -> list[str]:
    """An example's words, each `{slot}` a token of its own."""
    out: list[str] = []
    last = 0
    for m in PLACEHOLDER.finditer(example):
        out += words(example[last:m.start()])
        out.append(slot_token(m.group(1)))
        last = m.end()
    return out + words(example[last:])


def normalised(text: str) -> str:
    """Case, spacing, punctuation and slot names do not count (collision checks)."""
    return " ".join("{}" if t.startswith("{") else t for t in example_tokens(text))


def unanchored(pattern: str) -> str:
    """An `@pattern` as a part of a larger expression: its `^...$` anchors dropped
    and its alternatives kept together."""
    body = pattern
    if body.startswith("^"):
        body = body[1:]
    if body.endswith("$") and not body.endswith("\\$"):
        body = body[:-1]
    return f"(?:{body})"


def enum_pattern(members: Iterable[str]) -> str:
    """Any member name, longest first so `java` does not stop at `ja`."""
    return "|".join(re.escape(m) for m in sorted(members, key=lambda m: (-len(m), m)))


def example_regex(example: str, slot_patterns: dict[str, str], group_prefix: str) -> str:
    """The regular expression (for `re.fullmatch`, case-insensitive) that an example
    compiles to: its words in order with any punctuation or spacing between them, each
    `{slot}` a named group `<group_prefix>_<n>` holding the slot's pattern (kept
    case-sensitive when it came from `@pattern`). Unknown slots match any words."""
    parts = [r"\W*"]
    last = 0
    for n, m in enumerate(PLACEHOLDER.finditer(example)):
        parts.append(_literal(example[last:m.start()]))
        pattern = slot_patterns.get(m.group(1), KIND_PATTERNS["string"])
        parts.append(f"(?P<{group_prefix}_{n}>{pattern})")
        last = m.end()
    parts.append(_literal(example[last:]))
    parts.append(r"\W*")
    return "".join(parts)


def _literal(text: str) -> str:
    """Words as they must appear, whole, with any non-word characters around them."""
    found = raw_words(text)
    if not found:
        return r"\W*"
    return r"\W*" + r"\W+".join(rf"\b{_word_regex(w)}\b" for w in found) + r"\W*"


def _word_regex(word: str) -> str:
    """A word as written, an apostrophe optional inside (`what's`, `whats`)."""
    return "['’]?".join(re.escape(ch) for ch in word)


def placeholder_names(example: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(example)]


class Spelling:
    """Typos fixed against the examples' own words: a word no example has, of four
    letters or more, that is one edit (a letter dropped, added, changed, or two swapped)
    from exactly the examples' words is read as that word (`chnage` -> `change`,
    `adress` -> `address`). Found through shared deletions (SymSpell), so a lookup costs
    a few dictionary probes, and only for unknown words."""

    MIN_LENGTH = 4

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.known: set[str] = set()
        self.by_deletion: dict[str, set[str]] = {}
        self.fixes: dict[str, str] = {}  # memo: users repeat their words
        for word in vocabulary:
            if len(word) >= self.MIN_LENGTH - 1 and word.isalpha() and word not in self.known:
                self.known.add(word)
                for variant in (word, *_deletions(word)):
                    self.by_deletion.setdefault(variant, set()).add(word)

    def corrected(self, tokens: list[str]) -> list[str]:
        fixes, fix = self.fixes, self._fix
        out = []
        for token in tokens:
            found = fixes.get(token)
            if found is None:
                found = fix(token)
                if len(fixes) < 50_000:
                    fixes[token] = found
            out.append(found)
        return out

    def _fix(self, token: str) -> str:
        if (len(token) < self.MIN_LENGTH or token in self.known or token in STOP_WORDS
                or not token.isalpha()):
            return token
        found: set[str] = set()
        for variant in (token, *_deletions(token)):
            found |= self.by_deletion.get(variant, set())
        if not found:
            return token
        return min(found, key=lambda w: (abs(len(w) - len(token)), w))


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1:] for i in range(len(word))]
