"""Compiled templates render exactly what Jinja renders.

Each body is compiled twice, with the types of its values (`Types`) and without, and the
generated functions are run against `jinja2.Environment(autoescape=False)` rendering the
same body, with the subset's filters registered (Jinja's own `upper`, `lower`, `title`,
`trim`, `truncate`, `join` and `length`, so their semantics are checked too; ours for
`default`, `json` and `redact`). One difference is by design: our SDK renders an enum
member as its value (the member's name in the `.pops` file) where Jinja prints
`Priority.high`, so Jinja is given the members' values."""

from __future__ import annotations

import enum
import importlib.util
import os
import subprocess
import sys
import textwrap
import types as pytypes
from pathlib import Path

import attrs
import jinja2
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from promptlang.emit.template_compiler import TemplateCompileError
from promptlang.emit.template_compiler import Types
from promptlang.emit.template_compiler import compile_template
from promptlang.ir import TypeIR
from promptlang.runtime import text as rt

ROOT = Path(__file__).resolve().parents[1]


# ---- the world the templates see ---------------------------------------------------------
# One source for the classes: executed here for the rendering tests, and the prelude of the
# module that mypy checks below.
MODULE = '''\
from __future__ import annotations

import enum

import attrs

from promptlang.runtime import text as _t


class Priority(enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


@attrs.frozen
class Order:
    id: str
    total: float


@attrs.frozen
class Ticket:
    id: str
    body: str
    priority: Priority
    tags: list[str]
    levels: list[Priority]
    orders: list[Order]
    metadata: dict[str, str]
    last_order: Order | None = None
    nick: str | None = None
    count: int = 0
    vip: bool = False
'''
_WORLD: dict = {"__name__": __name__}
exec(compile(MODULE, "<template world>", "exec"), _WORLD)
Priority = _WORLD["Priority"]
Order = _WORLD["Order"]
Ticket = _WORLD["Ticket"]


def _t(kind: str, name: str | None = None, of: TypeIR | None = None) -> TypeIR:
    return TypeIR(kind=kind, name=name, of=of)


S, I, F, B = _t("string"), _t("int"), _t("float"), _t("bool")
PRIORITY, ORDER = _t("enum", "m.Priority"), _t("record", "m.Order")
RECORDS = {
    "m.Order": {"id": S, "total": F},
    "m.Ticket": {"id": S, "body": S, "priority": PRIORITY, "tags": _t("list", of=S),
                 "levels": _t("list", of=PRIORITY), "orders": _t("list", of=ORDER),
                 "metadata": _t("map", of=S), "last_order": _t("optional", of=ORDER),
                 "nick": _t("optional", of=S), "count": I, "vip": B},
}
PARAMS = [("ticket", "Ticket"), ("tone", "str"), ("n", "int"), ("items", "list[str]"),
          ("maybe", "str | None"), ("flag", "bool"), ("p", "Priority"), ("score", "float"),
          ("level", "Priority | None")]
TYPES = Types(params={"ticket": _t("record", "m.Ticket"), "p": PRIORITY,
                      "level": _t("optional", of=PRIORITY)},
              records=RECORDS, enums={"m.Priority": "Priority"})

TICKET = Ticket(id="T-1", body="My blender started smoking when I switched it on!!!",
                priority=Priority.high, tags=["blender", "urgent", "smoke"],
                levels=[Priority.high, Priority.low],
                orders=[Order("A-1", 10.5), Order("B-2", 3.0)],
                metadata={"k": "v", "channel": "mail"},
                last_order=Order("A-1", 10.5), nick=None, count=3, vip=True)
VALUES = dict(ticket=TICKET, tone="friendly", n=4, items=["a", "b", "c"], maybe=None,
              flag=True, p=Priority.urgent, score=0.25, level=None)

# Templates the bodies call: (python name, body, params).
CALLEES = {
    "persona": ("You are {{ role }} at {{ company }}. Your tone is {{ tone }}.\n",
                [("role", "str"), ("company", "str"), ("tone", "str", '"friendly"')]),
    "shout": ("{{ words | upper }}!", [("words", "str")]),
}
CALLS = {"persona": "persona", "t.persona": "persona", "std.templates.shout": "shout"}


# ---- rendering both ways -------------------------------------------------------------------
def for_jinja(value):
    """The value as Jinja should see it to print what the SDK prints: enum values."""
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return attrs.evolve(value, **{f.name: for_jinja(getattr(value, f.name))
                                      for f in attrs.fields(type(value))})
    if isinstance(value, list):
        return [for_jinja(v) for v in value]
    if isinstance(value, dict):
        return {k: for_jinja(v) for k, v in value.items()}
    return value


def default(value, fallback):
    """Ours (null takes the fallback) and Jinja's (so does undefined: `loop.previtem` on
    the first item is undefined in Jinja, null in the SDK)."""
    return fallback if value is None or isinstance(value, jinja2.Undefined) else value


def jinja_env() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=False)
    env.filters.update(default=default, json=rt.json_text, redact=rt.redact)

    def callable_for(body, params):
        def call(*args, **kwargs):
            names = [p[0] for p in params]
            context = {p[0]: eval(p[2]) for p in params if len(p) > 2}
            context.update(zip(names, args), **kwargs)
            return env.from_string(body).render(for_jinja(context))
        return call

    funcs = {name: callable_for(*spec) for name, spec in CALLEES.items()}
    env.globals.update(funcs, t=pytypes.SimpleNamespace(persona=funcs["persona"]),
                       std=pytypes.SimpleNamespace(templates=pytypes.SimpleNamespace(
                           shout=funcs["shout"])))
    return env


ENV = jinja_env()


def compiled(name, body, params, calls=CALLS, types=TYPES) -> str:
    return compile_template(name, body, params, calls, types)


def load(source: str, typed: bool = True) -> dict:
    """Exec generated source next to the callees, compiled the same way."""
    namespace = {"_t": rt, "Priority": Priority, "Ticket": Ticket, "Order": Order}
    for name, (body, params) in CALLEES.items():
        exec(compiled(name, body, params, {}, TYPES if typed else None), namespace)
    exec(source, namespace)
    return namespace


def render(body: str, values: dict | None = None, params=PARAMS, typed: bool = True) -> str:
    values = VALUES if values is None else values
    source = compiled("render", body, params, types=TYPES if typed else None)
    return load(source, typed)["render"](**values)


def assert_as_jinja(body: str, values: dict | None = None, params=PARAMS) -> str:
    values = VALUES if values is None else values
    expected = ENV.from_string(body).render(for_jinja(values))
    for typed in (True, False):
        assert render(body, values, params, typed) == expected, (typed, body)
    return expected


# ---- every construct -----------------------------------------------------------------------
CASES = [
    "",
    "plain text, no tags",
    "Hello {{ tone }}!",
    "{{ ticket.id }}: {{ ticket.body }}",
    "priority {{ ticket.priority }} / {{ p }}",
    "{{ n }} {{ flag }} {{ score }} {{ ticket.count }} {{ ticket.vip }}",
    "{{ -1 }} {{ 0.5 }} {{ 1e3 }} {{ 1_000 }} {{ true }} {{ False }} {{ none }} {{ 'lit' }}"
    " {{ \"q\" }}",
    # filters
    "{{ tone | upper }} {{ tone | lower }} {{ 'hello wORLD-x(y' | title }}"
    " {{ ticket.body | title }}",
    "[{{ '  padded\\n ' | trim }}] {{ ticket.body | truncate(20) }}"
    " {{ ticket.body | truncate(48) }}",
    "{{ ticket.tags | join }} {{ ticket.tags | join(', ') }} {{ items | join('\\n') }}",
    "{{ ticket.levels | join(', ') }} {{ [1, 2.5, true] | join('-') }} {{ ['a', 'b'] | join }}",
    "{{ maybe | default('none given') }} {{ ticket.nick | default(tone) }}"
    " {{ tone | default('x') }}",
    "{{ ticket.tags | length }} {{ ticket.body | length }} {{ ticket.metadata | length }}",
    "{{ ticket | json }} {{ ticket.tags | json }} {{ 'é\"' | json }} {{ p | json }}",
    "{{ ticket.body | redact }} {{ ticket | redact | upper }} {{ maybe | redact }}",
    "{{ p | upper }} {{ ticket.priority | title }} {{ p | truncate(3) }} {{ p | lower }}",
    "{{ maybe | default('a b c d e f g h') | truncate(5) | upper }}",
    "{{ 'abcdefghijklmnop qrstuvwxyz' | truncate(10) }} {{ 'x' | upper | lower }}",
    # if / elif / else and conditions
    "{% if flag %}yes{% endif %}|{% if not flag %}no{% else %}else{% endif %}",
    "{% if n < 2 %}small{% elif n < 4 %}mid{% elif n == 4 %}four{% else %}big{% endif %}",
    "{% if n > 3 and n >= 4 and n <= 4 and n != 5 %}ok{% endif %}{% if 0 < n < 10 %} in{% endif %}",
    "{% if p == 'urgent' %}U{% endif %}{% if p != 'low' %}L{% endif %}{% if 'high' == p %}"
    "H{% endif %}",
    "{% if ticket.priority in ['high', 'urgent'] %}hot{% endif %}"
    "{% if p not in ['low'] %}not low{% endif %}{% if 'high' in ticket.levels %} lv{% endif %}"
    "{% if 'normal' not in ticket.levels %} !normal{% endif %}",
    "{% if 'urgent' in ticket.tags %}tag{% endif %}{% if 'k' in ticket.metadata %} key{% endif %}"
    "{% if 'smoking' in ticket.body %} sub{% endif %}{% if tone in ['friendly', 'dry'] %}"
    " t{% endif %}",
    "{% if level == 'high' %}H{% elif level %}{{ level }}{% else %}no level{% endif %}",
    "{% if maybe == none %}null{% endif %}{% if none != maybe %}x{% endif %}"
    "{% if ticket.nick == none %}no nick{% endif %}",
    "{% if ticket.last_order %}Last order: {{ ticket.last_order.id }}{% endif %}",
    "{% if not maybe %}nothing{% else %}{{ maybe }}{% endif %} {{ maybe or 'fallback' }}",
    "{% if ticket.last_order != none %}{{ ticket.last_order.total }}{% endif %}",
    "{{ flag and tone }} {{ flag or tone }} {{ not flag }} {{ n == 4 }} {{ tone and maybe }}",
    "{% if flag %}{% elif n %}{% else %}{% endif %}[{% if not flag %}{% endif %}]",
    "{% if items and items | length > 2 and (flag or not flag) %}three{% endif %}",
    "{% if not (n == 4 or flag) %}x{% else %}y{% endif %}{% if not not flag %}z{% endif %}",
    # loops
    "{% for tag in ticket.tags %}#{{ tag }} {% endfor %}",
    "{% for tag in ticket.tags %}{{ loop.index }}/{{ loop.length }}:{{ tag }}"
    "{% if not loop.last %}, {% endif %}{% endfor %}",
    "{% for x in items %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
    "{{ loop.first }}{{ loop.last }}{% if loop.first %}F{% endif %}{% if not loop.first %}"
    "-{% endif %}"
    "{{ loop.previtem | default('^') }}{{ loop.nextitem | default('$') }};{% endfor %}",
    "{% for o in ticket.orders %}{{ o.id }}={{ o.total }}{% for t in ticket.tags %}"
    "[{{ loop.index }}{{ t }}{% if loop.last %}.{% endif %}]{% endfor %}({{ loop.index }}"
    "){% endfor %}",
    "{% for x in items %}{% for y in items %}{% for z in items %}{{ loop.index }}{{ z }}"
    "{% endfor %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}",
    "{% for tone in items %}{{ tone }}{% endfor %}|{{ tone }}",
    "{% for i in items %}{{ loop.index }}{{ i }}{% endfor %}{% for len in items %}{{ len }}"
    "{{ loop.length }}{% endfor %}{% for class in items %}{{ class }}{% endfor %}",
    "{% for x in items %}{{ x }}{% endfor %}{% for x in ticket.orders %}{{ x.id }}{% endfor %}"
    "{% for x in items %}{{ x | upper }}{% endfor %}",
    "{% for lvl in ticket.levels %}{{ lvl }}{% if lvl == 'high' %}!{% endif %}{% endfor %}",
    "{% for o in ticket.orders %}{% if o.total > 5 %}{{ o.id | lower }}{% endif %}{% endfor %}",
    "{% for x in items %}{% if loop.previtem == 'a' %}after a{% endif %}{{ x }}{% endfor %}",
    "{{ (maybe or none) | default('z') }} {{ (tone or none) | default('z') | upper }}",
    "{% for x in [] %}never{% endfor %}{% for x in ['a', 'b'] %}{{ x }}{{ loop.length }}"
    "{% endfor %}",
    "{% for x in items %}{% endfor %}end",
    # calls
    "{{ persona('an agent', 'Acme') }}{{ persona('a bot', company='Initech', tone=tone) }}",
    "{{ t.persona(tone, 'Acme') | trim }}|{{ std.templates.shout(ticket.body) }}|"
    "{{ std.templates.shout(words='hi') | lower }}",
    "{% if flag %}{{ persona(ticket.id, 'x\"y') }}{% endif %}",
    # text, whitespace, comments and raw
    "{# a comment #}text{# another\nmultiline #} more",
    "{% raw %}{{ not a tag }} {% if %}{% endraw %} after",
    "braces { } {{ '{' }}{{ '}' }} }} %} #} quotes \" ' backslash \\ tab \t unicode é 😀 # hash",
    "\n\nleading newlines, trailing ones\n\n",
    "one trailing newline\n",
    "windows\r\nline\rends\r\n",
    "a {{- tone -}} b {%- if flag -%} c {%- endif -%} d {#- comment -#} e",
    "{% for tag in ticket.tags %}\n  - {{ tag }}\n\n{% endfor %}\nafter the blank lines\n",
    "{% for tag in ticket.tags -%}\n  - {{ tag }}\n{%- endfor %}\n{%- if flag %}"
    "\n  yes\n{% endif -%}\n",
    "  {% if flag %}\n    indented\n  {% endif %}\n  {%- if flag %}\n  x{% endif %}",
    "{{ maybe | default('a\"b\\'c\\\\d#e{f}g\\nh') }} {{ items | join('\"#\\'') }}",
    "{{ items | join(\"'\") }}\"double\"{{ tone }}",
]


@pytest.mark.parametrize("body", CASES)
def test_renders_as_jinja(body):
    assert_as_jinja(body)


@pytest.mark.parametrize("maybe", [None, "", "given"])
@pytest.mark.parametrize("n", [0, 3, 4, 12])
def test_branches_follow_values(maybe, n):
    body = ("{% if maybe %}m={{ maybe }}{% elif n > 3 %}big {{ n }}{% else %}none{% endif %}"
            "{% if maybe != none and n %} both{% endif %}")
    assert_as_jinja(body, {**VALUES, "maybe": maybe, "n": n})


@pytest.mark.parametrize("level", [None, Priority.high, Priority.low])
def test_optional_enums(level):
    body = "{% if level == 'high' %}H{% elif level %}{{ level | upper }}{% else %}none{% endif %}"
    assert_as_jinja(body, {**VALUES, "level": level})


class MixedPriority(str, enum.Enum):
    """How the Python target declares enums: members are also strings."""

    low = "low"
    high = "high"


@pytest.mark.parametrize("typed", [True, False])
def test_enums_that_are_also_strings(typed):
    body = ("{{ p }} {{ p | upper }} {{ ps | join(',') }} {{ ps | json }}"
            "{% if p == 'high' %} high{% endif %}{% if 'low' in ps %} has low{% endif %}"
            "{% if p in ['low'] %} low{% endif %}")
    params = [("p", "Priority"), ("ps", "list[Priority]")]
    types = Types(params={"p": PRIORITY, "ps": _t("list", of=PRIORITY)},
                  enums={"m.Priority": "Priority"}) if typed else None
    namespace = {"_t": rt, "Priority": MixedPriority}
    exec(compile_template("f", body, params, {}, types), namespace)
    for p, ps in [(MixedPriority.high, [MixedPriority.low]), (MixedPriority.low, [])]:
        expected = ENV.from_string(body).render(for_jinja({"p": p, "ps": ps}))
        assert namespace["f"](p, ps) == expected


@pytest.mark.parametrize("tags", [[], ["one"], ["a", "b", "c", "d"]])
def test_loops_of_every_length(tags):
    ticket = attrs.evolve(TICKET, tags=tags, last_order=None)
    body = ("{% for tag in ticket.tags %}{{ loop.index }}/{{ loop.length }} {{ tag }}"
            "{% if loop.first %} first{% endif %}{% if loop.last %} last{% endif %}\n{% endfor %}"
            "{% if ticket.last_order %}{{ ticket.last_order.id }}{% else %}no order{% endif %}")
    assert_as_jinja(body, {**VALUES, "ticket": ticket})


# ---- differential properties -----------------------------------------------------------------
def jinja_literal(text: str) -> str:
    """`text` as a Jinja string literal (Jinja decodes escapes with `unicode-escape`)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r") + '"'


# Template text: anything that does not open a tag.
DATA = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12).filter(
    lambda s: not any(m in s for m in ("{{", "{%", "{#")) and not s.endswith("{"))
VALUE = st.text(max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(DATA, min_size=5, max_size=5), VALUE, VALUE, st.one_of(st.none(), VALUE),
       st.lists(VALUE, max_size=3), VALUE, VALUE)
def test_any_text_and_values_render_as_jinja(data, tone, body, maybe, tags, lit, sep):
    template = (f"{data[0]}{{{{ tone }}}}{data[1]}{{{{ maybe | default({jinja_literal(lit)}) }}}}"
                f"{data[2]}{{% if tone == {jinja_literal(lit)} %}}{data[3]}{{% endif %}}"
                f"{{{{ ticket.tags | join({jinja_literal(sep)}) }}}}{{{{ {jinja_literal(lit)} }}}}"
                f"{{% for tag in ticket.tags %}}{data[4]}{{{{ tag }}}}{{% endfor %}}"
                f"{{{{ ticket.body | truncate(8) }}}}{{{{ ticket.body | title }}}}")
    ticket = attrs.evolve(TICKET, body=body, tags=tags)
    assert_as_jinja(template, {**VALUES, "tone": tone, "maybe": maybe, "ticket": ticket})


def _tag(inner: str, kind: str, trim: tuple[bool, bool]) -> str:
    close = "}" if kind == "{" else kind
    return f"{{{kind}{'-' if trim[0] else ''} {inner} {'-' if trim[1] else ''}{close}}}"


TRIM = st.tuples(st.booleans(), st.booleans())
CONDITIONS = st.sampled_from([
    "flag", "not flag", "maybe", "not maybe", "maybe == none", "maybe != none", "items",
    "p == 'high'", "p != 'urgent'", "p in ['low', 'urgent']", "'a' in items", "n > 2",
    "tone == 'x' or flag", "flag and maybe", "'é' in tone", "0 <= n < 3", "not (flag and n)"])
EXPRESSIONS = ["tone", "tone | upper", "maybe | default('-')", "items | join(', ')", "n",
               "p", "p | title", "tone | truncate(4)", "items | length", "flag", "'lit'",
               "maybe or tone", "score"]
LOOP_EXPRESSIONS = ["loop.index", "loop.index0", "loop.first", "loop.last", "loop.length",
                    "loop.revindex", "loop.revindex0", "loop.previtem | default('^')",
                    "loop.nextitem | default('$')"]


@st.composite
def template(draw, depth=0, loop_vars=()):
    """A random body of the subset: text, interpolations, `if` chains and loops, with
    random whitespace control."""
    pieces = []
    for _ in range(draw(st.integers(0, 4))):
        choice = draw(st.integers(0, 3 if depth < 2 else 1))
        if choice == 0:
            pieces.append(draw(DATA))
        elif choice == 1:
            options = EXPRESSIONS + list(loop_vars) + (LOOP_EXPRESSIONS if loop_vars else [])
            pieces.append(_tag(draw(st.sampled_from(options)), "{", draw(TRIM)))
        elif choice == 2:
            branches = draw(st.integers(1, 3))
            words = ["if"] + ["elif"] * (branches - 1)
            for word in words:
                pieces.append(_tag(f"{word} {draw(CONDITIONS)}", "%", draw(TRIM)))
                pieces.append(draw(template(depth + 1, loop_vars)))
            if draw(st.booleans()):
                pieces.append(_tag("else", "%", draw(TRIM)) + draw(template(depth + 1, loop_vars)))
            pieces.append(_tag("endif", "%", draw(TRIM)))
        else:
            var = f"v{depth}"
            pieces.append(_tag(f"for {var} in items", "%", draw(TRIM)))
            pieces.append(draw(template(depth + 1, (*loop_vars, var))))
            pieces.append(_tag("endfor", "%", draw(TRIM)))
    return "".join(pieces)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template(), st.lists(st.sampled_from(["a", "b", "é", " x "]), max_size=4),
       st.one_of(st.none(), st.sampled_from(["", "m"])), st.booleans(), st.integers(0, 4),
       st.sampled_from(list(Priority)), st.sampled_from(["x", "é", "tone"]))
def test_random_templates_render_as_jinja(body, items, maybe, flag, n, p, tone):
    assert_as_jinja(body, {**VALUES, "items": items, "maybe": maybe, "flag": flag, "n": n,
                           "p": p, "tone": tone})


# ---- the code itself ---------------------------------------------------------------------------
def test_text_only_is_one_return():
    source = compile_template(
        "persona", "You are {{ role }} at {{ company }}. Your tone is {{ tone }}.\n",
        [("role", "str"), ("company", "str"), ("tone", "str", '"friendly"')], {})
    assert source == (
        'def persona(role: str, company: str, tone: str = "friendly") -> str:\n'
        '    return f"You are {role} at {company}. Your tone is {tone}."\n')


def test_loops_and_ifs_append_parts():
    body = textwrap.dedent("""\
        Ticket {{ ticket.id }} (priority: {{ ticket.priority }}):
        {{ ticket.body }}
        {% if ticket.priority in ["high", "urgent"] %}Answer today.{% endif %}
        {% for tag in ticket.tags %}#{{ tag }}{% if not loop.last %}, {% endif %}{% endfor %}
        """)
    source = compile_template("user", body, [("ticket", "Ticket")], {}, TYPES,
                              doc="The user message.")
    assert source == textwrap.dedent('''\
        def user(ticket: Ticket) -> str:
            """The user message."""
            parts = [
                f"Ticket {ticket.id} (priority: {ticket.priority.value}):\\n"
                f"{ticket.body}\\n"
            ]
            if ticket.priority in (Priority.high, Priority.urgent):
                parts.append("Answer today.")
            parts.append("\\n")
            tags = ticket.tags
            for i, tag in enumerate(tags):
                parts.append(f"#{tag}")
                if i < len(tags) - 1:
                    parts.append(", ")
            return "".join(parts)
        ''')


def test_long_lines_are_wrapped_between_words():
    body = ("You are a careful support agent for {{ ticket.id }}. " * 6).strip() + "\nBye."
    source = compiled("render", body, PARAMS)
    assert max(len(line) for line in source.splitlines()) <= 100
    assert sum(line.startswith(('        f"', '        "')) for line in source.splitlines()) >= 4
    assert_as_jinja(body)


def test_docstrings():
    source = compile_template("f", "x", [], {}, doc='Says "x".\n\nWith a \\ and """.')
    assert source == ('def f() -> str:\n    """Says "x".\n\n    With a \\\\ and \\"\\"\\".\n'
                      '    """\n    return "x"\n')
    namespace: dict = {}
    exec(source, namespace)
    assert namespace["f"].__doc__.startswith('Says "x".')


def test_only_the_loop_variables_used_are_computed():
    source = compiled("render", "{% for tag in ticket.tags %}{{ tag }}{% endfor %}", PARAMS)
    assert "for tag in ticket.tags:" in source and "enumerate" not in source
    source = compiled("render", "{% for tag in ticket.tags %}{{ loop.length }}{% endfor %}",
                      PARAMS)
    assert "for tag in tags:" in source and "enumerate" not in source


def test_comparisons_read_naturally():
    source = compiled("render", "{% if maybe == none %}a{% elif p == 'high' %}b"
                      "{% elif not flag %}c{% elif 'x' not in items %}d{% endif %}", PARAMS)
    assert "if maybe is None:" in source
    assert "elif p is Priority.high:" in source
    assert "elif not flag:" in source
    assert "elif 'x' not in items:" in source or 'elif "x" not in items:' in source


def test_without_types_values_go_through_the_helpers():
    source = compiled("render", "{{ ticket.body }}{% if ticket.priority == 'high' %}!{% endif %}",
                      PARAMS, types=None)
    assert "_t.text(ticket.body)" in source and '_t.key(ticket.priority) == "high"' in source


def test_a_parameter_named_like_a_builtin():
    body = "{% for x in len %}{{ loop.index }}{{ x }}{% endfor %}{{ len | length }}"
    params = [("len", "list[str]"), ("enumerate", "str")]
    source = compile_template("render", body, params, {})
    assert "_t.enumerate(len)" in source and "_t.len(len)" in source
    assert_as_jinja(body, {"len": ["a", "b"], "enumerate": "e"}, params)


@pytest.mark.parametrize("body", [
    "{% set x = 1 %}", "{% macro m() %}{% endmacro %}", "{{ n + 1 }}", "{{ items[0] }}",
    "{{ unknown }}", "{{ other() }}", "{{ tone.upper() }}", "{% for x in items %}{% else %}"
    "x{% endfor %}",
    "{% for x in items if x %}x{% endfor %}", "{% for a, b in items %}x{% endfor %}",
    "{{ tone | wordcount }}", "{{ tone | truncate }}", "{{ n if flag else 2 }}", "{{ loop.index }}",
    "{% if x %}", "{% include 'x' %}", "{{ tone ~ tone }}", "{{ tone is defined }}",
])
def test_outside_the_subset_is_an_error(body):
    with pytest.raises(TemplateCompileError):
        compiled("render", body, PARAMS)


def test_keywords_are_spelt_as_the_python_target_spells_them():
    body = "{{ class }} {% for from in items %}{{ from }}{% endfor %}{{ shout(words=class) }}"
    source = compile_template("f", body, [("class", "str"), ("items", "list[str]")],
                              {"shout": "shout"})
    assert "def f(class_: str, items: list[str]) -> str:" in source
    assert "for from_ in items:" in source
    expected = ENV.from_string(body).render({"class": "c", "items": ["x", "y"]})
    assert load(source)["f"](class_="c", items=["x", "y"]) == expected


def test_names_python_cannot_use_are_errors():
    with pytest.raises(TemplateCompileError):
        compile_template("f", "{{ persona() }}", [("persona", "str")], {"persona": "persona"})
    with pytest.raises(TemplateCompileError):
        compile_template("f", "x", [("_t", "str")], {})


def test_truncate_is_jinjas():
    for text in ["", "short", "foo bar baz qux", "a" * 300, "word " * 60, "x y" * 3]:
        for length in (3, 5, 9, 11, 255):
            expected = ENV.from_string("{{ s | truncate(n) }}").render(s=text, n=length)
            assert rt.truncate(text, length) == expected
    with pytest.raises(ValueError):
        rt.truncate("long enough to be cut somewhere", 2)


def test_json_is_plain_sorted_and_unescaped():
    assert rt.json_text(TICKET.orders[0]) == '{"id": "A-1", "total": 10.5}'
    assert rt.json_text({"b": [Priority.low], "a": "<é>"}) == '{"a": "<é>", "b": ["low"]}'


# ---- mypy --strict ------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_generated_code_passes_mypy_strict(tmp_path):
    functions = []
    for typed in (True, False):
        suffix = "" if typed else "_untyped"
        types = TYPES if typed else None
        calls = {k: v + suffix for k, v in CALLS.items()}
        for name, (body, params) in CALLEES.items():
            functions.append(compile_template(name + suffix, body, params, {}, types))
        for i, body in enumerate(CASES):
            functions.append(compile_template(f"case_{i}{suffix}", body, PARAMS, calls, types))
    path = tmp_path / "generated.py"
    path.write_text(MODULE + "".join(f"\n\n{f}" for f in functions), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout + result.stderr
