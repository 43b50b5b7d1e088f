"""The JSON -> typed converters of `promptlang.runtime.convert`, which the generated SDK
composes into one converter per output type and per prompt input.

The contract tested here: each converter returns the typed value for what fits, and
raises `TypeError` (wrong JSON kind) or `ValueError` (right kind, wrong value) whose
message starts with the path it was given (`output.items[2]: ...`), because that message
is what the model is shown to repair its answer and what a caller of `arguments()` reads.
"""

from __future__ import annotations

import enum
import json
import math

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from promptlang.runtime import convert as c
from promptlang.runtime.providers.replay import input_json


class Priority(str, enum.Enum):
    """As the SDK generates enums: `str` members whose value is the `.pops` name."""

    low = "low"
    high = "high"


class Shade(enum.Enum):
    """An enum whose values differ from its names: members are found by value."""

    light = "LIGHT"
    dark = "DARK"


@attrs.frozen(kw_only=True)
class Item:
    name: str = attrs.field(validator=c.constraints(min_len=1, max_len=5))
    price: float = attrs.field(validator=c.constraints(minimum=0, maximum=100))


@attrs.frozen(kw_only=True)
class Order:
    id: str = attrs.field(validator=c.constraints(pattern="[0-9]{3}"))
    priority: Priority = Priority.low
    items: list[Item] = attrs.field(factory=list, validator=c.constraints(max_len=3))
    labels: dict[str, Shade] = attrs.field(factory=dict)
    class_: str | None = attrs.field(default=None, metadata={"name": "class"})


def raises(exc: type[Exception], where: str, *fragments: str) -> _Raises:
    """`pytest.raises(exc)` whose message starts with `where: ` and holds `fragments`."""
    return _Raises(exc, where, fragments)


class _Raises:
    def __init__(self, exc, where, fragments):
        self.exc, self.where, self.fragments = exc, where, fragments

    def __enter__(self):
        self.ctx = pytest.raises(self.exc)
        self.info = self.ctx.__enter__()
        return self.info

    def __exit__(self, *exc_info):
        handled = self.ctx.__exit__(*exc_info)
        message = str(self.info.value)
        assert type(self.info.value) is self.exc, (type(self.info.value), message)
        assert message.startswith(f"{self.where}: "), message
        for fragment in self.fragments:
            assert fragment in message, (fragment, message)
        return handled


# ---- parse_json and unwrap -----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    '{"a": [1, 2.5, true, null, "é"]}',
    '  \n{"a": [1, 2.5, true, null, "é"]}\n\n',
    '```json\n{"a": [1, 2.5, true, null, "é"]}\n```',
    '```\n{"a": [1, 2.5, true, null, "é"]}\n```',
    '\n  ```JSON\n{"a": [1, 2.5, true, null, "é"]}\n```  \n',
    '```json\n{"a": [1, 2.5, true, null, "é"]}```',
])
def test_parse_json_reads_json_with_or_without_a_code_fence(text):
    assert c.parse_json(text) == {"a": [1, 2.5, True, None, "é"]}


def test_parse_json_keeps_backticks_inside_the_json():
    assert c.parse_json('```json\n{"code": "```x```"}\n```') == {"code": "```x```"}
    assert c.parse_json('"a ``` b"') == "a ``` b"


@pytest.mark.parametrize("text, where", [
    ("", "line 1 column 1"),
    ("Sure! Here it is: {}", "line 1 column 1"),
    ('{"a": 1,\n "b": }', "line 2 column 7"),
    ("```json\n{oops}\n```", "line 1 column 2"),
    ("```", "line 1 column 1"),
])
def test_parse_json_names_where_the_answer_stops_being_json(text, where):
    with pytest.raises(ValueError, match="^the answer is not JSON") as caught:
        c.parse_json(text)
    assert where in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("value", ["de", 3, None, [1], {"nested": True}])
def test_unwrap_takes_the_value_of_a_wrapped_answer(value):
    assert c.unwrap({"value": value}) == value
    assert c.unwrap({"value": value, "reasoning": "ignored"}) == value


def test_unwrap_names_the_output_when_the_answer_is_not_wrapped():
    with raises(ValueError, "output", "missing field `value`"):
        c.unwrap({"answer": "de"})
    with raises(TypeError, "output", "expected an object", 'a string ("de")'):
        c.unwrap("de")
    with raises(TypeError, "output", "expected an object", "got null"):
        c.unwrap(None)


# ---- fields ---------------------------------------------------------------------------------


def test_fields_returns_the_object_and_ignores_undeclared_keys():
    data = {"a": 1, "b": None, "extra": "ignored"}
    assert c.fields(data, "x", ("a", "b")) is data
    assert c.fields({}, "x") == {}


def test_fields_lists_every_missing_required_field_in_order():
    with raises(ValueError, "input.ticket", "missing field `id`") as caught:
        c.fields({"body": "x"}, "input.ticket", ("id", "body"))
    assert "fields" not in str(caught.value)
    with raises(ValueError, "output", "missing fields `answer`, `confidence`"):
        c.fields({"escalate": True}, "output", ("answer", "escalate", "confidence"))


@pytest.mark.parametrize("value, kind", [
    ([1, 2], "a list ([1, 2])"), ("x", 'a string ("x")'), (None, "null"), (3, "a number (3)"),
    (True, "a boolean (true)"),
])
def test_fields_needs_an_object(value, kind):
    with raises(TypeError, "output.items[2]", f"expected an object, got {kind}"):
        c.fields(value, "output.items[2]", ("name",))


# ---- scalars --------------------------------------------------------------------------------


def test_string_accepts_strings_only():
    assert c.string("", "w") == ""
    assert c.string("é", "w") == "é"
    for value, kind in [(3, "a number (3)"), (None, "null"), (["a"], 'a list (["a"])'),
                        (True, "a boolean (true)"), ({"a": 1}, 'an object ({"a": 1})')]:
        with raises(TypeError, "output.answer", f"expected a string, got {kind}"):
            c.string(value, "output.answer")


@pytest.mark.parametrize("value, expected", [
    (0, 0), (-7, -7), (3, 3), (3.0, 3), (-0.0, 0), (1e20, 10**20), (2**70, 2**70),
])
def test_integer_accepts_whole_numbers_including_whole_floats(value, expected):
    result = c.integer(value, "w")
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value, kind", [
    (True, "a boolean (true)"), (False, "a boolean (false)"), (3.5, "a number (3.5)"),
    ("3", 'a string ("3")'), (None, "null"), (math.inf, "a number (Infinity)"),
    (math.nan, "a number (NaN)"), ([3], "a list ([3])"),
])
def test_integer_refuses_booleans_fractions_and_other_kinds(value, kind):
    with raises(TypeError, "output.urgency", f"expected an integer, got {kind}"):
        c.integer(value, "output.urgency")


@pytest.mark.parametrize("value, expected", [(0, 0.0), (3, 3.0), (0.25, 0.25), (-1e3, -1000.0)])
def test_number_accepts_integers_and_floats_as_float(value, expected):
    result = c.number(value, "w")
    assert result == expected and type(result) is float


@pytest.mark.parametrize("value, kind", [
    (True, "a boolean (true)"), ("0.5", 'a string ("0.5")'), (None, "null"),
    ({"v": 1}, 'an object ({"v": 1})'),
])
def test_number_refuses_booleans_and_other_kinds(value, kind):
    with raises(TypeError, "output.confidence", f"expected a number, got {kind}"):
        c.number(value, "output.confidence")


def test_boolean_accepts_true_and_false_only():
    assert c.boolean(True, "w") is True and c.boolean(False, "w") is False
    for value, kind in [(1, "a number (1)"), (0, "a number (0)"), ("true", 'a string ("true")'),
                        (None, "null")]:
        with raises(TypeError, "output.escalate", f"expected true or false, got {kind}"):
            c.boolean(value, "output.escalate")


def test_anything_returns_the_value_itself():
    value = {"a": [1, None]}
    assert c.anything(value, "w") is value
    assert c.anything(None, "w") is None


# ---- enums ----------------------------------------------------------------------------------


def test_member_finds_members_by_value():
    assert c.member(Priority)("high", "w") is Priority.high
    assert c.member(Priority)(Priority.low, "w") is Priority.low
    assert c.member(Shade)("DARK", "w") is Shade.dark


def test_member_refuses_other_values_listing_the_allowed_ones():
    with raises(ValueError, "input.ticket.priority", 'expected one of "low", "high", got "hgh"'):
        c.member(Priority)("hgh", "input.ticket.priority")
    # A member's name is not its value.
    with raises(ValueError, "output", 'expected one of "LIGHT", "DARK", got "dark"'):
        c.member(Shade)("dark", "output")
    with raises(ValueError, "output", "got null"):
        c.member(Priority)(None, "output")


@pytest.mark.parametrize("value", [["high"], {"high": 1}, 1, True])
def test_member_refuses_unhashable_and_non_string_values_with_a_value_error(value):
    with raises(ValueError, "output.priority", "expected one of", json.dumps(value)):
        c.member(Priority)(value, "output.priority")


def test_long_values_are_shortened_in_messages():
    with raises(ValueError, "output") as caught:
        c.member(Priority)("x" * 500, "output")
    shown = str(caught.value).split("got ", 1)[1]
    assert len(shown) == 60 and shown.endswith("...")


# ---- containers and paths -------------------------------------------------------------------


def test_list_of_converts_each_item_and_names_the_failing_index():
    assert c.list_of(c.integer)([1, 2.0, 3], "w") == [1, 2, 3]
    assert c.list_of(c.string)([], "w") == []
    with raises(TypeError, "output.items[2]", "expected an integer", '"3"'):
        c.list_of(c.integer)([1, 2, "3"], "output.items")
    with raises(TypeError, "output.items", "expected a list", 'an object ({"a": 1})'):
        c.list_of(c.integer)({"a": 1}, "output.items")
    with raises(TypeError, "output.items", "expected a list", 'a string ("abc")'):
        c.list_of(c.string)("abc", "output.items")


def test_map_of_converts_each_value_and_names_the_failing_key():
    assert c.map_of(c.number)({"a": 1, "b": 0.5}, "w") == {"a": 1.0, "b": 0.5}
    with raises(ValueError, "output.labels.b", "expected one of"):
        c.map_of(c.member(Shade))({"a": "LIGHT", "b": "grey"}, "output.labels")
    with raises(TypeError, "output.labels", "expected an object", "a list ([])"):
        c.map_of(c.string)([], "output.labels")


def test_nested_paths_combine_keys_and_indexes():
    convert = c.map_of(c.list_of(c.optional(c.list_of(c.boolean))))
    assert convert({"x": [None, [True]]}, "w") == {"x": [None, [True]]}
    with raises(TypeError, "output.rows.x[1][0]", "expected true or false", "a number (1)"):
        convert({"x": [None, [1]]}, "output.rows")
    with raises(TypeError, "output.rows.y[0]", "expected a list"):
        convert({"x": [], "y": ["no"]}, "output.rows")


def test_optional_passes_null_and_converts_anything_else():
    assert c.optional(c.string)(None, "w") is None
    assert c.optional(c.integer)(4.0, "w") == 4
    with raises(TypeError, "output.order_id", "expected a string", "a number (511093)"):
        c.optional(c.string)(511093, "output.order_id")


# ---- records: construct and constraints ------------------------------------------------------


def item_from(data: object, where: str) -> Item:
    fields = c.fields(data, where, ("name", "price"))
    return c.construct(Item, where, name=c.string(fields["name"], f"{where}.name"),
                       price=c.number(fields["price"], f"{where}.price"))


def test_construct_puts_the_path_in_front_of_what_a_validator_refuses():
    assert item_from({"name": "pan", "price": 3}, "w") == Item(name="pan", price=3.0)
    items = c.list_of(item_from)
    with raises(ValueError, "output.items[2]", "`name` has 6 characters, more than 5"):
        items([{"name": "a", "price": 1}, {"name": "b", "price": 2},
               {"name": "kettle", "price": 3}], "output.items")
    with raises(ValueError, "output.items[0]", "`price` is -1.0, less than 0"):
        items([{"name": "a", "price": -1}], "output.items")
    with raises(ValueError, "output.items[1]", "missing field `price`"):
        items([{"name": "a", "price": 1}, {"name": "b"}], "output.items")
    with raises(TypeError, "output.items[0].price", "expected a number"):
        items([{"name": "a", "price": "1"}], "output.items")


def test_constraints_check_lengths_patterns_and_ranges():
    with pytest.raises(ValueError, match="^`name` has 0 characters, fewer than 1$"):
        Item(name="", price=1)
    with pytest.raises(ValueError, match="^`price` is 100.5, more than 100$"):
        Item(name="a", price=100.5)
    with pytest.raises(ValueError, match="^`items` has 4 items, more than 3$"):
        Order(id="123", items=[Item(name="a", price=1)] * 4)
    # @pattern searches, as documented: "x123y" holds a match.
    assert Order(id="x123y").id == "x123y"
    with pytest.raises(ValueError, match=r'^`id` does not match /\[0-9\]\{3\}/: "12"$'):
        Order(id="12")


def test_constraints_pass_null_and_ignore_booleans_in_ranges():
    check = c.constraints(min_len=1, minimum=2, maximum=3, pattern="a")
    field = attrs.fields(Item).name
    check(None, field, None)
    check(None, field, True)
    with pytest.raises(ValueError, match="fewer than 1"):
        check(None, field, [])
    with pytest.raises(ValueError, match="`name` has 0 items"):
        check(None, field, {})


def test_constraints_name_a_field_by_its_pops_name():
    check = c.constraints(max_len=1)
    with pytest.raises(ValueError, match="^`class` has 2 characters"):
        check(None, attrs.fields(Order).class_, "ab")


# ---- plain_inputs ---------------------------------------------------------------------------


def test_plain_inputs_turns_records_and_enums_into_json_data():
    order = Order(id="123", priority=Priority.high,
                  items=[Item(name="pan", price=3.0), Item(name="pot", price=1.5)],
                  labels={"x": Shade.dark}, class_="A")
    plain = c.plain_inputs({"order": order, "level": Shade.light, "note": None,
                            "tags": ("a", "b"), "n": 3, "by_name": {"k": [Priority.low]}})
    assert plain == {
        "order": {"id": "123", "priority": "high",
                  "items": [{"name": "pan", "price": 3.0}, {"name": "pot", "price": 1.5}],
                  "labels": {"x": "DARK"}, "class": "A"},
        "level": "LIGHT", "note": None, "tags": ["a", "b"], "n": 3, "by_name": {"k": ["low"]},
    }
    assert json.loads(json.dumps(plain)) == plain
    assert input_json(plain).startswith('{"by_name":{"k":["low"]},"level":"LIGHT"')


def test_plain_inputs_round_trip_through_the_converters():
    order = Order(id="456", priority=Priority.high, items=[Item(name="pan", price=2.0)],
                  labels={"a": Shade.light})
    plain = c.plain_inputs({"order": order})["order"]
    fields = c.fields(plain, "input.order", ("id",))
    again = c.construct(
        Order, "input.order", id=c.string(fields["id"], "input.order.id"),
        priority=c.member(Priority)(fields["priority"], "input.order.priority"),
        items=c.list_of(item_from)(fields["items"], "input.order.items"),
        labels=c.map_of(c.member(Shade))(fields["labels"], "input.order.labels"),
        class_=c.optional(c.string)(fields["class"], "input.order.class"))
    assert again == order


# ---- properties -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                 max_size=4),
    max_leaves=12)

SCALARS = {
    c.string: lambda v: isinstance(v, str),
    c.integer: lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    c.number: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    c.boolean: lambda v: isinstance(v, bool),
}


@given(JSON, st.sampled_from(list(SCALARS)))
def test_a_scalar_converter_accepts_exactly_its_kind_and_names_the_path(value, convert):
    where = "output.items[2].x"
    if SCALARS[convert](value):
        assert convert(value, where) == value
    else:
        with pytest.raises(TypeError) as caught:
            convert(value, where)
        assert str(caught.value).startswith(f"{where}: expected ")


@given(JSON)
def test_any_json_answer_parses_bare_or_fenced(value):
    text = json.dumps(value, ensure_ascii=False)
    assert c.parse_json(text) == value
    assert c.parse_json(f"```json\n{text}\n```") == value
    assert c.unwrap(c.parse_json(json.dumps({"value": value}))) == value


@given(st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=6))
def test_list_of_integer_fails_at_the_first_item_that_is_not_one(values):
    strings = [i for i, v in enumerate(values) if isinstance(v, str)]
    if not strings:
        assert c.list_of(c.integer)(values, "output.items") == values
        return
    with pytest.raises(TypeError) as caught:
        c.list_of(c.integer)(values, "output.items")
    assert str(caught.value).startswith(f"output.items[{strings[0]}]: expected an integer")
