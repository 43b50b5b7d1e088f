"""The intent router: from a user's text to the intent it means, the slots it fills and
the prompt call the intent's `route` describes. No model is needed.

How a text is matched (the order is the tie-break, see `Router.route`):
1. Patterns. Each example compiles to a regular expression: its words in order, any
   spacing or punctuation between them, case ignored, each `{slot}` the slot's pattern
   (`@pattern`, an enum's members, a number, or any words for a plain string). A text an
   example matches whole, with every slot value valid, has confidence 1.0.
2. Lexical similarity, for paraphrases. A text is read as word stems (stop words and
   numbers left out) and pairs of neighbouring words; a slot value found in the text
   (an order number matching `@pattern`, an enum member) reads as its `{slot}`. Each
   feature weighs more the fewer intents use it; a word one edit away from an example's
   word reads as that word (typos). The confidence is the geometric mean of two shares:
   how much of the text's weight the intent's examples (and description) use, and how
   much of half an average example's weight of the intent the text has (at most all).
   1.0 is an example's own words; a text with words no example uses scores lower the
   more such words it has.
3. Optionally, semantic similarity (`matcher = semantic`): the cosine of sentence
   embeddings of the text and the closest example, from a model that ships in a Python
   package (`promptlang[similarity]`).
An intent matches when its confidence reaches its `threshold`."""

from __future__ import annotations

import heapq
import logging
import math
import re
import threading
import typing as t
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

import attrs

from promptlang.runtime import embeddings
from promptlang.runtime import intent_text as tx
from promptlang.runtime.errors import ConfigurationError
from promptlang.runtime.errors import MissingSlots

DEFAULT_THRESHOLD = 0.5
PAIR_WEIGHT = 0.5  # a pair of words counts half a word: word order is weaker evidence
MAX_TEXT = 2000  # characters looked at: a router reads requests, not documents
PATTERN, LEXICAL, SEMANTIC = "pattern", "lexical", "semantic"

Converter = Callable[[t.Any, str], t.Any]
RouteObserver = Callable[[str | None, str | None], None]
log = logging.getLogger("promptlang.intents")


@attrs.frozen
class Slot:
    """A typed value the router reads out of the text. `kind` is `string`, `int`,
    `float`, `bool` or `enum` (with `members`, the enum's values); `pattern` is the
    `@pattern` as written; `convert` the SDK's converter, which also checks the slot's
    annotations."""

    name: str
    kind: str = "string"
    pattern: str | None = None
    members: tuple[str, ...] = ()
    convert: Converter | None = None

    @property
    def specific(self) -> bool:
        """Whether a value can be told apart from other words without an example around
        it: anything but a string without `@pattern`."""
        return self.kind != "string" or self.pattern is not None

    def regex(self) -> str:
        if self.pattern is not None:
            return f"(?-i:{tx.unanchored(self.pattern)})"
        if self.kind == "enum":
            return tx.enum_pattern(self.members)
        return tx.KIND_PATTERNS.get(self.kind, tx.KIND_PATTERNS["string"])

    def value(self, text: str, where: str = "slot") -> t.Any:
        """The typed value of `text`; ValueError (or TypeError) when it is not one."""
        text = text.strip()
        raw: t.Any = text
        if self.kind == "int":
            raw = int(text.replace(",", ""))
        elif self.kind == "float":
            raw = float(text.replace(",", ""))
        elif self.kind == "bool":
            raw = tx.BOOL_WORDS[text.casefold()]
        elif self.kind == "enum":
            by_fold = {m.casefold(): m for m in self.members}
            raw = by_fold[text.casefold()]
        return self.convert(raw, f"{where}.{self.name}") if self.convert else raw


@attrs.frozen
class RouteArg:
    """One argument of the routed call: from a `slot`, the user's `input`, or a literal
    `value`. `required`: the prompt has no default for it."""

    param: str
    source: str
    slot: str | None = None
    value: t.Any = None
    required: bool = True


@attrs.frozen
class Intent:
    """An intent as the SDK declares it. `prompt` is the generated prompt object the
    route calls (anything callable with keyword arguments, with an `acall`)."""

    qname: str
    name: str
    examples: tuple[str, ...]
    slots: tuple[Slot, ...] = ()
    threshold: float | None = None
    matcher: str = LEXICAL
    prompt: t.Any = None
    args: tuple[RouteArg, ...] = ()
    description: str | None = None

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)


@attrs.frozen
class Match:
    """Where a text goes: the intent (qualified `intent`, short `name`), the slots read
    from it, the confidence (see the module's docstring) and which matcher gave it, the
    example it came closest to, and the routed call: `arguments` for `prompt`, with
    `missing` naming slots the route needs that the text did not give. Calling the match
    (or `acall`) runs the prompt; keyword arguments fill or override arguments."""

    intent: str
    name: str
    slots: Mapping[str, t.Any]
    confidence: float
    matcher: str
    example: str
    prompt: t.Any = attrs.field(default=None, repr=False, eq=False)
    arguments: Mapping[str, t.Any] = attrs.field(factory=dict)
    missing: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        """Whether the routed call has everything it needs."""
        return self.prompt is not None and not self.missing

    def __call__(self, **extra: t.Any) -> t.Any:
        return self._prompt(extra)(**{**self.arguments, **extra})

    async def acall(self, **extra: t.Any) -> t.Any:
        return await self._prompt(extra).acall(**{**self.arguments, **extra})

    def _prompt(self, extra: Mapping[str, t.Any]) -> t.Any:
        if self.prompt is None:
            raise MissingSlots(self.intent, (), "has no `route`")
        still = tuple(s for s in self.missing if s not in extra)
        if still:
            raise MissingSlots(self.intent, still)
        return self.prompt


class Router:
    """Routes texts to intents. Built from the SDK's intents; compiles its patterns and
    index on first use. Thread-safe. `observer(intent, closest)` hears each routing (the
    gateway counts them: `Metrics.observe_route`); a text routed nowhere is logged on the
    `promptlang.intents` logger with digits and e-mail addresses masked."""

    def __init__(self, intents: Sequence[Intent], *, default_threshold: float = DEFAULT_THRESHOLD,
                 observer: RouteObserver | None = None) -> None:
        self.intents = tuple(intents)
        self.default_threshold = default_threshold
        self.observer = observer
        self._index: _Index | None = None
        self._lock = threading.Lock()

    def threshold(self, intent: Intent) -> float:
        return self.default_threshold if intent.threshold is None else intent.threshold

    def route(self, text: str) -> Match | None:
        """The intent the text means, or None when no intent reaches its threshold.
        Tie-break: higher confidence; then a pattern match over a similarity; then the
        intent declared first (by module name, then source order)."""
        ranked = self.rank(text, limit=1)
        best = ranked[0] if ranked else None
        if best is not None and best.confidence >= self.threshold(self.by_qname[best.intent]):
            self._observe(best.intent, None)
            return best
        self._observe(None, best.intent if best else None)
        if log.isEnabledFor(logging.INFO):
            log.info("no intent matched", extra={"event": "intent_miss", "text": masked(text),
                                                 "closest": best.intent if best else None,
                                                 "confidence": best.confidence if best else 0.0})
        return None

    def rank(self, text: str, limit: int = 5) -> list[Match]:
        """The closest intents, best first, whatever their thresholds."""
        return self.index().rank(text[:MAX_TEXT], limit)

    @property
    def by_qname(self) -> dict[str, Intent]:
        return self.index().by_qname

    def index(self) -> _Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self._index = _Index(self.intents)
        return self._index

    def _observe(self, intent: str | None, closest: str | None) -> None:
        if self.observer is not None:
            self.observer(intent, closest)


_MASKS = (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), re.compile(r"\d"))


def masked(text: str) -> str:
    """Text fit for a log: e-mail addresses and digits (order, card and phone
    numbers) masked, so authors see how people phrase what no example covers."""
    text = _MASKS[0].sub("[email]", text[:MAX_TEXT])
    return _MASKS[1].sub("0", text)


# ---- the index ---------------------------------------------------------------------------------


@attrs.frozen
class _Example:
    intent: int
    text: str
    slots: tuple[str, ...]  # slot names of its placeholders, in order
    regex: re.Pattern[str]


class _Index:
    """Everything compiled from the intents: example patterns grouped by their first
    word, slot detectors, and an inverted index of features for similarity."""

    def __init__(self, intents: Sequence[Intent]) -> None:
        self.intents = list(intents)
        self.by_qname = {i.qname: i for i in self.intents}
        self.detectors = _detectors(self.intents)
        self.around: dict[tuple[str, str], tuple[re.Pattern[str], ...]] = {}
        self.examples: list[_Example] = []
        buckets: dict[tuple[str, ...], list[int]] = {}
        example_features: list[set[str]] = []
        for index, intent in enumerate(self.intents):
            patterns = {s.name: s.regex() for s in intent.slots}
            for text in intent.examples:
                k = len(self.examples)
                regex = tx.example_regex(text, patterns, f"s{k}")
                self.examples.append(_Example(index, text, tuple(tx.placeholder_names(text)),
                                              re.compile(regex, re.IGNORECASE)))
                buckets.setdefault(bucket(tx.example_tokens(text)), []).append(k)
                example_features.append(self._example_features(intent, text))
        self.buckets = {key: _combined(ks, self.examples) for key, ks in buckets.items()}
        self._similarity(example_features)
        self.spelling = tx.Spelling(w for i in self.intents for e in (*i.examples, i.description or "")
                                    for w in tx.words(e))
        self.semantic = _Semantic(self.intents, self.examples) if any(
            i.matcher == SEMANTIC for i in self.intents) else None

    def _example_features(self, intent: Intent, text: str) -> set[str]:
        tokens = []
        for token in tx.example_tokens(text):
            if token.startswith("{"):
                slot = intent.slot(token[1:-1])
                token = self.detectors.token_of(slot) if slot is not None else ""
            tokens.append(token)
        return tx.features(tokens)

    def _similarity(self, example_features: list[set[str]]) -> None:
        """IDF weights over intents (a pair of words weighs `PAIR_WEIGHT` of its IDF),
        postings from feature to intents, and the weight a text must share with an intent to
        count as enough evidence (half its mean example's)."""
        n = max(1, len(self.intents))
        users: dict[str, set[int]] = {}
        for k, feats in enumerate(example_features):
            for f in feats:
                users.setdefault(f, set()).add(self.examples[k].intent)
        for i, intent in enumerate(self.intents):  # a description's words belong to its intent
            for f in self._example_features(intent, intent.description or ""):
                users.setdefault(f, set()).add(i)
        self.weight = {f: math.log(1 + n / len(who)) * (PAIR_WEIGHT if " " in f else 1.0)
                       for f, who in users.items()}
        self.unknown_weight = math.log(1 + n)
        self.intent_postings = {f: tuple(sorted(who)) for f, who in users.items()}
        self.features_of = example_features
        self.by_intent: dict[int, list[int]] = {}
        for k, example in enumerate(self.examples):
            self.by_intent.setdefault(example.intent, []).append(k)
        # The evidence that counts as enough: half the weight of the intent's average example.
        self.example_size = {
            i: max(1e-9, sum(sum(self.weight[f] for f in example_features[k]) for k in ks) / len(ks) / 2)
            for i, ks in self.by_intent.items()}

    # ---- ranking ----------------------------------------------------------------------------

    def rank(self, text: str, limit: int) -> list[Match]:
        found = self.detectors.find(text)
        words = tx.words(text)
        exact = self._pattern_match(text, words)
        feats = tx.features(self.spelling.corrected(found.tokens(text) if found.spans else words))
        scores = self._lexical(feats)
        closest: dict[int, int] = {}
        if self.semantic is not None:
            semantic_scores, closest = self.semantic.scores(text)
            scores.update(semantic_scores)
        if exact is not None:
            scores[self.examples[exact[0]].intent] = 2.0  # above any similarity, see below
        if limit == 1 and scores:  # `route`: the best, lowest index on ties, without sorting
            high = max(scores.values())
            top = [(min(i for i, score in scores.items() if score == high), high)]
        else:
            top = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        matches = []
        for intent_index, score in top:
            kind = 0 if score > 1.0 else 1
            conf = 1.0 if kind == 0 else math.sqrt(score)
            intent = self.intents[intent_index]
            if exact is not None and kind == 0:
                example, slots, matcher = exact[0], exact[1], PATTERN
            else:
                semantic = intent_index in closest
                example = closest[intent_index] if semantic else self._closest(intent_index, feats)
                slots, matcher = self._slots(intent, text, found), SEMANTIC if semantic else LEXICAL
            matches.append(_match(intent, slots, conf, matcher, self.examples[example].text, text))
        return matches

    def _pattern_match(self, text: str, words: list[str]) -> tuple[int, dict[str, t.Any]] | None:
        """The first example matching the whole text with valid slot values."""
        for key in candidate_buckets(words):
            combined = self.buckets.get(key)
            if combined is None:
                continue
            regex, members = combined
            m = regex.fullmatch(text)
            if m is None:
                continue
            k = int(m.lastgroup[1:]) if m.lastgroup else members[0]
            slots = self._slot_values(k, m)
            if slots is not None:
                return k, slots
            for other in members[members.index(k) + 1:]:  # a value was invalid: go on
                m = self.examples[other].regex.fullmatch(text)
                slots = self._slot_values(other, m) if m else None
                if slots is not None:
                    return other, slots
        return None

    def _slot_values(self, k: int, m: re.Match[str]) -> dict[str, t.Any] | None:
        example = self.examples[k]
        intent = self.intents[example.intent]
        values: dict[str, t.Any] = {}
        for n, name in enumerate(example.slots):
            raw = m.group(f"s{k}_{n}")
            slot = intent.slot(name)
            if raw is None or slot is None:
                continue
            try:
                values[name] = slot.value(raw)
            except (ValueError, TypeError, KeyError):
                return None
        return values

    def _lexical(self, feats: set[str]) -> dict[int, float]:
        """Each intent sharing a feature with the text, and its confidence squared: the
        geometric mean of the share of the text's weight the intent's examples use, and
        how much of the enough-evidence weight (`example_size`) that shared part is."""
        if not feats:
            return {}
        weight, unknown = self.weight, self.unknown_weight
        total = 0.0
        covered: dict[int, float] = {}
        get = covered.get
        intent_postings = self.intent_postings
        for f in feats:
            w = weight.get(f)
            if w is None:
                total += self._unknown(f, unknown)
                continue
            total += w
            for i in intent_postings[f]:
                covered[i] = get(i, 0.0) + w
        size = self.example_size
        # The square of the confidence, C * S (the root is taken for the few returned).
        found = {}
        for i, c in covered.items():
            enough = size[i]
            found[i] = (c if c < total else total) * (c if c < enough else enough) / (total * enough)
        return found

    def _closest(self, intent: int, feats: set[str]) -> int:
        """The intent's example sharing the most weight with the text (first on ties)."""
        weight, features_of = self.weight.__getitem__, self.features_of
        return max(self.by_intent[intent],
                   key=lambda k: (sum(map(weight, features_of[k] & feats)), -k))

    def _around_patterns(self, intent: Intent, name: str) -> tuple[re.Pattern[str], ...]:
        key = (intent.qname, name)
        found = self.around.get(key)
        if found is None:
            found = self.around[key] = around_patterns(intent, name)
        return found

    def _unknown(self, feature: str, unknown: float) -> float:
        """The weight of a feature no example has: a word weighs as the rarest known word;
        a pair weighs half that, and nothing when one of its words is unknown too (that
        word already counts)."""
        if " " not in feature:
            return unknown
        left, right = feature.split(" ", 1)
        known = all(w in self.weight or w in tx.STOP_WORDS for w in (left, right))
        return unknown * PAIR_WEIGHT if known else 0.0

    def _slots(self, intent: Intent, text: str, found: _Found) -> dict[str, t.Any]:
        """Slot values for a match by similarity: a specific slot from the values found
        in the text, a plain string from the words around it in an example."""
        values: dict[str, t.Any] = {}
        for slot in intent.slots:
            candidates = (found.values(self.detectors.token_of(slot), text) if slot.specific
                          else _around(self._around_patterns(intent, slot.name), text))
            for raw in candidates:
                try:
                    values[slot.name] = slot.value(raw)
                    break
                except (ValueError, TypeError, KeyError):
                    continue
        return values


def bucket(tokens: list[str]) -> tuple[str, ...]:
    """Which group of patterns an example joins: by its first two words, or its first,
    or none when it starts with a slot. A text then tries three small groups, not all."""
    words = []
    for token in tokens[:2]:
        if token.startswith("{"):
            break
        words.append(token)
    return tuple(words)


def candidate_buckets(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """The groups of patterns that can match a text of these words whole (see `bucket`)."""
    first = tuple(words[:2])
    return tuple(dict.fromkeys((first, first[:1], ())))


def _combined(ks: list[int], examples: list[_Example]) -> tuple[re.Pattern[str], list[int]]:
    """One alternation of the examples' patterns: one `fullmatch` tries them all."""
    source = "|".join(f"(?P<e{k}>{examples[k].regex.pattern})" for k in ks)
    return re.compile(source, re.IGNORECASE), ks


def _around(patterns: tuple[re.Pattern[str], ...], text: str) -> list[str]:
    """A plain string slot's value: what stands where `{name}` stands in an example,
    between the words written before and after it."""
    return [hit.group(1) for regex in patterns for hit in (regex.search(text),) if hit]


def around_patterns(intent: Intent, name: str) -> tuple[re.Pattern[str], ...]:
    """The expressions `_around` searches with, for one slot of an intent."""
    found = []
    for example in intent.examples:
        for m in tx.PLACEHOLDER.finditer(example):
            if m.group(1) != name:
                continue
            before = tx.raw_words(example[:m.start()])[-1:]
            after = tx.raw_words(example[m.end():])[:1]
            if not before and not after:
                continue
            left = rf"\b{re.escape(before[0])}\W+" if before else r"^\W*"
            # Without a word after it, the value ends where the sentence or clause does.
            right = rf"\W+{re.escape(after[0])}\b" if after else r"(?=\s*[,.;:!?]|\W*$)"
            found.append(re.compile(left + r"(.+?)" + right, re.IGNORECASE))
    return tuple(found)


def _match(intent: Intent, slots: dict[str, t.Any], confidence: float, matcher: str,
           example: str, text: str) -> Match:
    arguments: dict[str, t.Any] = {}
    missing: list[str] = []
    for arg in intent.args:
        if arg.source == "input":
            arguments[arg.param] = text
        elif arg.source == "value":
            arguments[arg.param] = arg.value
        elif arg.slot in slots:
            arguments[arg.param] = slots[arg.slot]
        elif arg.required:
            missing.append(arg.slot or arg.param)
    return Match(intent=intent.qname, name=intent.name, slots=slots,
                 confidence=round(confidence, 4), matcher=matcher, example=example,
                 prompt=intent.prompt, arguments=arguments, missing=tuple(missing))


# ---- semantic similarity ---------------------------------------------------------------------


class _Semantic:
    """Sentence-embedding similarity for the intents whose matcher is `semantic`: the
    confidence is the cosine between the text and the intent's closest example (with
    each `{slot}` read as its name), below 0 counted as 0. The model loads with the
    router's index; without it, that is a configuration error, not a silent fallback."""

    def __init__(self, intents: Sequence[Intent], examples: Sequence[_Example]) -> None:
        self.owners = [k for k, e in enumerate(examples) if intents[e.intent].matcher == SEMANTIC]
        texts = [tx.PLACEHOLDER.sub(lambda m: m.group(1).replace("_", " "), examples[k].text)
                 for k in self.owners]
        self.intent_of = [examples[k].intent for k in self.owners]
        vectors = embeddings.encode(texts or [""])
        if vectors is None:
            names = sorted({intents[i].qname for i in self.intent_of})
            raise ConfigurationError(f"intents {', '.join(names)} use the semantic matcher, which "
                                     f"{embeddings.UNAVAILABLE}")
        self.vectors = vectors

    def scores(self, text: str) -> tuple[dict[int, float], dict[int, int]]:
        """The squared confidence of each semantic intent (the ranking's scale) and
        its closest example."""
        query = embeddings.encode([text])[0]
        found: dict[int, float] = {}
        closest: dict[int, int] = {}
        for row, cosine in enumerate(self.vectors @ query):
            intent, value = self.intent_of[row], max(0.0, min(1.0, float(cosine)))
            if value * value > found.get(intent, -1.0):
                found[intent] = value * value
                closest[intent] = self.owners[row]
        return found, closest


# ---- slot values found in a text -----------------------------------------------------------------


class _Detectors:
    """Finds the values of specific slots in a text, each with the feature token standing
    for its pattern (`{#3}`): two intents' `order_id: OrderId` slots read the same number
    as the same token. Enum members and yes/no are looked up word by word; numbers are
    searched for only in texts with a digit; `@pattern`s by their expressions."""

    def __init__(self, slots: dict[str, Slot], ordered: list[str]):
        self.ids = {p: n for n, p in enumerate(ordered)}
        self.by_word: dict[str, list[str]] = {}
        numeric: list[tuple[re.Pattern[str], str]] = []
        other: list[tuple[re.Pattern[str], str]] = []
        for pattern in ordered:
            slot, token = slots[pattern], "{#" + str(self.ids[pattern]) + "}"
            words = (slot.members if slot.kind == "enum" else tuple(tx.BOOL_WORDS)
                     if slot.kind == "bool" else ())
            if slot.pattern is None and words and all(tx.raw_words(w) == [w.casefold()] for w in words):
                for word in words:
                    self.by_word.setdefault(word.casefold(), []).append(token)
                continue
            compiled = re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])", re.IGNORECASE)
            numeric_kind = slot.pattern is None and slot.kind in ("int", "float")
            (numeric if numeric_kind else other).append((compiled, token))
        self.numeric, self.other = numeric, other

    def token_of(self, slot: Slot) -> str:
        if not slot.specific:
            return ""
        return "{#" + str(self.ids[slot.regex()]) + "}"

    def find(self, text: str) -> _Found:
        spans: list[tuple[int, int, str]] = []
        if self.by_word:
            by_word = self.by_word
            for m in tx.WORD.finditer(text):
                tokens = by_word.get(m.group().casefold())
                if tokens:
                    spans.extend((m.start(), m.end(), token) for token in tokens)
        searched = self.other + self.numeric if self.numeric and _DIGIT.search(text) else self.other
        for regex, token in searched:
            for m in regex.finditer(text):
                if m.end() > m.start():
                    spans.append((m.start(), m.end(), token))
        return _Found(sorted(spans) if spans else spans)


_DIGIT = re.compile(r"\d")


def _detectors(intents: Sequence[Intent]) -> _Detectors:
    """Detectors of the specific slots, most specific first (see `_Found.tokens`)."""
    rank = {"enum": 1, "bool": 2, "int": 3, "float": 4}
    slots = {s.regex(): s for i in intents for s in i.slots if s.specific}
    ordered = sorted(slots, key=lambda p: (0 if slots[p].pattern else rank.get(slots[p].kind, 5), p))
    return _Detectors(slots, ordered)


@attrs.frozen
class _Found:
    """Spans of slot values in a text: (start, end, token), sorted."""

    spans: list[tuple[int, int, str]]

    def values(self, token: str, text: str) -> list[str]:
        return [text[s:e] for s, e, tok in self.spans if tok == token]

    def tokens(self, text: str) -> list[str]:
        """The text's words with each found value replaced by its token; where values
        overlap the longest span wins, and of spans with the same extent (a six-digit
        order number is also an int) the most specific slot's (detectors are ordered
        `@pattern` first, then enums, then numbers)."""
        out: list[str] = []
        pos = 0
        i = 0
        spans = self.spans
        while i < len(spans):
            start, end, _ = spans[i]
            if start < pos:
                i += 1
                continue
            longest = max(e for s, e, _ in spans if s == start)
            if longest != end:
                i += 1
                continue
            out += tx.words(text[pos:start])
            out.append(min((tok for s, e, tok in spans if s == start and e == end),
                           key=lambda tok: int(tok[2:-1])))
            pos = end
            i += 1
        return out + tx.words(text[pos:])
