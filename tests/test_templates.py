"""The template checker: the Jinja subset, types of names and fields, filters, calls,
comparisons, narrowing, and which `@pii`/`@secret` values reach the rendered text."""

from __future__ import annotations

import attrs
import pytest

from promptlang.checks.context import Ctx
from promptlang.checks.templates import Binding
from promptlang.checks.templates import check_template
from promptlang.checks.templates import template_signature
from promptlang.diagnostics.sink import Sink
from promptlang.resolve import Program
from promptlang.source import SourceFile
from promptlang.syntax import nodes as n
from promptlang.syntax.parser import parse

TYPES = """\
enum Priority { low, normal, high }
type Person { name: string, email: string? @pii }
type Ticket {
  id: string
  customer: string @pii
  email: string? @pii
  body: string
  priority: Priority = normal
  tags: list<string> = []
  manager: Person?
  meta: map<string, string> = {}
  token: string @secret
  notes: list<string>?
}
template persona(tone: string) \"\"\"
  You are a {{ tone }} support agent.
\"\"\"
template greet(who: string, polite: bool = true) "{{ who }}"
"""


@attrs.frozen
class Result:
    """What checking one template gave: its diagnostics and leaks, in a source."""

    source: SourceFile
    diagnostics: list
    leaks: list
    program: Program

    def at(self, span) -> tuple[int, int]:
        return self.source.line_col(span.start)

    @property
    def found(self) -> list[tuple[str, int, int, str]]:
        return [(d.code, *self.at(d.span), d.message) for d in self.diagnostics]

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.diagnostics]

    def text(self, span) -> str:
        return self.source.text[span.start:span.end]


def build(modules: dict[str, str]) -> tuple[Program, dict[str, Sink]]:
    """A program from source texts, declared but not checked (the driver's first steps)."""
    sources = {m: SourceFile(m.replace(".", "/") + ".pops", text, m) for m, text in modules.items()}
    sinks = {m: Sink() for m in modules}
    asts = {m: parse(sources[m], sinks[m]) for m in modules}
    program = Program(sources, asts, {}, None, sinks)
    program.declare_all()
    return program, sinks


def check(decl_text: str, name: str = "t", module: str = "m", extra: dict | None = None) -> Result:
    """Check template `name` of a module made of TYPES and `decl_text`."""
    text = TYPES + decl_text
    program, sinks = build({module: text, **(extra or {})})
    scope, sink = program.scopes[module], sinks[module]
    assert not sink.has_errors(), sink.sorted()
    decl = next(d for d in scope.ast.decls if isinstance(d, n.Template) and d.name.value == name)
    params = program.fields_of(scope, decl.params, sink)
    bindings = {k: Binding(f.type, f.constraints) for k, f in params.items()}
    leaks = check_template(Ctx(program, scope, sink), decl.body, bindings)
    return Result(scope.source, sink.sorted(), leaks, program)


def body(template_body: str, params: str = "ticket: Ticket") -> Result:
    """Check `template t(params) \"\"\"body\"\"\"`, the body starting on its own line."""
    return check(f'template t({params}) """\n{template_body}\n"""\n')


def line_of(result: Result, needle: str, nth: int = 0) -> tuple[int, int]:
    """Line and column of the `nth` occurrence of `needle` after `template t(`."""
    offset = result.source.text.index("template t(") - 1
    for _ in range(nth + 1):
        offset = result.source.text.index(needle, offset + 1)
    return result.source.line_col(offset)


FIRST = TYPES.count("\n") + 2  # the .pops line of a body's first line, as `body` lays it out


# ---- positions ------------------------------------------------------------------------


def test_unknown_field_on_third_body_line_points_at_the_field_name():
    r = body("Ticket:\n  {{ ticket.id }}\n    {{ ticket.bdy }}")
    assert r.found == [("E0204", FIRST + 2, 15, "record `Ticket` has no field `bdy`")]
    d = r.diagnostics[0]
    assert r.text(d.span) == "bdy"
    assert d.label == "not a field of `Ticket`"
    assert d.help == "did you mean `body`?"


def test_position_with_windows_line_breaks():
    r = check('template t(ticket: Ticket) """\r\n{{ ticket.id }}\r\n  {{ ticket.bdy }}\r\n"""\n')
    assert r.found == [("E0204", FIRST + 1, 13, "record `Ticket` has no field `bdy`")]


def test_single_line_string_with_escapes_maps_exactly():
    r = check('template t(ticket: Ticket) "say \\"{{ ticket.bdy }}\\" \\u{1F600} {{ tiket }}"\n')
    assert [(c, col) for c, _, col, _ in r.found] == [("E0204", 45), ("E0203", 67)]
    assert [r.text(d.span) for d in r.diagnostics] == ["bdy", "tiket"]


# ---- names and fields -------------------------------------------------------------------


def test_unknown_variable_suggests_a_parameter():
    r = body("{{ tikcet.id }}")
    assert r.found == [("E0203", FIRST, 4, "unknown variable `tikcet`")]
    assert r.diagnostics[0].help == "did you mean `ticket`?"


def test_unknown_variable_suggests_a_loop_variable():
    r = body("{% for tag in ticket.tags %}{{ tga }}{% endfor %}")
    assert r.found == [("E0203", FIRST, 32, "unknown variable `tga`")]
    assert r.diagnostics[0].help == "did you mean `tag`?"


def test_loop_variable_is_not_visible_after_the_loop():
    r = body("{% for tag in ticket.tags %}{% endfor %}{{ tag }}")
    assert r.codes == ["E0203"]


def test_field_of_a_string():
    r = body("{{ ticket.body.text }}")
    assert r.found == [("E0204", FIRST, 16, "`string` has no field `text`")]


def test_method_name_as_field_suggests_the_filter():
    r = body("{{ ticket.body.upper }}")
    assert r.diagnostics[0].help == "use the filter: `ticket.body | upper`"


def test_a_template_used_as_a_variable():
    r = body("{{ persona }}")
    assert r.found == [("E0208", FIRST, 4, "`persona` is a template, not a variable")]
    assert r.diagnostics[0].help == "call it: `{{ persona(...) }}`"


def test_unknown_name_gives_one_error_for_the_whole_expression():
    r = body("{{ nope.a.b | upper | truncate(3) }} {% for x in nope.items %}{{ x.y }}{% endfor %}")
    assert r.found == [("E0203", FIRST, 4, "unknown variable `nope`"),
                       ("E0203", FIRST, 50, "unknown variable `nope`")]


def test_loop_attributes():
    r = body("{% for tag in ticket.tags %}{% if loop.first or loop.index > 1 %}"
             "{{ loop.length }}{{ loop.previtem | default(\"\") }}{% endif %}{{ loop.indx }}{% endfor %}")
    assert r.found == [("E0204", line_of(r, "indx")[0], line_of(r, "indx")[1], "`loop` has no field `indx`")]
    assert r.diagnostics[0].help == "did you mean `index`?"


def test_loop_outside_a_for():
    r = body("{{ loop.index }}")
    assert r.found == [("E0203", FIRST, 4, "unknown variable `loop`")]
    assert r.diagnostics[0].help == "`loop` exists only inside `{% for %}`"


# ---- optional values and narrowing --------------------------------------------------------


def test_field_of_an_optional_record_needs_a_check():
    r = body("{{ ticket.manager.name }}")
    assert r.found == [("E0316", FIRST, 19, "`ticket.manager` may be null here")]
    assert r.diagnostics[0].help == "check it first: `{% if ticket.manager %}`"


@pytest.mark.parametrize("guarded", [
    "{% if ticket.manager %}{{ ticket.manager.name }}{% endif %}",
    "{% if ticket.id and ticket.manager %}{{ ticket.manager.name }}{% endif %}",
    "{% if ticket.manager != none %}{{ ticket.manager.name }}{% endif %}",
    "{% if not ticket.manager %}none{% else %}{{ ticket.manager.name }}{% endif %}",
    "{% if not ticket.manager %}none{% elif ticket.id %}{{ ticket.manager.name }}{% endif %}",
    "{{ ticket.manager and ticket.manager.name }}",
    "{% if ticket.manager and ticket.manager.email %}{{ ticket.manager.email | upper }}{% endif %}",
])
def test_a_checked_path_is_not_null_inside_the_check(guarded):
    assert body(guarded).found == []


def test_narrowing_ends_with_the_if():
    r = body("{% if ticket.manager %}{{ ticket.manager.name }}{% endif %}{{ ticket.manager.name }}")
    assert r.codes == ["E0316"]
    assert r.at(r.diagnostics[0].span) == line_of(r, "name", 1)


def test_or_does_not_narrow_its_body():
    r = body("{% if ticket.manager or ticket.id %}{{ ticket.manager.name }}{% endif %}")
    assert r.codes == ["E0316"]


def test_a_test_with_is_is_one_error_and_narrows_its_subject():
    """`x is defined` is outside the subset; what it meant (a check of `x`) is assumed,
    in both branches, so the fields read under it are not reported as well."""
    r = body("{% if ticket.manager is defined %}{{ ticket.manager.name }}"
             "{% else %}{{ ticket.manager.name }}{% endif %}")
    assert r.codes == ["E0108"]
    assert r.diagnostics[0].help == "use the value as a condition: `{% if ticket.manager %}`"
    assert body("{% if ticket.manager is not none %}{{ ticket.manager.name }}{% endif %}"
                ).codes == ["E0108"]


def test_interpolating_an_optional_scalar_needs_a_fallback_or_a_guard():
    """`{{ x }}` with `x: T?` would print `None`; a default or an `if` makes it safe."""
    assert body("{{ ticket.email }}", "ticket: Ticket").codes == ["E0316"]
    assert body('{{ ticket.email | default("") }}', "ticket: Ticket").codes == []
    assert body("{% if ticket.email %}{{ ticket.email }}{% endif %}", "ticket: Ticket").codes == []


# ---- loops ------------------------------------------------------------------------------


def test_loop_over_a_string():
    r = body("{% for t in ticket.body %}{{ t }}{% endfor %}")
    assert r.found == [("E0313", FIRST, 13, "`string` is not a list")]
    assert r.diagnostics[0].label == "`ticket.body` is a `string`"


def test_loop_over_a_map_says_to_use_a_list():
    r = body("{% for k in ticket.meta %}{% endfor %}")
    assert r.found == [("E0313", FIRST, 13, "`map<string, string>` is not a list")]
    assert "list instead" in r.diagnostics[0].help


def test_loop_over_an_optional_list():
    assert body("{% for n in ticket.notes %}{% endfor %}").codes == ["E0316"]
    assert body("{% if ticket.notes %}{% for n in ticket.notes %}{{ n }}{% endfor %}{% endif %}").codes == []


def test_loop_over_a_number_does_not_suggest_interpolating_it():
    """A number is not a count of repetitions, and `{{ n }}` is not what was meant."""
    r = body("{% for star in n %}*{% endfor %}", "n: int")
    assert r.found == [("E0313", FIRST, 16, "`int` is not a list")]
    assert r.diagnostics[0].label == "`n` is an `int`"
    assert r.diagnostics[0].help == \
        "`for` loops over a `list<...>`: pass the items to repeat as a list parameter"


def test_loop_over_a_string_suggests_interpolating_it():
    assert body("{% for c in ticket.body %}{% endfor %}").diagnostics[0].help == \
        "interpolate it instead: `{{ ticket.body }}`"


def test_loop_over_a_record_suggests_its_list_fields():
    r = body("{% for t in ticket %}{% endfor %}")
    assert r.diagnostics[0].help == "loop over one of its lists: `ticket.tags` or `ticket.notes`"


def test_unpacking_a_map_is_one_error_that_says_what_to_do():
    """The unpacking is the mistake: the map is not also reported as not a list, and
    the loop variables do not cascade."""
    r = body("{% for key, value in ticket.meta %}{{ key }}: {{ value.x }}{% endfor %}")
    assert r.found == [("E0108", FIRST, 8, "unpacking in `for` is not supported in templates")]
    assert r.diagnostics[0].help == ("maps cannot be looped over in templates: render it with "
                                     "`{{ ticket.meta | json }}`, or pass a list")


def test_unpacking_still_checks_the_names_of_the_iterable():
    r = body("{% for a, b in tickets %}{% endfor %}")
    assert r.codes == ["E0108", "E0203"]
    assert r.diagnostics[1].help == "did you mean `ticket`?"


def test_loop_variable_has_the_element_type():
    r = body("{% for p in people %}{{ p.name }}{{ p.nme }}{% endfor %}", "people: list<Person>")
    assert r.found == [("E0204", FIRST, 39, "record `Person` has no field `nme`")]


# ---- filters ---------------------------------------------------------------------------


def test_unknown_filter_suggests_one():
    r = body("{{ ticket.id | uper }}")
    assert r.found == [("E0314", FIRST, 16, "unknown filter `uper`")]
    assert r.diagnostics[0].help == "did you mean `upper`?"


def test_string_filter_on_a_list():
    r = body("{{ ticket.tags | upper }}")
    assert r.found == [("E0315", FIRST, 18, "`upper` takes a `string`, found `list<string>`")]


def test_string_filter_on_an_optional_says_default():
    r = body("{{ ticket.email | upper }} {{ ticket.email | default(\"\") | upper }}")
    assert r.codes == ["E0315"]
    assert r.diagnostics[0].help == 'give it a value first: `| default("")`'


@pytest.mark.parametrize("expr, message", [
    ("ticket.body | truncate", "`truncate` takes 1 argument, found 0"),
    ('ticket.body | truncate("x")', "the length of `truncate` must be an `int`, found `string`"),
    ("ticket.tags | join(1)", "the separator of `join` must be a `string`, found `int`"),
    ("ticket.email | default(1)", "the value of `default` must be a `string`, found `int`"),
    ("ticket.priority | length", "`length` takes a `string`, `list` or `map`, found `Priority`"),
    ("ticket.body | join", "`join` takes a `list`, found `string`"),
])
def test_filter_arguments_and_inputs(expr, message):
    r = body("{{ %s }}" % expr)
    assert [(d.code, d.message) for d in r.diagnostics] == [("E0315", message)]


@pytest.mark.parametrize("expr", [
    "ticket.body | upper | lower | title | trim", "ticket.body | truncate(20)",
    'ticket.tags | join(", ")', "ticket.tags | join", 'ticket.email | default("none")',
    "ticket.tags | length", "ticket.meta | length", "ticket | json", "ticket | redact",
    "ticket.priority | upper", "ticket.tags | length > 2",
])
def test_filters_in_the_subset(expr):
    assert body("{{ %s }}" % expr).found == []


# ---- interpolation ----------------------------------------------------------------------


def test_interpolating_a_list():
    r = body("{{ ticket.tags }}")
    assert r.found == [("E0108", FIRST, 4, "a `list<string>` cannot be interpolated")]
    assert r.diagnostics[0].help == 'loop over it with `{% for %}` or use `| join(", ")`'


def test_interpolating_a_record():
    r = body("{{ ticket }}")
    assert r.found == [("E0108", FIRST, 4, "a `Ticket` cannot be interpolated")]
    assert r.diagnostics[0].help == "interpolate its fields, or use `| json`"


# ---- comparisons ---------------------------------------------------------------------------


def test_enum_compared_with_a_member_name():
    assert body('{% if ticket.priority == "high" %}!{% endif %}').found == []


def test_enum_compared_with_an_unknown_member():
    r = body('{% if ticket.priority == "hihg" %}!{% endif %}')
    assert r.found == [("E0209", FIRST, 26, "enum `Priority` has no member `hihg`")]
    assert r.diagnostics[0].help == "did you mean `high`?"


def test_enum_in_a_list_of_member_names():
    r = body('{% if ticket.priority in ["high", "urgent"] %}!{% endif %}')
    assert r.found == [("E0209", FIRST, 35, "enum `Priority` has no member `urgent`")]


@pytest.mark.parametrize("expr, message", [
    ("ticket.id == 3", "cannot compare a `string` with an `int`"),
    ("ticket.priority == ticket.id", "cannot compare a `Priority` with a `string`"),
    ('ticket.id > 3', "`>` needs two numbers or two strings, found `string` and `int`"),
    ("ticket.id in ticket.priority", "`in` needs a list, map or string on the right, found `Priority`"),
    ("3 in ticket.tags", "cannot look for an `int` in a `list<string>`"),
])
def test_bad_comparisons(expr, message):
    r = body("{% if " + expr + " %}!{% endif %}")
    assert [(d.code, d.message) for d in r.diagnostics] == [("E0317", message)]


@pytest.mark.parametrize("expr", [
    'ticket.id == "T-1"', "ticket.email == none", 'ticket.id != ticket.body', "n > 2.5",
    '"a" in ticket.tags', '"k" in ticket.meta', '"x" not in ticket.body', 'ticket.id < "T"',
])
def test_good_comparisons(expr):
    assert body("{% if " + expr + " %}!{% endif %}", "ticket: Ticket, n: int").found == []


# ---- template calls ----------------------------------------------------------------------


def test_call_of_a_template():
    assert body("{{ persona(ticket.id) }} {{ greet(ticket.id, polite=false) }}").found == []


def test_call_with_too_many_arguments():
    r = body("{{ persona(ticket.id, ticket.body) }}")
    assert r.found == [("E0315", FIRST, 23, "template `persona` takes 1 argument, found 2")]
    assert r.diagnostics[0].help == "`persona` is declared as `persona(tone: string)`"


def test_call_with_a_missing_argument():
    r = body("{{ persona() }} {{ greet(polite=true) }}")
    assert [m for *_, m in r.found] == ["missing argument `tone`", "missing argument `who`"]


def test_call_with_an_argument_of_the_wrong_type():
    r = body("{{ persona(3) }}")
    assert r.found == [("E0315", FIRST, 12, "argument `tone` of `persona` expects `string`, found `int`")]


def test_call_with_an_unknown_keyword_suggests_the_parameter():
    r = body("{{ persona(tne=ticket.id) }}")
    assert r.found == [("E0315", FIRST, 12, "template `persona` has no parameter `tne`")]
    assert r.diagnostics[0].help == "did you mean `tone`?"


def test_call_of_an_unknown_template():
    r = body("{{ persnoa(ticket.id) }}")
    assert r.found == [("E0203", FIRST, 4, "unknown template `persnoa`")]
    assert r.diagnostics[0].help == "did you mean `persona`?"


def test_call_of_a_record():
    r = body("{{ Ticket(ticket.id) }}")
    assert r.found == [("E0208", FIRST, 4, "`Ticket` is a record, not a template")]


def test_call_must_be_interpolated():
    r = body("{% if persona(ticket.id) %}!{% endif %}")
    assert r.found == [("E0108", FIRST, 7, "a template call can only be interpolated")]


def test_method_call_is_outside_the_subset():
    r = body("{{ ticket.id.upper() }}")
    assert r.found == [("E0108", FIRST, 14, "method calls are not supported in templates")]
    assert r.diagnostics[0].help == "use the filter: `{{ ticket.id | upper }}`"


LIB = """\
type Card { holder: string @pii, last4: string }
template persona(tone: string) "You are {{ tone }}."
template card(c: Card) "{{ c.holder }} {{ c.last4 }}"
template masked(c: Card) "{{ c.holder | redact }} {{ c.last4 }}"
"""


def qualified(decl_text: str) -> Result:
    return check("import lib.tpl\nimport lib.tpl as t\n" + decl_text, extra={"lib.tpl": LIB})


def test_qualified_template_calls():
    r = qualified('template t(x: string) "{{ lib.tpl.persona(x) }} {{ t.persona(tone = x) }}"\n')
    assert r.found == []


def test_qualified_unknown_template():
    r = qualified('template t(x: string) "{{ t.persna(x) }}"\n')
    assert [(c, m) for c, _, _, m in r.found] == [("E0203", "unknown template `persna` in module `lib.tpl`")]
    assert r.diagnostics[0].help == "did you mean `persona`?"
    assert r.text(r.diagnostics[0].span) == "persna"


def test_qualified_template_not_called():
    r = qualified('template t(x: string) "{{ t.persona }}"\n')
    assert [(c, m) for c, _, _, m in r.found] == [("E0208", "`t.persona` is a template, not a variable")]


# ---- taint ------------------------------------------------------------------------------


def leaks(result: Result) -> list[tuple[str, str, str]]:
    return [(leak.kind, result.text(leak.span), leak.what) for leak in result.leaks]


def test_pii_and_secret_fields_leak():
    r = body("{{ ticket.customer }} {{ ticket.token | upper }} {{ ticket.id }}")
    assert leaks(r) == [("pii", "ticket.customer", "`ticket.customer`"),
                        ("secret", "ticket.token | upper", "`ticket.token`")]
    assert r.at(r.leaks[0].span) == (FIRST, 4)


def test_annotated_parameter_leaks():
    r = body("{{ email }}", "email: string @pii")
    assert leaks(r) == [("pii", "email", "`email`")]


def test_redact_and_length_clear_taint():
    r = body("{{ ticket.customer | redact }} {{ ticket.token | redact }} {{ ticket.customer | length }}")
    assert r.leaks == []


def test_taint_flows_through_filters_and_default():
    r = body('{{ ticket.email | default("n/a") | truncate(5) }} {{ ticket | json }}')
    assert [(k, t) for k, t, _ in leaks(r)] == [
        ("pii", 'ticket.email | default("n/a") | truncate(5)'),
        ("pii", "ticket | json"), ("secret", "ticket | json")]


def test_taint_flows_into_loop_variables():
    r = body("{% for n in names %}{{ n }}{% endfor %}", "names: list<string> @pii")
    assert leaks(r) == [("pii", "n", "`n`")]


def test_fields_of_loop_variables_keep_their_annotations():
    r = body("{% for p in people %}{{ p.email }}{{ p.name }}{% endfor %}", "people: list<Person>")
    assert leaks(r) == [("pii", "p.email", "`p.email`")]


def test_conditions_do_not_leak():
    assert body('{% if ticket.customer == "Ann" %}hi{% endif %}').leaks == []


def test_call_leaks_at_the_argument_that_reaches_the_output():
    r = body("{{ persona(ticket.customer) }}")
    assert leaks(r) == [("pii", "ticket.customer", "`ticket.customer`")]
    assert r.at(r.leaks[0].span) == (FIRST, 12)


def test_call_leak_suggests_redacting_the_argument_inside_the_call():
    """`{{ persona(x | redact) }}` is the fix, not a separate `{{ x | redact }}`."""
    r = body("{{ persona(ticket.customer) }} {{ persona(ticket.customer) | upper }} "
             "{{ greet(ticket.id or ticket.customer) }}")
    assert [leak.fix for leak in r.leaks] == [
        "`{{ persona(ticket.customer | redact) }}`",
        "`{{ persona(ticket.customer | redact) | upper }}`",
        "`{{ greet((ticket.id or ticket.customer) | redact) }}`"]


def test_call_leak_fix_inside_a_nested_call_keeps_the_outer_call():
    r = body("{{ greet(persona(ticket.customer)) }}")
    assert [leak.fix for leak in r.leaks] == ["`{{ greet(persona(ticket.customer | redact)) }}`"]


def test_leak_the_callee_makes_redacts_the_call():
    """The callee renders a `@pii` field of a record argument: the record cannot be
    redacted, the call's text can."""
    r = qualified('template t(c: lib.tpl.Card) "{{ t.card(c) }}"\n')
    assert [leak.fix for leak in r.leaks] == ["`{{ t.card(c) | redact }}`"]


def test_direct_leak_has_no_fix_of_its_own():
    assert [leak.fix for leak in body("{{ ticket.customer }}").leaks] == [None]


def test_call_with_a_redacted_argument_or_result_does_not_leak():
    r = body("{{ persona(ticket.customer | redact) }} {{ persona(ticket.customer) | redact }}")
    assert r.leaks == []


def test_call_leaks_what_the_callee_reads_from_a_record():
    r = qualified('template t(c: lib.tpl.Card) "{{ t.card(c) }} {{ t.masked(c) }}"\n')
    assert leaks(r) == [("pii", "c", "`c`")]


def test_signature_says_which_parameters_reach_the_output():
    program, _ = build({"lib.tpl": LIB})
    scope = program.scopes["lib.tpl"]
    card, masked = scope.own["card"], scope.own["masked"]
    assert template_signature(program, card).reaches == {"c": frozenset({"pii"})}
    assert template_signature(program, masked).reaches == {"c": frozenset()}
    assert template_signature(program, card) is template_signature(program, card)
    assert list(template_signature(program, card).params) == ["c"]


def test_recursive_templates_terminate():
    r = check('template t(x: string) "{{ u(x) }}"\ntemplate u(y: string) "{{ t(y) }}"\n')
    assert r.found == []


# ---- outside the subset ------------------------------------------------------------------


def test_set_is_reported_once_and_its_name_does_not_cascade():
    r = body("{% set x = ticket.id %}{{ x }} {{ x | upper }}")
    assert r.found == [("E0108", FIRST, 4, "`{% set %}` is not supported in templates")]
    assert r.diagnostics[0].help == "pass the value in as a parameter"


@pytest.mark.parametrize("source, code_text, message", [
    ("{% macro m() %}x{% endmacro %}", "macro", "`{% macro %}` is not supported in templates"),
    ('{% include "x.txt" %}', "include", "`{% include %}` is not supported in templates"),
    ("{{ ticket.tags[0] }}", "[0]", "indexing with `[]` is not supported in templates"),
    ("{{ n + 1 }}", "n + 1", "arithmetic is not supported in templates"),
    ("{{ ticket.id ~ ticket.body }}", "ticket.id ~ ticket.body", "`~` is not supported in templates"),
    ("{{ ticket.id if n else ticket.body }}", "ticket.id if n else ticket.body",
     "an inline `if` is not supported in templates"),
    ("{% if ticket.email is defined %}{% endif %}", "is defined",
     "a test with `is` is not supported in templates"),
    ("{% for t in ticket.tags if t %}{% endfor %}", "if", "a filter on a `for` loop is not supported in templates"),
    ("{% for t in ticket.tags %}{% if n %}{% else %}{% endif %}{% else %}none{% endfor %}", "else",
     "`{% else %}` in a `for` loop is not supported in templates"),
])
def test_constructs_outside_the_subset(source, code_text, message):
    r = body(source, "ticket: Ticket, n: int")
    assert [(d.code, d.message) for d in r.diagnostics] == [("E0108", message)]
    assert r.text(r.diagnostics[0].span) == code_text


def test_else_of_a_for_is_found_past_nested_elses():
    r = body("{% for t in ticket.tags %}{% if t %}{% else %}{% endif %}{% else %}none{% endfor %}")
    assert r.at(r.diagnostics[0].span) == line_of(r, "else", 1)


def test_raw_blocks_are_text():
    assert body("{% raw %}{{ not checked }}{% endraw %}").found == []


def test_explanation_of_e0108_says_raw_blocks_are_accepted():
    from importlib import resources

    text = resources.files("promptlang.diagnostics").joinpath("explain/E0108.md").read_text()
    assert "`{% raw %}...{% endraw %}` is accepted" in text
    assert "`{% raw %}` cannot be checked" not in text and "or\n`{% raw %}`" not in text


# ---- syntax -----------------------------------------------------------------------------


@pytest.mark.parametrize("source, where, message", [
    ("{% for t in ticket.tags %}\n{{ t }}", "for", "`{% for %}` is never closed"),
    ("{% for t in ticket.tags %}{% if t %}{% endfor %}", "if", "`{% if %}` is never closed"),
    ("{{ ticket.id ", "{{", "`{{` is never closed"),
    ("ok\n  {{ ticket.id ! }}", "!", "unexpected character `!`"),
    ("{% endfo %}", "endfo", "unknown tag `endfo`"),
    ("{{ ticket.id ticket.body }}", "ticket.body", "expected `}}` to close `{{`"),
    ("{{ ticket.id }", "}", "expected `}}` to close `{{`"),
    ("{% if ticket.id %Hello {{ ticket.body }}{% endif %}", "%Hello",
     "expected `%}` to close `{% if`"),
    ("{% if ticket.id }}x{% endif %}", "}}", "expected `%}` to close `{% if`"),
    ("{% for t ticket.tags %}{% endfor %}", "ticket.tags", "expected `in`, found `ticket`"),
    ("{% if %}{% endif %}", "%}", "expected an expression, found `%}`"),
    ("{{ ticket.id | }}", "}}", "expected a filter name after `|`"),
    ("x {# note", "{#", "`{#` is never closed"),
    ("{{ 'abc }}", "'", "string is never closed"),
    ("{% raw %}{{ x }}", "raw", "`{% raw %}` is never closed"),
])
def test_syntax_errors(source, where, message):
    r = body(source)
    assert r.found == [("E0107", *line_of(r, where), message)]


def test_a_print_closed_with_one_brace_says_what_closes_it():
    r = body("{{ ticket.id }")
    d = r.diagnostics[0]
    assert (r.text(d.span), d.label) == ("}", "expected `}}`")
    assert d.help == "close it: `{{ ticket.id }}`"
    assert [(r.text(x.span), x.message) for x in d.secondary] == [("{{", "opened here")]
    assert r.at(d.secondary[0].span) == line_of(r, "{{")


def test_a_tag_with_a_lone_percent_is_reported_at_the_percent():
    r = body("{% if ticket.id %Hello\n{{ ticket.body }}{% endif %}")
    d = r.diagnostics[0]
    assert (r.text(d.span), d.label) == ("%", "expected `%}`")
    assert d.help == "close it: `{% if ticket.id %}`"
    assert [(r.text(x.span), x.message) for x in d.secondary] == [("{%", "opened here")]


def test_else_if_suggests_elif():
    r = body("{% if ticket.id %}a{% else if ticket.body %}b{% endif %}")
    assert r.diagnostics[0].message == "expected `%}` to close `{% else`"
    assert r.diagnostics[0].help == "for another condition write `{% elif ... %}`"


@pytest.mark.parametrize("source, tag, owner, nth", [
    ("x {% endif %}", "endif", "if", 0), ("x {% endfor %}", "endfor", "for", 0),
    ("x {% else %} y", "else", "if", 0), ("x {% elif ticket.id %} y", "elif", "if", 0),
    ("{% if ticket.id %}{% endif %}{% endif %}", "endif", "if", 1),
    ("{% endraw %}", "endraw", "raw", 0),
])
def test_a_tag_outside_its_block_is_not_an_unknown_tag(source, tag, owner, nth):
    """`{% endif %}` is a tag we know: it is out of place, and `endfor` is not what was meant."""
    r = body(source)
    d = r.diagnostics[0]
    message = f"`{{% {tag} %}}` without an open `{{% {owner} %}}`"
    assert r.found == [("E0107", *line_of(r, tag, nth), message)]
    assert "did you mean" not in d.help and d.secondary == ()


def test_an_end_tag_inside_another_block_says_which_one_is_open():
    r = body("{% for t in ticket.tags %}{{ t }}{% endif %}")
    d = r.diagnostics[0]
    assert d.message == "`{% endif %}` without an open `{% if %}`"
    assert d.help == "close the `{% for %}` with `{% endfor %}`"
    assert [(r.text(x.span), x.message) for x in d.secondary] == [
        ("for", "the open block is this `{% for %}`")]


@pytest.mark.parametrize("source, message", [
    ("{% if n %}a{% else %}b{% elif n %}c{% endif %}", "`{% elif %}` after `{% else %}`"),
    ("{% if n %}a{% else %}b{% else %}c{% endif %}", "a second `{% else %}` in one `{% if %}`"),
])
def test_branches_after_else(source, message):
    r = body(source, "n: int")
    d = r.diagnostics[0]
    assert d.message == message
    assert r.text(d.secondary[0].span) == "else" and r.at(d.secondary[0].span) == line_of(r, "else")


SYNTAX_ERRORS = [
    "{{ tone }", "{{ tone } and more", "{% if n %Hello {{ n }}{% endif %}", "{% if n %}x{% endif }",
    "{% for x n %}{% endfor %}", "{{ }}", "{{ n n }}", "{% %}", "{% if %}{% endif %}",
    "{{ f(a=1, 2) }}", "{{ n is defined is string }}", "{{ n ! }}", "{{ n | }}", "{{ n. }}",
    "{{ (n }}", "{{ n) }}", "{% endif %}", "{% if n %}{% for t in n %}{% endif %}", "{# x",
    "{{ 'abc }}", "{{ n %}", "{% if n == %}x{% endif %}", "{% raw %}x", "{{ n",
    "{% if n %}a{% else %}b{% else %}c{% endif %}", "{% for x in n %}{% endif %}",
]


@pytest.mark.parametrize("source", SYNTAX_ERRORS)
def test_syntax_errors_are_said_in_the_house_style(source):
    """Lowercase, no final period, code in backticks (never Jinja's `'quotes'` or its
    token names), a label saying more than "here"."""
    r = body(source, "n: int")
    assert [d.code for d in r.diagnostics] == ["E0107"], r.diagnostics
    d = r.diagnostics[0]
    for text in (d.message, d.label, d.help or ""):
        assert not text.endswith("."), text
        assert "token" not in text and "statement" not in text
        assert "'" not in text.replace("`'`", ""), text
    assert d.message[0].islower() or d.message[0] == "`"
    assert d.label and d.label != "here"


@pytest.mark.parametrize("source", [
    "", "{{", "}}", "{%", "{% %}", "{{ }}", "{# ", "{% if %}", "{% for %}", "{{ a.b.c(d)[e] }}",
    "{% for a, b in c %}{{ a }}{% endfor %}", "{{ x | f(*a) }}", "{{ f(**k) }}", "{{ {'a': 1} }}",
    "{{ (1, 2) }}", "{% with a = 1 %}{{ a }}{% endwith %}", "{% filter upper %}x{% endfilter %}",
    "{% autoescape true %}x{% endautoescape %}", "{{ -1 }}", "{{ x.0 }}", "{{ 'a' 'b' }}",
    "{% extends 'a' %}", "{% block b %}{% endblock %}", "{% call m() %}{% endcall %}",
    "{% for x in y recursive %}{% endfor %}", "{{ loop.cycle(1, 2) }}",
])
def test_odd_bodies_never_raise_and_spans_stay_in_the_body(source):
    r = body(source)
    start = r.source.text.index('"""\n', len(TYPES)) + 4
    for d in r.diagnostics:
        assert start <= d.span.start <= d.span.end <= start + len(source), d


def test_signature_of_a_broken_template_reports_nothing_anywhere():
    program, sinks = build({"lib.tpl": 'template bad(x: string) "{{ nope(x) }} {{ x.y }}"\n'})
    signature = template_signature(program, program.scopes["lib.tpl"].own["bad"])
    assert list(signature.params) == ["x"]
    assert len(sinks["lib.tpl"]) == 0
