"""Checks of intents, prompt tests, `test intents` and environments: every diagnostic
they emit, where it points and what it says, and the clean programs that must stay clean.

Programs are built directly (parse, declare, check) so these tests do not depend on the
driver. Line numbers count from the first line of each dedented source."""

from __future__ import annotations

import textwrap

from promptlang.checks import environments
from promptlang.checks import intents
from promptlang.checks import tests as test_checks
from promptlang.checks.context import Ctx
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.sink import Sink
from promptlang.resolve import Program
from promptlang.source import SourceFile
from promptlang.syntax import nodes as n
from promptlang.syntax.parser import parse

LIB = """\
enum Category { billing, shipping, returns }
type Reply {
  answer: string @max_len(20)
  escalate: bool
  confidence: float @range(0, 1)
  category: Category
  tags: list<string> = []
  meta: map<string, string> = {}
  note: string?
}
type Ticket { id: string @pattern("^T-[0-9]+$"), body: string, priority: int = 1 }
prompt answer_ticket(ticket: Ticket, tone: string = "friendly") -> Reply {}
prompt refund_reply(order_id: string, message: string, amount: float?, category: Category = billing) {}
model fast { provider = "openai" }
"""
IMPORTS = "from lib import answer_ticket, refund_reply, fast, Category\n"
CHECKS = {
    n.Intent: intents.check_intent,
    n.Test: test_checks.check_test,
    n.IntentTests: test_checks.check_intent_tests,
    n.Environment: environments.check_environment,
}
DIGEST = "sha256:" + "0123456789abcdef" * 4


def build(modules: dict[str, str]) -> tuple[Program, dict[str, Sink]]:
    """A declared program of the given modules, which must parse and declare cleanly."""
    sources = {name: SourceFile(f"{name}.pops", text, name) for name, text in modules.items()}
    sinks = {name: Sink() for name in modules}
    asts = {name: parse(sources[name], sinks[name]) for name in modules}
    program = Program(sources, asts, {}, None, sinks)
    program.declare_all()
    for name, sink in sinks.items():
        assert not len(sink), (name, sink.sorted())
    return program, sinks


def check(main: str, **others: str) -> tuple[SourceFile, list[Diagnostic]]:
    """Check every intent, test and environment of `main` (after `IMPORTS`, so its own
    lines start at 2) and the collisions of the whole program; `main`'s diagnostics."""
    modules = {"main": IMPORTS + textwrap.dedent(main).lstrip("\n"), "lib": LIB, **others}
    program, sinks = build(modules)
    scope = program.scopes["main"]
    ctx = Ctx(program, scope, sinks["main"])
    for decl in scope.ast.decls:
        if type(decl) in CHECKS:
            CHECKS[type(decl)](ctx, decl)
    intents.check_intent_collisions(program, sinks)
    return scope.source, sinks["main"].sorted()


def run(main: str, **others: str) -> list[tuple[str, tuple[int, int], str]]:
    """Code, line and column, and message of each diagnostic of `main`."""
    source, found = check(main, **others)
    return [(d.code, source.line_col(d.span.start), d.message) for d in found]


def codes(main: str, **others: str) -> list[str]:
    return [code for code, _, _ in run(main, **others)]


def helps(main: str, **others: str) -> list[tuple[str, str, str | None]]:
    """Code, message and help of each diagnostic of `main`: the fix it offers."""
    return [(d.code, d.message, d.help) for d in check(main, **others)[1]]


# ---- intents ---------------------------------------------------------------------------

REFUND_INTENT = """
intent refund_request {
  examples = [
    "I want my money back",
    "refund order {order_id}",
    "can I return order {order_id} for a refund?",
  ]
  slots { order_id: string @pattern("^[0-9]{6}$") }
  route = refund_reply(order_id = order_id, message = input)
  threshold = 0.75
  description = "A customer wants a refund"
}
"""


def test_intent_from_the_language_tour_is_clean():
    assert run(REFUND_INTENT) == []


def test_undeclared_slot_points_at_the_placeholder_and_suggests_the_declared_one():
    found = run("""
        intent refund_request {
          examples = ["refund order {ordr_id}", "money back", "refund {order_id}"]
          slots { order_id: string }
        }
        """)
    assert found == [("E0401", (3, 29), "slot `ordr_id` is not declared")]


def test_misspelt_placeholder_does_not_also_report_the_slot_as_unused():
    found = run("""
        intent refund_request {
          examples = ["refund order {ordr_id}", "money back", "give me a refund"]
          slots { order_id: string }
        }
        """)
    assert found == [("E0401", (3, 29), "slot `ordr_id` is not declared")]


def test_placeholder_span_is_exact_after_escapes_and_in_triple_strings():
    found = run('''
        intent a {
          examples = [
            "say \\"hi\\" {x}",
            """
              multi {y} line
            """,
            "c",
          ]
        }
        ''')
    assert found == [
        ("E0401", (4, 17), "slot `x` is not declared"),
        ("E0401", (6, 13), "slot `y` is not declared"),
    ]


def test_unused_slot_is_a_warning_at_its_name():
    found = run("""
        intent refund_request {
          examples = ["refund order {order_id}", "money back", "give me a refund"]
          slots { order_id: string, reason: string }
        }
        """)
    assert found == [("W0402", (4, 29), "slot `reason` is used in no example")]


def test_slot_types_must_be_readable_from_text():
    found = run("""
        intent a {
          examples = ["x {tags}", "y {cat}", "z {n}"]
          slots { tags: list<string>, cat: Category?, n: int = "one" }
        }
        """)
    assert found == [
        ("E0301", (4, 17), "slot `tags` cannot have type `list<string>`"),
        ("E0301", (4, 56), "expected `int`, found a string"),
    ]


def test_fewer_than_three_examples_warns_and_none_is_an_error():
    found = run("""
        intent a { examples = ["one", "two"] }
        intent b { examples = [] }
        intent c { threshold = 0.5 }
        intent d { examples = ["x", 3, "y"] }
        """)
    assert found == [
        ("W0405", (2, 12), "intent `a` has only 2 examples"),
        ("E0306", (3, 23), "intent `b` has no examples"),
        ("E0306", (4, 8), "intent `c` has no `examples`"),
        ("E0301", (5, 29), "examples must be strings, found a whole number"),
    ]


def test_intent_settings_are_checked():
    found = run("""
        intent a {
          examples = ["x", "y", "z"]
          threshold = 1.5
          description = 3
          bogus = 1
          slots { }
          slots { }
        }
        """)
    assert found == [
        ("E0307", (4, 15), "`threshold` must be from 0 to 1, found 1.5"),
        ("E0301", (5, 17), "`description` must be a string, found a whole number"),
        ("E0305", (6, 3), "unknown setting `bogus` in intent `a`"),
        ("E0210", (8, 3), "`slots` is given twice"),
    ]


def test_route_missing_a_required_parameter():
    found = run("""
        intent refund_request {
          examples = ["refund {order_id}", "money back", "a refund please"]
          slots { order_id: string }
          route = refund_reply(message = input)
        }
        """)
    assert found == [("E0403", (5, 11), "route to `refund_reply` does not give `order_id`")]


def test_route_missing_parameters_are_all_named():
    found = helps("""
        intent refund_request {
          examples = ["refund {order_id}", "money back", "a refund please"]
          slots { order_id: string }
          route = refund_reply()
        }
        """)
    assert found == [("E0403", "route to `refund_reply` does not give `order_id` and `message`",
                      "add `order_id = order_id` to the route")]


def test_misspelt_route_parameter_is_one_error_not_also_a_missing_one():
    """`order` for `order_id`: the unknown parameter suggests `order_id`, and `order_id`
    is not reported as left out as well."""
    found = helps("""
        intent refund_request {
          examples = ["refund {order_id}", "money back", "a refund please"]
          slots { order_id: string }
          route = refund_reply(order = order_id, message = input)
        }
        """)
    assert found == [("E0403", "prompt `refund_reply` has no parameter `order`",
                      "did you mean `order_id`?")]


def test_unknown_route_parameter_without_a_suggestion_lists_all_parameters():
    found = helps("""
        intent refund_request {
          examples = ["refund {order_id}", "money back", "a refund please"]
          slots { order_id: string }
          route = refund_reply(order_id = order_id, message = input, zzz = 1)
        }
        """)
    assert found == [("E0403", "prompt `refund_reply` has no parameter `zzz`",
                      "its parameters are `order_id`, `message`, `amount` and `category`")]


def test_route_arguments_are_named_known_and_typed():
    found = run("""
        intent a {
          examples = ["refund {order_id}", "pay {n}", "refund now"]
          slots { order_id: string, n: int }
          route = refund_reply(order_id, message = n, tone = input, category = shiping, amount = "x")
        }
        """)
    assert found == [
        ("E0403", (5, 24), "route arguments must be named"),
        ("E0403", (5, 44), "`n` is `int`, but parameter `message` is `string`"),
        ("E0403", (5, 47), "prompt `refund_reply` has no parameter `tone`"),
        ("E0209", (5, 72), "enum `Category` has no member `shiping`"),
        ("E0301", (5, 90), "expected `float`, found a string"),
    ]


def test_route_values_name_a_slot_or_input():
    found = run("""
        intent a {
          examples = ["refund {order_id}", "x", "y"]
          slots { order_id: string }
          route = refund_reply(order_id = order_id, message = inptu, order_id = "1")
        }
        """)
    assert found == [
        ("E0203", (5, 55), "unknown slot `inptu`"),
        ("E0210", (5, 62), "`order_id` is given twice"),
    ]


def test_route_must_call_a_prompt():
    found = run("""
        intent a { examples = ["x", "y", "z"], route = "refund_reply" }
        intent b { examples = ["x1", "y1", "z1"], route = refund_rply(message = input) }
        intent c { examples = ["x2", "y2", "z2"], route = fast(message = input) }
        """)
    assert found == [
        ("E0403", (2, 48), "`route` must call a prompt"),
        ("E0203", (3, 51), "unknown prompt `refund_rply`"),
        ("E0208", (4, 51), "`fast` is a model, not a prompt"),
    ]


def test_route_through_a_module_alias():
    found = run("""
        import lib
        intent a {
          examples = ["refund {order_id}", "x", "y"]
          slots { order_id: string }
          route = lib.refund_reply(order_id = order_id, message = input, category = returns)
        }
        """)
    assert found == []


def test_same_example_in_two_intents_is_reported_on_the_later_one():
    found = run("""
        intent first { examples = ["Refund order {order_id}", "b", "c"], slots { order_id: string } }
        intent second { examples = ["x", "refund   ORDER {id}!", "y"], slots { id: string } }
        """)
    assert found == [("E0404", (3, 34), "example of `second` is also an example of `first`")]


def test_collision_secondary_label_points_at_the_first_example():
    program, sinks = build({
        "a": 'intent one { examples = ["hello there", "x", "y"] }\n',
        "b": 'intent two { examples = ["p", "Hello, there!", "q"] }\n',
    })
    intents.check_intent_collisions(program, sinks)
    assert len(sinks["a"]) == 0
    [found] = sinks["b"].sorted()
    assert (found.code, found.message) == ("E0404", "example of `two` is also an example of `a.one`")
    [label] = found.secondary
    assert (label.span.file, label.span.start, label.message) == (
        "a.pops", 25, "also an example of `a.one` here")


def test_collision_is_reported_in_module_order_whatever_the_dict_order():
    modules = {
        "b": 'intent two { examples = ["p", "hello", "q"] }\n',
        "a": 'intent one { examples = ["hello", "x", "y"] }\n',
    }
    program, sinks = build(modules)
    intents.check_intent_collisions(program, dict(reversed(list(sinks.items()))))
    assert [d.code for d in sinks["b"].sorted()] == ["E0404"] and len(sinks["a"]) == 0


def test_repeated_example_in_one_intent_is_a_duplicate_entry():
    found = run("""
        intent a { examples = ["where is my parcel", "x", "Where is my parcel?"] }
        """)
    assert found == [("E0210", (2, 51), "example repeats an earlier example of `a`")]


def test_normalise_ignores_case_spacing_punctuation_and_slot_names():
    assert intents.normalise("  Refund,  ORDER {order_id}!") == "refund order {}"
    assert intents.normalise("refund order {id}") == "refund order {}"


# ---- prompt tests ----------------------------------------------------------------------------

TOUR_TEST = """
test "refund request escalates" for answer_ticket {
  given {
    ticket = { id: "T-1", body: "I want a refund!", priority: 3 }
    tone = "calm"
  }
  model = fast
  description = "escalates refunds"
  expect output.escalate == true
  expect output.answer contains "refund"
  expect output.answer not matches /guarantee/i
  expect output.answer similar_to "We have passed it on." >= 0.7
  expect rubric "Polite, does not promise a date"
  expect latency < 2s
  expect tokens <= 500
  expect cost < 0.01
  expect output.category == shipping
  expect output.category in [billing, returns]
  expect output.tags contains "vip"
  expect output.meta.lang == "en"
  expect output.note == null
  expect output.confidence >= 0.5
}
"""


def test_prompt_test_from_the_language_tour_is_clean():
    assert run(TOUR_TEST) == []


def test_given_checks_parameter_names_and_values():
    found = run("""
        test "t" for answer_ticket {
          given {
            tickt = { id: "T-1", body: "x" }
            tone = 3
          }
          expect latency < 2s
        }
        """)
    assert found == [
        ("E0204", (4, 5), "prompt `answer_ticket` has no parameter `tickt`"),
        ("E0301", (5, 12), "expected `string`, found a whole number"),
    ]


def test_misspelt_given_parameter_is_one_error_not_also_a_missing_one():
    """`tickt` suggests `ticket`, so `ticket` is not also missing; a name close to
    nothing still leaves the required parameter missing."""
    assert helps("""
        test "t" for answer_ticket {
          given { tickt = { id: "T-1", body: "x" } }
          expect latency < 2s
        }
        test "u" for answer_ticket {
          given { zzz = 1 }
          expect latency < 2s
        }
        """) == [
        ("E0204", "prompt `answer_ticket` has no parameter `tickt`", "did you mean `ticket`?"),
        ("E0406", "test does not give `ticket` to `answer_ticket`", "add `ticket = ...` to `given`"),
        ("E0204", "prompt `answer_ticket` has no parameter `zzz`",
         "its parameters are `ticket` and `tone`"),
    ]


def test_misspelt_object_field_is_one_error_not_also_a_missing_one():
    """`bdy` in an object of `Ticket` suggests `body`, and `body` is not also reported
    missing; with no suggestion, the help lists all fields and the field is missing."""
    assert helps("""
        test "t" for answer_ticket {
          given { ticket = { id: "T-1", bdy: "x" } }
          expect latency < 2s
        }
        test "u" for answer_ticket {
          given { ticket = { id: "T-1", zzz: "x" } }
          expect latency < 2s
        }
        """) == [
        ("E0204", "record `Ticket` has no field `bdy`", "did you mean `body`?"),
        ("E0306", "missing field `body` of `Ticket`",
         "give every field that has no default and is not optional"),
        ("E0204", "record `Ticket` has no field `zzz`",
         "its fields are `id`, `body` and `priority`"),
    ]


def test_given_values_are_checked_against_records_and_enums():
    found = run("""
        test "t" for answer_ticket {
          given { ticket = { id: "X-1", body: "x", prio: 1 } }
          expect latency < 2s
        }
        """)
    assert found == [
        ("E0308", (3, 26), 'string does not match `@pattern("^T-[0-9]+$")`'),
        ("E0204", (3, 44), "record `Ticket` has no field `prio`"),
    ]


def test_missing_required_parameters():
    found = run("""
        test "with given" for refund_reply {
          given { message = "hi" }
          expect output contains "x"
        }
        test "without given" for refund_reply {
          expect output contains "x"
        }
        """)
    assert found == [
        ("E0406", (3, 3), "test does not give `order_id` to `refund_reply`"),
        ("E0406", (6, 6), "test does not give `order_id` and `message` to `refund_reply`"),
    ]


def test_test_target_and_model_are_resolved():
    found = run("""
        test "a" for answer_tikcet { expect latency < 2s }
        test "b" for fast { expect latency < 2s }
        test "c" for refund_reply {
          given { order_id = "1", message = "m" }
          model = "fast"
          expect latency < 2s
        }
        test "d" for refund_reply {
          given { order_id = "1", message = "m" }
          model = answer_ticket
          expect latency < 2s
        }
        """)
    assert found == [
        ("E0203", (2, 14), "unknown prompt `answer_tikcet`"),
        ("E0208", (3, 14), "`fast` is a model, not a prompt"),
        ("E0301", (6, 11), "`model` must name a model, found a string"),
        ("E0208", (11, 11), "`answer_ticket` is a prompt, not a model"),
    ]


def test_test_without_expect_warns_at_its_title():
    found = run("""
        test "nothing" for answer_ticket {
          given { ticket = { id: "T-1", body: "x" } }
        }
        """)
    assert found == [("W0409", (2, 6), "test has no `expect` line")]


GIVEN = 'given { ticket = { id: "T-1", body: "x" } }'


def expectations(*lines: str) -> list[tuple[str, tuple[int, int], str]]:
    """Diagnostics of `expect` lines in a valid test of `answer_ticket`; line 4 is the first."""
    body = "\n".join(f"  expect {line}" for line in lines)
    return run(f'test "t" for answer_ticket {{\n  {GIVEN}\n{body}\n}}\n')


def test_output_fields_are_resolved_through_the_output_record():
    assert expectations("output.escalat == true", "output.answer.size == 1") == [
        ("E0204", (4, 17), "record `Reply` has no field `escalat`"),
        ("E0204", (5, 24), "`output.answer` is `string` and has no field `size`"),
    ]


def test_free_text_output_has_no_fields():
    found = run("""
        test "t" for refund_reply {
          given { order_id = "1", message = "m" }
          expect output.answer == "x"
        }
        """)
    assert found == [("E0204", (4, 17), "`string` output has no field `answer`")]


def test_compared_values_are_checked_against_the_field_type():
    """A value of the wrong type compared with the output is a bad comparison (E0317),
    whichever operator compares it; constraints and members are checked as for any value."""
    assert expectations(
        "output.category == urgent",
        'output.answer == "this answer is far too long to fit"',
        "output.confidence == 2",
        'output.escalate != "yes"',
        'output.confidence > "high"',
        "output.tags contains 1",
        'output.category in [billing, "returns"]',
        "output.tags == [1]",
    ) == [
        ("E0209", (4, 29), "enum `Category` has no member `urgent`"),
        ("E0308", (5, 27), "string is 34 characters long, longer than `@max_len(20)`"),
        ("E0308", (6, 31), "2 is outside `@range(0, 1)`"),
        ("E0317", (7, 29), "expected `bool`, found a string"),
        ("E0317", (8, 30), "expected `float`, found a string"),
        ("E0317", (9, 31), "expected `string`, found a whole number"),
        ("E0317", (10, 39), "expected `Category`, found a string"),
        ("E0317", (11, 26), "expected `string`, found a whole number"),
    ]


def test_free_text_output_compared_with_equals_warns():
    """`output == "..."` on a prompt returning free text passes only on the exact text:
    W0320 on the operator. `contains`, `!=` and structured outputs do not warn."""
    found = run("""
        test "t" for refund_reply {
          given { order_id = "1", message = "m" }
          expect output == "Your refund is on its way."
          expect output contains "refund"
          expect output != "error"
        }
        test "u" for answer_ticket {
          given { ticket = { id: "T-1", body: "x" } }
          expect output.answer == "ok"
        }
        """)
    assert found == [("W0320", (4, 17), "comparing free-text output with `==` is brittle")]


def test_operators_need_operands_they_apply_to():
    assert expectations(
        "output.answer < 3",
        'output.escalate contains "x"',
        "output.confidence matches /x/",
        'output.escalate similar_to "x" >= 0.5',
    ) == [
        ("E0317", (4, 24), "`<` needs numbers, but `output.answer` is `string`"),
        ("E0317", (5, 26), "`contains` needs text or a list, but `output.escalate` is `bool`"),
        ("E0317", (6, 28), "`matches` needs text, but `output.confidence` is `float`"),
        ("E0317", (7, 10), "`similar_to` compares text, but `output.escalate` is `bool`"),
    ]


def test_matches_takes_a_valid_regex():
    assert expectations('output.answer matches "abc"', "output.answer not matches /(/") == [
        ("E0301", (4, 32), "expected a regular expression, found a string"),
        ("E0309", (5, 36), "invalid regular expression: missing ), unterminated subpattern"),
    ]


def test_similar_to_takes_a_string_and_a_threshold_from_0_to_1():
    assert expectations(
        "output.answer similar_to 3 >= 0.5",
        'output.answer similar_to "x" >= 70%',
        'output.answer similar_to "x" > 1.5',
    ) == [
        ("E0301", (4, 35), "the reference of `similar_to` must be a string, found a whole number"),
        ("E0301", (5, 42), "similarity must be a number from 0 to 1, found a percentage"),
        ("E0307", (6, 41), "similarity must be from 0 to 1, found 1.5"),
    ]


def test_rubric_takes_criteria_text():
    assert expectations('rubric ""', 'judge "polite"') == [
        ("E0301", (4, 17), "`rubric` takes the criteria as text, found an empty string"),
        ("E0407", (5, 10), "unknown expectation `judge`"),
    ]


def test_budgets_are_upper_bounds_of_the_right_kind():
    assert expectations("latency > 2s", "tokens < 1.5", "cost < 0", "latency < 2") == [
        ("E0407", (4, 18), "`latency` can only be bounded with `<` or `<=`"),
        ("E0317", (5, 19), "`tokens` is measured as a whole number, found a number"),
        ("E0307", (6, 17), "`cost` must be bounded by more than zero"),
        ("E0317", (7, 20), "`latency` is measured as a duration, found a whole number"),
    ]


def test_anything_else_is_not_an_expectation():
    assert expectations(
        'outptu.answer == "x"',
        "output.escalate",
        'output.escalate == true and output.answer contains "x"',
        "not output.escalate",
    ) == [
        ("E0407", (4, 10), "an expectation reads `output`, `latency`, `tokens` or `cost`"),
        ("E0407", (5, 10), "not an assertion a test can check"),
        ("E0407", (6, 10), "not an assertion a test can check"),
        ("E0407", (7, 10), "not an assertion a test can check"),
    ]


def test_a_subject_written_alone_gets_an_assertion_that_fits_its_type():
    """`expect x` with no comparison: the help shows an assertion `x` can take, never
    `== true` on text or `==` on a budget."""
    found = helps(f"""
        test "t" for answer_ticket {{
          {GIVEN}
          expect output.escalate
          expect output.answer
          expect output.confidence
          expect output.category
          expect output.tags
          expect output
          expect latency
          expect tokens
          expect cost
          expect output.answr
        }}
        test "u" for refund_reply {{
          given {{ order_id = "1", message = "m" }}
          expect output
        }}
        """)
    assert [help for _, _, help in found] == [
        "for example `expect output.escalate == true`",
        'for example `expect output.answer contains "..."` or `expect output.answer == "..."`',
        "for example `expect output.confidence >= 0.8`",
        "for example `expect output.category == billing`",
        'for example `expect output.tags contains "..."`',
        'for example `expect output.answer contains "..."`',
        "a budget is an upper bound: `expect latency < 2s`",
        "a budget is an upper bound: `expect tokens < 500`",
        "a budget is an upper bound: `expect cost < 0.01`",
        test_checks.EXPECT_FORMS,
        'for example `expect output contains "..."` or `expect output similar_to "..." >= 0.8`',
    ]
    assert {code for code, _, _ in found} == {"E0407"}


# ---- test intents --------------------------------------------------------------------------

INTENTS = REFUND_INTENT + """
intent greeting { examples = ["hi", "hello", "hey"] }
"""


def test_intent_tests_from_the_language_tour_are_clean():
    assert run(INTENTS + """
        test intents {
          "I want my money back" -> refund_request
          "refund order 123456" -> refund_request(order_id = "123456")
          "what's the weather" -> none
        }
        """) == []


def test_intent_test_targets_must_be_intents_or_none():
    found = run(INTENTS + """
test intents {
  "a" -> refund_reqest
  "b" -> fast
  "c" -> null
  "d" -> "greeting"
  "e" -> none(x = 1)
}
""")
    assert found == [
        ("E0203", (17, 10), "unknown intent `refund_reqest`"),
        ("E0208", (18, 10), "`fast` is a model, not an intent"),
        ("E0408", (19, 10), "expected an intent or `none`, found `null`"),
        ("E0408", (20, 10), "expected an intent or `none`, found a string"),
        ("E0408", (21, 10), "`none` takes no slot values"),
    ]


def test_intent_test_slots_are_named_declared_and_typed():
    found = run(INTENTS + """
test intents {
  "a" -> refund_request(order_id = "12")
  "b" -> refund_request(ordr = "123456")
  "c" -> refund_request("123456")
  "d" -> greeting(x = 1)
  "e" -> refund_request(order_id = "123456", order_id = "654321")
}
""")
    assert found == [
        ("E0308", (17, 36), 'string does not match `@pattern("^[0-9]{6}$")`'),
        ("E0204", (18, 25), "intent `refund_request` has no slot `ordr`"),
        ("E0408", (19, 25), "slot values must be named"),
        ("E0204", (20, 19), "intent `greeting` has no slot `x`"),
        ("E0210", (21, 46), "`order_id` is given twice"),
    ]


def test_intent_test_lines_must_be_mappings_and_texts_unique():
    found = run(INTENTS + """
test intent {
  "hi" -> greeting
  "hi" -> none
  expect x == 1
}
""")
    assert found == [
        ("E0408", (16, 6), "unknown test kind `intent`"),
        ("E0210", (18, 3), "the same text is tested twice"),
        ("E0408", (19, 3), 'expected `"text" -> intent` here'),
    ]


# ---- environments ----------------------------------------------------------------------------

PRODUCTION = f"""
environment production {{
  region = "eu-west-1"
  description = "customer traffic"
  kubernetes {{
    namespace = "prompts"
    image = "ghcr.io/acme/support-gateway@{DIGEST}"
    replicas = 2..10
    port = 8080
    autoscale {{ cpu = 70%, memory = 80% }}
    resources {{
      cpu = "500m"
      memory = "512Mi"
      limits {{ cpu = 2, memory = "1Gi" }}
    }}
  }}
  secrets {{ OPENAI_API_KEY = vault("secret/data/llm", "openai"), OTHER_KEY = env("OTHER_KEY") }}
  monitor {{
    slo latency_p95 < 1500ms
    slo error_rate < 1%
    slo intent_match_rate > 90%
    alert policy_violations > 0 for 5m
    alert cost > 0.5 for 1h
  }}
  rollout canary {{ weight = 10%, prompts = [answer_ticket, lib.refund_reply] }}
}}
"""


def test_environment_from_the_language_tour_is_clean_when_pinned_by_digest():
    assert run("import lib\n" + PRODUCTION) == []


def test_image_by_tag_warns_and_a_malformed_image_is_an_error():
    found = run("""
        environment a { kubernetes { image = "ghcr.io/acme/gw:1.4.0" } }
        environment b { kubernetes { image = "ghcr.io/acme/gw@sha256:abc" } }
        environment c { kubernetes { image = "" } }
        """)
    assert found == [
        ("W0603", (2, 38), "image `ghcr.io/acme/gw:1.4.0` is not pinned by digest"),
        ("E0308", (3, 38), "image digest is not `sha256:` and 64 hex digits"),
        ("E0301", (4, 38), "`image` must be a container image reference, found an empty string"),
    ]


def test_image_warning_suggests_the_digest_form():
    program, sinks = build({"main": 'environment a { kubernetes { image = "localhost:5000/gw:1" } }\n'})
    ctx = Ctx(program, program.scopes["main"], sinks["main"])
    environments.check_environment(ctx, program.scopes["main"].ast.decls[0])
    [found] = sinks["main"].sorted()
    assert found.help == 'pin it: `"localhost:5000/gw@sha256:<digest>"`'


def test_kubernetes_settings_are_checked():
    found = run("""
        environment a {
          kubernetes {
            namespace = "Prompts_Team"
            replicas = 0
            port = 70000
          }
        }
        environment b { kubernetes { replicas = 5..2 } }
        environment c { kubernetes { replicas = "2" } }
        """)
    assert found == [
        ("E0308", (4, 17), "namespace `Prompts_Team` is not a valid Kubernetes name"),
        ("E0307", (5, 16), "`replicas` must be 1 or more, found 0"),
        ("E0307", (6, 12), "`port` must be from 1 to 65535, found 70000"),
        ("E0307", (9, 41), "empty range: 5 is greater than 2"),
        ("E0301", (10, 41), '`replicas` must be a whole number or a range, found a string'),
    ]


def test_autoscale_needs_a_replica_range_and_a_target():
    found = run("""
        environment a { kubernetes { replicas = 3, autoscale { cpu = 50% } } }
        environment b { kubernetes { replicas = 1..3, autoscale { } } }
        """)
    assert found == [
        ("E0306", (2, 44), "`autoscale` needs a range of replicas"),
        ("E0306", (3, 47), "`autoscale` sets no target"),
    ]


def test_resources_are_kubernetes_quantities():
    found = run("""
        environment a {
          kubernetes {
            resources {
              cpu = "half"
              memory = 512
              limits { memory = "1Gb" }
              requests { gpu = 1 }
            }
          }
        }
        """)
    assert found == [
        ("E0308", (5, 13), "`half` is not a Kubernetes cpu quantity"),
        ("E0301", (6, 16), "`memory` must be a quantity string, found a whole number"),
        ("E0308", (7, 25), "`1Gb` is not a Kubernetes memory quantity"),
        ("E0305", (8, 18), "unknown setting `gpu` in `requests`"),
    ]


def test_secrets_are_references_never_values():
    found = run("""
        environment a {
          secrets {
            OPENAI_API_KEY = "sk-123"
            openai_key = env("OPENAI_API_KEY")
            B = env("A", "B")
            C = vault("only")
            D = envv("X")
            E = env("not a name")
          }
        }
        """)
    assert found == [
        ("E0310", (4, 22), "secret `OPENAI_API_KEY` is written as a value"),
        ("E0308", (5, 5), "secret name `openai_key` is not in upper snake case"),
        ("E0315", (6, 9), "`env` takes one string: the variable's name"),
        ("E0315", (7, 9), "`vault` takes two strings: the secret's path and key"),
        ("E0301", (8, 9), "secret `D` must be `env(...)` or `vault(...)`, found a call"),
        ("E0308", (9, 13), "`not a name` is not an environment variable name"),
    ]


def test_monitor_metrics_and_their_values():
    found = run("""
        environment a {
          monitor {
            slo latency_p96 < 1s
            slo error_rate < 1s
            slo error_rate == 1%
            slo error_rate < 120%
            slo latency_p50
          }
        }
        """)
    assert found == [
        ("E0602", (4, 9), "unknown metric `latency_p96`"),
        ("E0301", (5, 22), "`error_rate` is measured as a percentage, found a duration"),
        ("E0317", (6, 20), "`slo` compares with `<`, `<=`, `>` or `>=`"),
        ("E0307", (7, 22), "`error_rate` must be from 0% to 100%"),
        ("E0318", (8, 9), "`slo` expects a metric compared with a bound"),
    ]


def test_for_is_a_duration_and_only_on_alerts():
    found = run("""
        environment a {
          monitor {
            alert cost > 0.5 for 3
            slo tokens < 10 for 5m
            notify error_rate > 1%
          }
        }
        """)
    assert found == [
        ("E0301", (4, 26), "`for` must be a positive duration, found a whole number"),
        ("E0318", (5, 25), "`for` applies only to `alert`, not `slo`"),
        ("E0318", (6, 5), "unexpected `notify` line in `monitor`"),
    ]


def test_rollout_is_a_canary_with_a_weight_and_known_prompts():
    found = run("""
        environment a { rollout blue { weight = 10% } }
        environment b { rollout { weight = 10% } }
        environment c { rollout canary { prompts = ["answer_ticket", refund_reply, refund_reply, nope] } }
        environment d { rollout canary { weight = 120% } }
        """)
    assert found == [
        ("E0318", (2, 25), "unknown rollout strategy `blue`"),
        ("E0318", (3, 17), "`rollout` needs a strategy"),
        ("E0306", (4, 25), "`rollout canary` has no `weight`"),
        ("E0301", (4, 45), "expected a prompt name, found a string"),
        ("E0210", (4, 76), "`refund_reply` is listed twice"),
        ("E0203", (4, 90), "unknown prompt `nope`"),
        ("E0307", (5, 43), "`weight` must be from 0% to 100%"),
    ]


def test_environment_blocks_are_known_single_and_unlabelled():
    found = run("""
        environment a {
          region = 1
          kubernetes prod { port = 80 }
          kubernetes { port = 81 }
          dashboards { }
        }
        """)
    assert found == [
        ("E0301", (3, 12), "`region` must be a string, found a whole number"),
        ("E0318", (4, 14), "`kubernetes` takes no label"),
        ("E0210", (5, 3), "`kubernetes` is given twice"),
        ("E0318", (6, 3), "unexpected block `dashboards` in environment `a`"),
    ]
